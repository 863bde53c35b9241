/**
 * Time to an answer (`npm run bench -- --time-to-answer`): the wall time a user waits until an
 * SGLD run's reported observables are within their own error bars of the long-run answer, not
 * only the time per step. BENCHMARKS.md, "Time to an answer", states the definition; in short:
 *
 * - One reference run of L steps per (config, precision) with 2 chains, every `thin`-th state
 *   kept from step 0 (burn-in 0), so the per-sample traces of mS and of the sample test MSE cover
 *   the whole run. Its second half [L/2, L) is the reference answer, with Monte Carlo standard
 *   errors from the ESS.
 * - The answer of a run of n steps (burn-in n/2, as `sgld()` defaults) is read off the same
 *   traces: the samples in [n/2, n). A run of n steps with the same seed follows the same
 *   trajectory for its n steps (nothing in a step depends on the run's length), so this is that
 *   run's answer at thinning `thin` (its default thinning keeps every ceil(n/2000)-th state
 *   instead; the trajectory is the same, the kept subset differs).
 * - Steps to answer: the smallest n on a geometric grid up to L/10 where split R-hat of mS over
 *   those samples is below 1.1 and both mS and the sample test MSE are within 2 combined standard
 *   errors, 2 sqrt(se_n^2 + se_ref^2), of the reference (the run's own error bar and the
 *   reference's). Time to answer: those steps times the measured wall time per step.
 *
 * The wall time per step is measured on the kernel calls themselves (sampling every `thin` steps
 * included; data generation and the step-size estimate, the setup, are not): the reference run
 * on 2 threads, and a 1-thread run of the first L/10 steps, which must reproduce the reference
 * run's traces bitwise (docs/sgld.md, "Threads"); that is checked here.
 *
 * Each config carries a `sampler` override, so another sampler (an integrator, a friction) is one
 * more row with the same definition.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend, SgldAccumulators } from '../src/backend/types.js';
import {
  effectiveSampleSize,
  monteCarloStandardError,
  splitRhat,
} from '../src/methods/sgld/diagnostics.js';
import { createSgldAccumulators, sgldSampleCount } from '../src/methods/sgld/layout.js';
import { prepareSgld } from '../src/methods/sgld/run.js';
import { parseSgldSpec, type SamplerSpecInput } from '../src/methods/sgld/spec.js';
import { table } from './harness.js';

/** Split R-hat of mS must be below this at the answer. */
export const RHAT_MAX = 1.1;
/** Observables must be within this many combined standard errors of the reference. */
export const Z = 2;
/** Chains of every run (R-hat needs two). */
const CHAINS = 2;
/** Samples per chain of the smallest prefix (diagnostics need 8). */
const MIN_PREFIX_SAMPLES = 8;

export interface TtaConfig {
  /** Row label, e.g. "small". */
  name: string;
  /** Parity task (k relevant of d coordinates), P training and PTest test points. */
  d: number;
  k: number;
  P: number;
  PTest: number;
  N: number;
  kappa: number;
  /** Steps of the reference run, L (a multiple of 20 thin). */
  steps: number;
  /** Every thin-th state is kept. */
  thin: number;
  /** Sampler fields on top of the defaults (e.g. another integrator); {} for plain SGLD. */
  sampler: Partial<SamplerSpecInput>;
  /** Label of the sampler column. */
  samplerName: string;
}

export interface TtaSizes {
  configs: TtaConfig[];
  precisions: ('float64' | 'float32')[];
}

/** Mean and Monte Carlo standard error of one observable over a window of every chain. */
export interface Estimate {
  mean: number;
  se: number | null;
}

/** What a run of n steps reports, and whether it counts as the answer. */
export interface PrefixAnswer {
  steps: number;
  rhat: number | null;
  mS: Estimate;
  testMse: Estimate;
  /** Within Z combined standard errors of the reference, mS and test MSE; R-hat below RHAT_MAX. */
  reached: boolean;
}

export interface TtaAnalysis {
  reference: {
    mS: Estimate;
    testMse: Estimate;
    /** Split R-hat and ESS of mS over the reference window. */
    rhat: number | null;
    ess: number | null;
    steps: number;
  };
  prefixes: PrefixAnswer[];
  /** The first prefix that reached the answer; null when none did or the reference itself has
   *  not converged (its split R-hat of mS not below RHAT_MAX). */
  answer: PrefixAnswer | null;
  referenceConverged: boolean;
}

/** Per-sample traces of one run: chain c's samples are trace[c S .. c S + S). */
export interface Traces {
  mS: Float64Array;
  testMse: Float64Array;
  chains: number;
  /** Samples per chain, at steps 0, thin, 2 thin, ... */
  samples: number;
  thin: number;
}

function window(trace: Float64Array, t: Traces, from: number, to: number): Float64Array[] {
  return Array.from({ length: t.chains }, (_, c) =>
    trace.subarray(c * t.samples + from, c * t.samples + to),
  );
}

function estimate(chains: Float64Array[]): Estimate {
  let sum = 0;
  let count = 0;
  for (const c of chains) {
    for (const v of c) sum += v;
    count += c.length;
  }
  return { mean: sum / count, se: monteCarloStandardError(chains) };
}

/** The samples at steps in [from, to): indices [ceil(from / thin), ceil(to / thin)). */
function stepWindow(t: Traces, from: number, to: number): [number, number] {
  return [Math.ceil(from / t.thin), Math.min(t.samples, Math.ceil(to / t.thin))];
}

/**
 * Prefix lengths n: 16 thin x {1, 1.5, 2, 3, 4, 6, ...} up to `max`; every n a multiple of
 * 2 thin, so that a run of n steps with burn-in n/2 and thinning thin keeps exactly the samples
 * in [n/2, n), and the smallest holds 8 samples per chain.
 */
export function prefixGrid(thin: number, max: number): number[] {
  const grid: number[] = [];
  for (let base = 2 * MIN_PREFIX_SAMPLES * thin; base <= max; base *= 2) {
    grid.push(base);
    if (base * 1.5 <= max) grid.push(base * 1.5);
  }
  return grid;
}

/** How many combined standard errors x is from the reference; null without both errors. */
export function deviation(x: Estimate, ref: Estimate): number | null {
  if (x.se === null || ref.se === null) return null;
  return Math.abs(x.mean - ref.mean) / Math.hypot(x.se, ref.se);
}

function within(x: Estimate, ref: Estimate): boolean {
  const z = deviation(x, ref);
  return z !== null && z <= Z;
}

/** The reference answer (second half of the run) and every prefix's answer. */
export function analyseTraces(t: Traces): TtaAnalysis {
  const L = t.samples * t.thin;
  const [r0, r1] = stepWindow(t, L / 2, L);
  const reference = {
    mS: estimate(window(t.mS, t, r0, r1)),
    testMse: estimate(window(t.testMse, t, r0, r1)),
    rhat: splitRhat(window(t.mS, t, r0, r1)),
    ess: effectiveSampleSize(window(t.mS, t, r0, r1)),
    steps: L,
  };
  const prefixes = prefixGrid(t.thin, L / 10).map((steps): PrefixAnswer => {
    const [p0, p1] = stepWindow(t, steps / 2, steps);
    const mSChains = window(t.mS, t, p0, p1);
    const rhat = splitRhat(mSChains);
    const mS = estimate(mSChains);
    const testMse = estimate(window(t.testMse, t, p0, p1));
    const reached =
      rhat !== null &&
      rhat < RHAT_MAX &&
      within(mS, reference.mS) &&
      within(testMse, reference.testMse);
    return { steps, rhat, mS, testMse, reached };
  });
  const referenceConverged = reference.rhat !== null && reference.rhat < RHAT_MAX;
  const answer = referenceConverged ? (prefixes.find((p) => p.reached) ?? null) : null;
  return { reference, prefixes, answer, referenceConverged };
}

export interface TimedRun {
  traces: Traces;
  /** Wall seconds per step of the kernel calls. */
  secondsPerStep: number;
  /** CPU time over wall time: the cores the process got. */
  cores: number;
  /** Seconds of prepareSgld (data, initial state, step size). */
  setupSeconds: number;
  eta: number;
}

/** One run of `steps` steps of `cfg` on `threads` threads, every thin-th state kept. */
export async function timedRun(
  native: Backend,
  cfg: TtaConfig,
  precision: 'float64' | 'float32',
  steps: number,
  threads: number,
): Promise<TimedRun> {
  const spec = parseSgldSpec({
    task: { task: 'parity', d: cfg.d, k: cfg.k, P: cfg.P, PTest: cfg.PTest, seed: 1 },
    network: { N: cfg.N },
    sampler: {
      kappa: cfg.kappa,
      steps,
      burnIn: 0,
      thin: cfg.thin,
      observeEvery: 0,
      chains: CHAINS,
      seed: 1,
      ...cfg.sampler,
    },
    precision,
  });
  const setupStart = performance.now();
  const setup = await prepareSgld(spec, native, { threads });
  const setupSeconds = (performance.now() - setupStart) / 1e3;
  const acc: SgldAccumulators = createSgldAccumulators(setup.config);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = native.sgldRun(setup.config, setup.data, setup.state, acc, 0, steps);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (r.stepsDone !== steps) {
    throw new Error(
      `time to answer, ${cfg.name} ${precision}: stopped after ${r.stepsDone} of ${steps} steps` +
        (r.divergedChain >= 0 ? ` (diverged in chain ${r.divergedChain})` : ''),
    );
  }
  return {
    traces: {
      mS: acc.traceMS,
      testMse: acc.traceTestMse,
      chains: CHAINS,
      samples: sgldSampleCount(setup.config),
      thin: cfg.thin,
    },
    secondsPerStep: ms / 1e3 / steps,
    cores: (used.user + used.system) / 1000 / ms,
    setupSeconds,
    eta: setup.config.eta,
  };
}

/** Throws unless `short`'s traces are bitwise the first samples of `long`'s. */
function checkPrefix(short: Traces, long: Traces, what: string): void {
  for (const key of ['mS', 'testMse'] as const) {
    for (let c = 0; c < short.chains; c++) {
      for (let s = 0; s < short.samples; s++) {
        const a = short[key][c * short.samples + s]!;
        const b = long[key][c * long.samples + s]!;
        if (!Object.is(a, b)) {
          throw new Error(
            `time to answer, ${what}: the 1-thread run of ${short.samples * short.thin} steps ` +
              `differs from the reference run at chain ${c}, sample ${s} of ${key} (${a} vs ${b})`,
          );
        }
      }
    }
  }
}

const fixed = (x: number, digits: number): string =>
  Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(1);

function formatEstimate(e: Estimate): string {
  return e.se === null ? `${fixed(e.mean, 4)} ± -` : `${fixed(e.mean, 4)} ± ${fixed(e.se, 4)}`;
}

function prefixNote(p: PrefixAnswer, ref: TtaAnalysis['reference']): string {
  const z = (x: Estimate, r: Estimate) => deviation(x, r)?.toFixed(1) ?? '-';
  return (
    `${p.steps}: ${p.rhat?.toFixed(2) ?? '-'}, ${z(p.mS, ref.mS)} / ${z(p.testMse, ref.testMse)}` +
    (p.reached ? ' yes' : '')
  );
}

/** The table and its note: rows per config x precision x threads (1, 2). */
export async function timeToAnswerTable(native: Backend, sizes: TtaSizes): Promise<string> {
  const loadBefore = os.loadavg()[0]!;
  const started = performance.now();
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const cfg of sizes.configs) {
    for (const precision of sizes.precisions) {
      const what = `${cfg.name} ${precision}`;
      const long = await timedRun(native, cfg, precision, cfg.steps, 2);
      const short = await timedRun(native, cfg, precision, cfg.steps / 10, 1);
      checkPrefix(short.traces, long.traces, what);
      const a = analyseTraces(long.traces);
      const ref = a.reference;
      for (const [threads, run] of [
        [1, short],
        [2, long],
      ] as const) {
        const n = a.answer?.steps;
        rows.push([
          `${cfg.name}: parity d = ${cfg.d}, k = ${cfg.k}, N = ${cfg.N}, P = ${cfg.P}, ` +
            `PTest = ${cfg.PTest}, kappa = ${cfg.kappa}, ${cfg.samplerName}`,
          precision,
          `${threads}`,
          (run.secondsPerStep * 1e3).toFixed(3),
          run.cores.toFixed(2),
          n !== undefined
            ? `${n}`
            : `not reached within L/10 = ${cfg.steps / 10}` +
              (a.referenceConverged ? '' : ' (reference not converged)'),
          n === undefined ? 'not reached' : (n * run.secondsPerStep).toPrecision(3),
          `${formatEstimate(ref.mS)}; ${formatEstimate(ref.testMse)}`,
          `${ref.rhat?.toFixed(3) ?? '-'}, ${ref.ess?.toFixed(0) ?? '-'}`,
          a.answer?.rhat != null ? a.answer.rhat.toFixed(3) : '-',
        ]);
      }
      notes.push(
        `${what}: L = ${cfg.steps}, thin ${cfg.thin}, eta = ${long.eta.toPrecision(3)}, ` +
          `setup ${long.setupSeconds.toFixed(2)} s; answer at n = ` +
          (a.answer
            ? `${a.answer.steps}: mS ${formatEstimate(a.answer.mS)}, test MSE ` +
              formatEstimate(a.answer.testMse)
            : 'none') +
          `; prefixes (n: R-hat, SE off in mS / test MSE, reached) ` +
          a.prefixes.map((p) => prefixNote(p, ref)).join(', '),
      );
    }
  }
  const loadAfter = os.loadavg()[0]!;
  return (
    table(
      [
        'config',
        'precision',
        'threads',
        'ms / step',
        'cores obtained',
        'steps to answer',
        'time to answer (s)',
        'reference answer: mS ± SE; sample test MSE ± SE',
        'reference R-hat(mS), ESS(mS)',
        'R-hat(mS) at the answer',
      ],
      rows,
    ) +
    `\n\nOne run of L steps per config and precision (2 chains, seed 1, data seed 1, every ` +
    `thin-th state kept from step 0), on 2 threads; the 1-thread row times a run of ` +
    `the first L/10 steps, checked bitwise equal to it. Reference answer: the samples in ` +
    `[L/2, L), mean ± Monte Carlo SE (sd / sqrt(ESS)). Steps to answer: the smallest n on the ` +
    `grid 16 thin x {1, 1.5, 2, 3, ...} <= L/10 such that the samples in [n/2, n) (a run of n ` +
    `steps with its default burn-in n/2) have split R-hat(mS) < ${RHAT_MAX} and mS and the ` +
    `sample test MSE within ${Z} sqrt(se_n^2 + se_ref^2) of the reference. Time to answer: ` +
    `steps x ms / step (kernel only; setup not counted). A reference whose R-hat is at or above ` +
    `${RHAT_MAX} has not converged itself: no answer is reported against it. Cores obtained: CPU time over wall ` +
    `time. 1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} ` +
    `after, on ${os.availableParallelism()} CPU threads; ` +
    `${((performance.now() - started) / 1e3).toFixed(0)} s in all.\n\n` +
    notes.map((n) => `- ${n}`).join('\n')
  );
}

const SGLD = { sampler: {}, samplerName: 'SGLD (Euler)' };
/** Underdamped Langevin at the same eta (h^2 / 2 = eta) and its default friction (docs/sgld.md). */
const BAOAB = { sampler: { integrator: 'baoab' as const }, samplerName: 'BAOAB' };
const SMALL = { name: 'small', d: 10, k: 2, N: 64, P: 100, PTest: 1000, kappa: 0.01, thin: 10 };
const MEDIUM = { name: 'medium', d: 12, k: 2, N: 256, P: 400, PTest: 1000, kappa: 0.05, thin: 20 };

/** The Euler rows took 245-346 s on this 2-core machine under load 5-7.5 (BENCHMARKS.md); the BAOAB rows as long again. */
export const TTA_FULL: TtaSizes = {
  configs: [
    { ...SMALL, steps: 200_000, ...SGLD },
    { ...SMALL, steps: 200_000, ...BAOAB },
    { ...MEDIUM, steps: 160_000, ...SGLD },
    { ...MEDIUM, steps: 160_000, ...BAOAB },
  ],
  precisions: ['float64', 'float32'],
};

/** About half a minute under load. */
export const TTA_QUICK: TtaSizes = {
  configs: [
    { ...SMALL, steps: 100_000, ...SGLD },
    { ...SMALL, steps: 100_000, ...BAOAB },
  ],
  precisions: ['float64', 'float32'],
};
