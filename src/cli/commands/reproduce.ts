/**
 * `mfl plot DIR`, `mfl report DIR` and `mfl reproduce PRESET`: figures and the HTML report of a
 * sweep folder, and a preset run end to end (sweep, figures, report). docs/experiments.md.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { missingPoints } from '../../experiments/sweep.js';
import { presetNames } from '../../experiments/spec.js';
import { readSweepDir } from '../../experiments/results.js';
import type { SweepDir } from '../../experiments/results.js';
import { renderFigures, writeReport } from '../../report/index.js';
import type { RenderedFigure } from '../../report/index.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import { addJsonOption } from '../options.js';
import type { JsonFlagValue } from '../options.js';
import {
  addRunOptions,
  checkFailures,
  formatSweepSummary,
  loadSweepSpec,
  runSweepCommand,
} from './sweep.js';
import type { RunFlags } from './sweep.js';

/** Where the figures and the report of a folder are, for `--json` and for people. */
export interface ReportFiles {
  dir: string;
  /** Points recorded and points of the sweep (a shard folder or an unfinished run has fewer). */
  records: number;
  points: number;
  figures: {
    name: string;
    title: string;
    files?: { svg: string; png: string; spec: string };
    skipped?: string;
  }[];
  report: string | null;
}

/** A note when the folder is incomplete: figures then show only what is there. */
function completeness(sweepDir: SweepDir): string {
  const missing = missingPoints(sweepDir.manifest.spec, sweepDir.records).length;
  return missing
    ? `note: ${missing} of ${sweepDir.manifest.points} points are not in ${sweepDir.dir} yet; ` +
        'the figures show the others\n'
    : '';
}

function figureList(figures: readonly RenderedFigure[]): ReportFiles['figures'] {
  return figures.map((f) =>
    'skipped' in f
      ? { name: f.name, title: f.title, skipped: f.skipped }
      : { name: f.name, title: f.title, files: f.files },
  );
}

/** Draws the figures (and, with `report`, the HTML page) of a sweep folder. */
export async function plotDir(
  dir: string,
  report: boolean,
): Promise<ReportFiles & { note: string }> {
  const sweepDir = readSweepDir(dir);
  const { spec } = sweepDir.manifest;
  const figures = await renderFigures(spec, sweepDir.records, sweepDir.dir);
  const page = report ? await writeReport(spec, sweepDir.records, sweepDir.dir, figures) : null;
  return {
    dir: sweepDir.dir,
    records: sweepDir.records.length,
    points: sweepDir.manifest.points,
    figures: figureList(figures),
    report: page,
    note: completeness(sweepDir),
  };
}

/** `file` relative to the working directory when it lies below it, else absolute. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Human form: one line per figure file, then the report. */
export function formatReportFiles(r: ReportFiles): string {
  const lines = r.figures.map((f) =>
    f.files
      ? `  ${f.name}: ${shortPath(f.files.png)} (+ .svg, .vl.json)`
      : `  ${f.name}: skipped (${f.skipped})`,
  );
  return (
    `figures (${r.records} of ${r.points} points):\n${lines.join('\n')}\n` +
    (r.report ? `report: ${shortPath(r.report)}\n` : '')
  );
}

/** `mfl reproduce`'s default output folder (mfl-*, ignored by git and the linters like the demo's). */
export function reproduceOut(preset: string, scale: string | null): string {
  return `mfl-${preset}-${scale ?? 'default'}`;
}

/** Registers `plot`, `report` and `reproduce` on `program`. */
export function registerReport(program: Command, io: CliIo): void {
  for (const [name, withReport] of [
    ['plot', false],
    ['report', true],
  ] as const) {
    const command = program
      .command(name)
      .argument('<dir>', 'a sweep folder (written by mfl sweep, mfl merge or mfl reproduce)')
      .description(
        withReport
          ? 'write DIR/report.html: one self-contained page with every figure, its Vega-Lite spec and the numbers'
          : 'draw the figures of a sweep folder into DIR/figures/ (SVG, PNG and Vega-Lite specs)',
      );
    addJsonOption(command).action(async (dir: string, flags: JsonFlagValue) => {
      const { note, ...files } = await plotDir(dir, withReport);
      io.stderr(note);
      if (flags.json) printJson(io, files);
      else io.stdout(formatReportFiles(files));
    });
  }

  const command = program
    .command('reproduce')
    .argument('<preset>', `a preset: ${presetNames().join(', ')}`)
    .description(
      'run a preset end to end: its sweep (resumable, like mfl sweep), its figures and its report; ' +
        "--scale small (default) runs on a laptop in minutes, --scale paper is the paper's sizes for a cluster",
    )
    .option('--out <dir>', 'output folder (default: ./mfl-PRESET-SCALE)');
  addRunOptions(command).addHelpText(
    'after',
    '\nExit codes: 0 done, 1 some points failed (re-run to retry them), 2 bad input.\n',
  );
  addJsonOption(command).action(async (preset: string, flags: RunFlags & JsonFlagValue) => {
    const { spec, scale } = loadSweepSpec(preset, flags.scale);
    const out = flags.out ?? reproduceOut(spec.name, scale);
    const summary = await runSweepCommand(spec, scale, { ...flags, out }, io);
    if (!flags.json) io.stdout(formatSweepSummary(summary));
    const { note, ...files } = await plotDir(out, true);
    io.stderr(note);
    if (flags.json)
      printJson(io, { sweep: { ...summary, records: summary.records.length }, ...files });
    else io.stdout(formatReportFiles(files));
    checkFailures(summary);
  });
}
