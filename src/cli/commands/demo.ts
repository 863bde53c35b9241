/**
 * `mfl demo`: the placeholder main job until the experiments land. Generates parity(d=12, k=4)
 * with P = 400 on the selected backend, writes it, and prints a short summary of the data. It is
 * what `npm start` runs on a fresh machine, so it must stay quick.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { ioError } from '../../tasks/io/files.js';
import { loadData } from '../../tasks/io/index.js';
import type { DataFormat } from '../../tasks/io/index.js';
import { parseTaskSpec } from '../../tasks/spec.js';
import { table } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import { addJsonOption, flagLabels, numberFlag } from '../options.js';
import type { JsonFlagValue } from '../options.js';
import { runData } from './data.js';
import type { DataSummary } from './data.js';

const NOTE = 'placeholder main job: generates and summarises task data until the experiments land';

/** Label statistics of one split. */
export interface SplitStats {
  split: 'train' | 'test';
  rows: number;
  labelMean: number;
  fractionPlusOne: number;
}

/** The `mfl demo --json` document. */
export interface DemoReport extends DataSummary {
  note: string;
  out: string;
  stats: SplitStats[];
}

function stats(split: SplitStats['split'], y: Float64Array): SplitStats {
  let sum = 0;
  let plus = 0;
  for (const v of y) {
    sum += v;
    if (v === 1) plus++;
  }
  const n = y.length;
  return { split, rows: n, labelMean: n ? sum / n : 0, fractionPlusOne: n ? plus / n : 0 };
}

async function outputDir(out: string | undefined): Promise<string> {
  if (out !== undefined) return out;
  try {
    return await fs.mkdtemp(path.join(os.tmpdir(), 'mfl-demo-'));
  } catch (err) {
    throw ioError(os.tmpdir(), 'create a directory in', err);
  }
}

/** Label statistics of the written splits, re-read from the files (so the demo exercises IO). */
async function splitStats(summary: DataSummary): Promise<SplitStats[]> {
  const prefix = (split: string): string =>
    path.join(
      path.dirname(summary.files[0] ?? ''),
      summary.format === 'csv' ? `${split}.csv` : split,
    );
  return [
    stats('train', (await loadData(prefix('train'))).y),
    stats('test', (await loadData(prefix('test'))).y),
  ];
}

/** Runs the demo and returns its report. */
export async function runDemo(options: {
  out?: string;
  format: DataFormat;
  seed: number;
}): Promise<DemoReport> {
  const spec = parseTaskSpec(
    { task: 'parity', d: 12, k: 4, P: 400, seed: options.seed },
    flagLabels,
  );
  const out = await outputDir(options.out);
  const summary = await runData(spec, { out, format: options.format });
  return { note: NOTE, out, ...summary, stats: await splitStats(summary) };
}

/** Human form: the task, a table of label statistics, the files. */
export function formatDemo(r: DemoReport): string {
  const rows = r.stats.map((s) => [
    s.split,
    String(s.rows),
    s.labelMean.toFixed(4),
    s.fractionPlusOne.toFixed(4),
  ]);
  const seed = r.spec.task === 'custom' ? '' : `, seed ${r.spec.seed}`;
  return (
    `mfl demo: ${NOTE}\n` +
    `task: parity(d = ${r.d}, k = 4)${seed}, backend ${r.backend}\n\n` +
    table(['split', 'P', 'label mean', 'fraction +1'], rows, new Set([1, 2, 3])) +
    `\nfiles (${r.format}) in ${r.out}:\n` +
    r.files.map((f) => `  ${path.basename(f)}\n`).join('')
  );
}

interface DemoFlags extends JsonFlagValue {
  out?: string;
  format: DataFormat;
  seed?: number;
}

/** Registers `demo` on `program`. */
export function registerDemo(program: Command, io: CliIo): void {
  const command = program
    .command('demo')
    .description(`${NOTE}; parity d=12 k=4 P=400`)
    .option('--out <dir>', 'output directory (default: a new temporary directory)')
    .addOption(
      new Option('--format <format>', 'file format')
        .choices(['csv', 'npy'] as const)
        .default('csv'),
    )
    .option(
      '--seed <int>',
      'data seed, integer in [0, 2^53 - 1] (default: 0)',
      numberFlag('--seed', 'an integer'),
    );
  addJsonOption(command).action(async (flags: DemoFlags) => {
    const report = await runDemo({ out: flags.out, format: flags.format, seed: flags.seed ?? 0 });
    if (flags.json) printJson(io, report);
    else io.stdout(formatDemo(report));
  });
}
