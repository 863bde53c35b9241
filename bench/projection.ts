/**
 * The paper-scale projection (`npm run bench -- --projection`): what the paper's runs cost on this
 * machine, measured as a user would, with the CLI, on short slices extrapolated. Each slice pair
 * runs the same command with S1 and S2 steps; (t2 - t1) / (S2 - S1) is the time per step without
 * the setup (process start, data generation, eta), which the difference removes.
 *
 * 1. One paper-scale SGLD point (parity d = 35, k = 4, N = 512, P = 2048, PTest = 10000, 2
 *    chains, 7.5M steps) in float64 and float32 on 1 and 2 threads. The slices sample once (burn-in
 *    S - 1, no series); the paper run's own samples and series (thin 3750, observe every 37500)
 *    add about 2 chains x 1200 test-set forward passes, under 0.1% of its 7.5M steps.
 * 2. The whole paper-scale `parity-learning-curve` preset in core-hours: SGLD per-step time
 *    linear in P through slices at P = 2048 and 8192 (float64, one thread, as the preset runs);
 *    MF and MF-ARD (M = 2048, 8000 steps, sampled every 20 and observed every 40 steps as the
 *    preset's slices are) measured at P = 1000 and 2000 (Cholesky solve) and linear in P through
 *    P = 4000 and 8000 (Woodbury, whose M x M SYRK is linear in P) beyond. MF-ARD costs as MF (its
 *    rho update is O(M d)). KRR and the eigenlearning curve are left out (minutes in all).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'bin', 'mfl.js');

const PAPER = { d: 35, k: 4, N: 512, PTest: 10000, kappa: 0.01 };
const SGLD_STEPS = 7_500_000;
const SGLD_CHAINS = 2;
const MF_STEPS = 8000;
const MF_PARTICLES = 2048;
const PRESET_P = [1000, 2000, 4000, 8000, 16000, 32000, 64000];
const PRESET_SEEDS = 5;

export interface ProjectionSizes {
  /** Steps of the short and long SGLD slices at P = 2048. */
  sgld: [number, number];
  /** Steps of the SGLD slices at P = 8192 (0: skip the preset table). */
  sgldLarge: [number, number];
  /** MF slices per P. */
  mf: { P: number; steps: [number, number] }[];
}

/** Wall seconds of one CLI run; exit codes 0 and 3 (finished, not converged) are fine. */
function runCli(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - started) / 1e3;
  if (r.status !== 0 && r.status !== 3) {
    throw new Error(`mfl ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  }
  return seconds;
}

interface Slice {
  /** Seconds per step (every chain of the run). */
  perStep: number;
  /** Seconds of the short run: setup plus its steps. */
  short: number;
  /** 1-minute load average before the pair. */
  load: number;
}

function slice(args: (steps: number) => string[], [s1, s2]: [number, number]): Slice {
  const load = os.loadavg()[0]!;
  const short = runCli(args(s1));
  const long = runCli(args(s2));
  return { perStep: (long - short) / (s2 - s1), short, load };
}

function sgldArgs(P: number, precision: string, threads: number) {
  return (steps: number): string[] => [
    'sgld',
    ...['--task', 'parity', '--d', `${PAPER.d}`, '--k', `${PAPER.k}`, '--P', `${P}`],
    ...['--P-test', `${PAPER.PTest}`, '--N', `${PAPER.N}`, '--kappa', `${PAPER.kappa}`],
    ...['--chains', `${SGLD_CHAINS}`, '--seed', '1', '--steps', `${steps}`],
    ...['--burn-in', `${steps - 1}`, '--observe-every', '0'],
    ...['--precision', precision, '--threads', `${threads}`],
  ];
}

function mfArgs(P: number) {
  return (steps: number): string[] => [
    'mf',
    ...['--task', 'parity', '--d', `${PAPER.d}`, '--k', `${PAPER.k}`, '--P', `${P}`],
    ...['--P-test', `${PAPER.PTest}`, '--N', `${PAPER.N}`, '--kappa', `${PAPER.kappa}`],
    ...['--particles', `${MF_PARTICLES}`, '--dt', '0.0025', '--seed', '1'],
    ...['--steps', `${steps}`, '--burn-in', '0', '--sample-every', '20', '--observe-every', '40'],
  ];
}

const hours = (seconds: number): string => (seconds / 3600).toFixed(seconds < 36000 ? 1 : 0);

/** y at x on the line through (x1, y1) and (x2, y2). */
function linear(x: number, [x1, y1]: [number, number], [x2, y2]: [number, number]): number {
  return y1 + ((y2 - y1) * (x - x1)) / (x2 - x1);
}

export function projectionTables(sizes: ProjectionSizes): string {
  const out: string[] = [];
  const P = 2048;
  const rows: string[][] = [];
  const measured = new Map<string, Slice>();
  for (const precision of ['float64', 'float32']) {
    for (const threads of [1, 2]) {
      const s = slice(sgldArgs(P, precision, threads), sizes.sgld);
      measured.set(`${precision}/${threads}`, s);
      const wall = s.perStep * SGLD_STEPS;
      rows.push([
        precision,
        `${threads}`,
        (s.perStep * 1e3).toFixed(2),
        s.short.toFixed(1),
        hours(wall),
        hours(wall * threads),
        s.load.toFixed(1),
      ]);
    }
  }
  out.push(
    `One paper-scale SGLD point: parity d = ${PAPER.d}, k = ${PAPER.k}, N = ${PAPER.N}, ` +
      `P = ${P}, PTest = ${PAPER.PTest}, kappa = ${PAPER.kappa}, ${SGLD_CHAINS} chains, ` +
      `${SGLD_STEPS / 1e6}M steps; slices of ${sizes.sgld[0]} and ${sizes.sgld[1]} steps ` +
      `(\`mfl sgld ... --steps S --burn-in S-1 --observe-every 0\`).\n`,
  );
  out.push(
    table(
      [
        'precision',
        'threads',
        'ms / step (both chains)',
        `setup + ${sizes.sgld[0]} steps (s)`,
        'projected wall (h)',
        'core-hours',
        'load before',
      ],
      rows,
    ),
  );
  if (sizes.sgldLarge[1] === 0) return out.join('\n');

  // The preset: SGLD per-step time linear in P (float64, one thread).
  const large = slice(sgldArgs(8192, 'float64', 1), sizes.sgldLarge);
  const small = measured.get('float64/1')!;
  const sgldSeconds = (p: number): number =>
    linear(p, [2048, small.perStep], [8192, large.perStep]) * SGLD_STEPS;
  const mfSlices = sizes.mf.map((m) => ({ P: m.P, slice: slice(mfArgs(m.P), m.steps) }));
  const mfAt = (p: number): number => {
    const exact = mfSlices.find((m) => m.P === p);
    if (exact) return exact.slice.perStep;
    const woodbury = mfSlices.filter((m) => m.P > MF_PARTICLES);
    const [a, b] = woodbury.slice(-2);
    if (!a || !b) throw new Error('projection: two MF slices with P > M are needed');
    return linear(p, [a.P, a.slice.perStep], [b.P, b.slice.perStep]);
  };
  const mfSeconds = (p: number): number => mfAt(p) * MF_STEPS;
  const presetRows = PRESET_P.map((p) => {
    const sgld = sgldSeconds(p) * PRESET_SEEDS;
    const mf = mfSeconds(p) * PRESET_SEEDS;
    return [`${p}`, hours(sgld), hours(mf), hours(mf), hours(sgld + 2 * mf)];
  });
  const total = (f: (p: number) => number): number =>
    PRESET_P.reduce((s, p) => s + f(p) * PRESET_SEEDS, 0);
  const sgldTotal = total(sgldSeconds);
  const mfTotal = total(mfSeconds);
  presetRows.push([
    '**all**',
    hours(sgldTotal),
    hours(mfTotal),
    hours(mfTotal),
    hours(sgldTotal + 2 * mfTotal),
  ]);
  out.push(
    `\nThe paper-scale \`parity-learning-curve\` preset (\`mfl sweep parity-learning-curve ` +
      `--scale paper --list\`: SGLD, MF, MF-ARD at P = ${PRESET_P.join(', ')}, ${PRESET_SEEDS} ` +
      `seeds each), core-hours (float64, one thread per point). SGLD: ${SGLD_STEPS / 1e6}M ` +
      `steps x ${SGLD_CHAINS} chains, per step ${(small.perStep * 1e3).toFixed(2)} ms at ` +
      `P = 2048 and ${(large.perStep * 1e3).toFixed(2)} ms at P = 8192 (slices of ` +
      `${sizes.sgldLarge.join(' and ')} steps, load ${large.load.toFixed(1)}), linear in P. ` +
      `MF: ${MF_STEPS} steps of M = ${MF_PARTICLES} particles, per step ` +
      mfSlices.map((m) => `${(m.slice.perStep * 1e3).toFixed(0)} ms at P = ${m.P}`).join(', ') +
      ` (slices of ${sizes.mf.map((m) => m.steps.join('/')).join(', ')} steps), linear in P ` +
      `beyond the last. KRR and eigen points are not counted (minutes in all).\n`,
  );
  out.push(
    table(
      ['P', 'SGLD (core-h)', 'MF (core-h)', 'MF-ARD (core-h)', 'all methods (core-h)'],
      presetRows,
    ),
  );
  return out.join('\n');
}

export const PROJECTION_FULL: ProjectionSizes = {
  sgld: [200, 1000],
  sgldLarge: [100, 500],
  mf: [
    { P: 1000, steps: [20, 100] },
    { P: 2000, steps: [10, 40] },
    { P: 4000, steps: [4, 16] },
    { P: 8000, steps: [4, 12] },
  ],
};

export const PROJECTION_QUICK: ProjectionSizes = {
  sgld: [20, 60],
  sgldLarge: [0, 0],
  mf: [],
};
