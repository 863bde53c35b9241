/**
 * `mfl demo` (and `npm start`): the main job in a few minutes. Runs the parity learning curve at
 * the paper's width N = 512 (preset parity-learning-curve, scale small: SGLD, MF, MF-ARD and the
 * NNGP limit on the same data), draws its figures and report, and prints a short table, the
 * paper's claims checked on the numbers, and where the files are. It opens nothing.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { aggregate } from '../../report/analysis.js';
import type { AggregateRow } from '../../report/analysis.js';
import { learningCurveFindings } from '../../report/findings.js';
import type { Finding } from '../../report/findings.js';
import type { SweepMethod, SweepSpec } from '../../experiments/types.js';
import { formatValue, table } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import { addJsonOption, numberFlag } from '../options.js';
import type { JsonFlagValue } from '../options.js';
import { formatReportFiles, plotDir } from './reproduce.js';
import type { ReportFiles } from './reproduce.js';
import { checkFailures, loadSweepSpec, runSweepCommand } from './sweep.js';

/** The preset the demo runs. */
export const DEMO_PRESET = 'parity-learning-curve';
const COLUMNS: [SweepMethod, string][] = [
  ['sgld', 'SGLD'],
  ['mf-ard', 'MF-ARD'],
  ['mf', 'MF'],
  ['krr', 'NNGP (KRR)'],
];

/** The `mfl demo --json` document. */
export interface DemoReport extends ReportFiles {
  preset: string;
  /** The problem in words: task, width, noise, seeds and steps. */
  setting: string;
  seconds: number;
  /** Seed means per method and P. */
  rows: AggregateRow[];
  findings: Finding[];
}

function cell(row: AggregateRow | undefined, what: 'testMse' | 'mS'): string {
  if (!row) return '-';
  const e = row[what];
  return e.se === null
    ? formatValue(e.mean, 3)
    : `${formatValue(e.mean, 3)} ± ${formatValue(e.se, 3)}`;
}

/** test MSE (and mS) per P, one column per method. */
export function demoTable(rows: readonly AggregateRow[], what: 'testMse' | 'mS'): string {
  const sizes = [
    ...new Set(rows.filter((r) => r.method === 'sgld').map((r) => r.params['task.P'] as number)),
  ];
  const body = sizes
    .sort((a, b) => a - b)
    .map((P) => [
      String(P),
      ...COLUMNS.map(([m]) =>
        cell(
          rows.find((r) => r.method === m && r.params['task.P'] === P),
          what,
        ),
      ),
    ]);
  return table(['P', ...COLUMNS.map(([, label]) => label)], body, new Set([0, 1, 2, 3, 4]));
}

/** The mean-field ceiling on mS (THEORY.md section 10), one line when the MF methods report it. */
function ceilingText(rows: readonly AggregateRow[]): string {
  const ceilings = [
    ...new Set(rows.flatMap((r) => (r.mSCeiling.n > 0 ? [r.mSCeiling.mean!] : []))),
  ];
  if (ceilings.length !== 1) return '';
  return (
    `mean-field ceiling on mS at this width, N c^2 / (1 + N c^2): ` +
    `${formatValue(ceilings[0]!, 3)} (THEORY.md section 10)\n`
  );
}

/** Human form: the two tables, the claims, the files. */
export function formatDemo(r: DemoReport): string {
  const claims = r.findings
    .map((f) => `  [${f.holds ? 'yes' : 'NO'}] ${f.claim}\n        ${f.detail}\n`)
    .join('');
  return (
    `mfl demo: ${r.preset} (small scale), ${r.records} runs in ${r.seconds.toFixed(0)} s\n` +
    `${r.setting}\n\n` +
    `test MSE (mean ± standard error over seeds):\n${demoTable(r.rows, 'testMse')}\n` +
    `order parameter mS:\n${demoTable(r.rows, 'mS')}` +
    `${ceilingText(r.rows)}\n` +
    `${claims}\n` +
    formatReportFiles(r)
  );
}

/** "parity d = 10, k = 4, N = 512, kappa = 0.01; seeds 1, 2, 3; SGLD 2 chains x 100000 steps". */
export function settingText(spec: SweepSpec): string {
  const task = spec.base.task;
  const N = spec.grid['network.N'] ?? [spec.base.network.N];
  const sampler = (spec.methods.sgld?.spec.sampler ?? {}) as { chains?: unknown; steps?: unknown };
  const sgld =
    spec.methods.sgld === undefined
      ? ''
      : `; SGLD ${String(sampler.chains ?? 2)} chains x ${String(sampler.steps ?? '?')} steps`;
  return (
    `${String(task.task)} d = ${String(task.d)}, k = ${String(task.k)}, ` +
    `N = ${N.map(String).join(', ')}, kappa = ${spec.base.kappa}; ` +
    `seeds ${(spec.grid.seed ?? []).map(String).join(', ')}${sgld}`
  );
}

/**
 * Where the demo writes unless told: like every default output folder (mfl-*), git, prettier and
 * eslint ignore it, so running the main job in a checkout leaves its tests green.
 */
export const DEMO_OUT = 'mfl-demo';

interface DemoFlags extends JsonFlagValue {
  out?: string;
  jobs?: number;
}

/** Registers `demo` on `program`. */
export function registerDemo(program: Command, io: CliIo): void {
  const command = program
    .command('demo')
    .description(
      "the main job in minutes: the parity learning curve at the paper's width N = 512 (SGLD, MF, " +
        "MF-ARD, NNGP on the same data), its figures, report, a table and the paper's claims checked; " +
        're-running resumes',
    )
    .option('--out <dir>', 'output folder (default: ./mfl-demo)')
    .option(
      '--jobs <n>',
      'runs at once (default: the number of cores)',
      numberFlag('--jobs', 'an integer'),
    );
  addJsonOption(command).action(async (flags: DemoFlags) => {
    const started = performance.now();
    const out = flags.out ?? DEMO_OUT;
    const { spec, scale } = loadSweepSpec(DEMO_PRESET, 'small');
    const summary = await runSweepCommand(
      spec,
      scale,
      { out, ...(flags.jobs !== undefined && { jobs: flags.jobs }) },
      io,
    );
    const { note, ...files } = await plotDir(out, true);
    io.stderr(note);
    const report: DemoReport = {
      preset: DEMO_PRESET,
      setting: settingText(spec),
      seconds: (performance.now() - started) / 1000,
      ...files,
      rows: aggregate(summary.records),
      findings: learningCurveFindings(summary.records),
    };
    if (flags.json) printJson(io, report);
    else io.stdout(formatDemo({ ...report, dir: path.resolve(out) }));
    checkFailures(summary);
  });
}
