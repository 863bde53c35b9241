/**
 * Mean-field kernel test fixtures: a small resolved config, task data with its clean test target,
 * the initial particles of docs/mf.md, chunked runs, and comparisons of whole runs.
 */
import assert from 'node:assert/strict';
import { loadNative } from '../../src/binding.js';
import type {
  Backend,
  MfAccumulators,
  MfData,
  MfKernelConfig,
  MfRunResult,
  MfState,
  TaskKind,
} from '../../src/backend/types.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { initialState } from '../../src/methods/mf/particles.js';
import { jsBackend } from './backends.js';
import { assertBitIdentical, relativeError } from './compare.js';
import { HIST_SLACK, sgldConfig, sgldData } from './sgld.js';

/**
 * P = 40, d = 6, M = 48 particles, N = 64, 60 steps of dt = 0.01 on parity(6, 2), with samples
 * every 7 steps from 10 and a series row every 9: quick on js, yet every code path runs.
 */
export function mfKernelConfig(overrides: Partial<MfKernelConfig> = {}): MfKernelConfig {
  return {
    P: 40,
    d: 6,
    PTest: 30,
    M: 48,
    N: 64,
    gamma: 0.5,
    kappa: 0.05,
    sigmaW: 1,
    sigmaA: 1,
    activation: 'relu',
    dt: 0.01,
    seed: 11,
    branch: 0,
    steps: 60,
    burnIn: 10,
    sampleEvery: 7,
    observeEvery: 9,
    batches: 4,
    nRelevant: 2,
    ardAlpha0: 1,
    ardBeta0: 1,
    ardEma: 0,
    ardPrecisions: 'coordinate',
    histBins: 20,
    histRange: 3,
    solve: 'cholesky',
    average: 'kernel',
    threads: 1,
    ...overrides,
  };
}

/** Task data for `config` (parity with k = nRelevant by default; targetTest null for 'custom'). */
export function mfData(config: MfKernelConfig, kind: TaskKind | 'custom' = 'parity'): MfData {
  const { P, d, PTest, nRelevant } = config;
  return sgldData(sgldConfig({ P, d, PTest, nRelevant }), kind);
}

/** The initial state of docs/mf.md for the config's branch (0 prior, 1 aligned). */
export function mfInitialState(config: MfKernelConfig): MfState {
  const init = config.branch === 1 ? 'aligned' : 'prior';
  return initialState({ ...config, init, ard: config.ardEma > 0 }, jsBackend);
}

/** A whole run: final state, accumulators and the result of every call. */
export interface MfRunOutcome {
  state: MfState;
  acc: MfAccumulators;
  results: MfRunResult[];
}

/**
 * Runs `config` from its initial state through the calls [bounds[0], bounds[1]),
 * [bounds[1], bounds[2]), ... (default: one call for the whole run).
 */
export function runMf(
  backend: Backend,
  config: MfKernelConfig,
  data: MfData,
  bounds: number[] = [0, config.steps],
): MfRunOutcome {
  const state = mfInitialState(config);
  const acc = createMfAccumulators(config);
  const results: MfRunResult[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    results.push(backend.mfRun(config, data, state, acc, bounds[i]!, bounds[i + 1]!));
  }
  return { state, acc, results };
}

const STATE_KEYS = ['W', 'rho', 'rPrev'] as const;

/** Every state array and accumulator holds the same bits in both runs. */
export function assertSameMfRun(actual: MfRunOutcome, expected: MfRunOutcome): void {
  for (const key of STATE_KEYS) {
    assertBitIdentical(actual.state[key], expected.state[key], `state.${key}`);
  }
  for (const key of Object.keys(expected.acc) as (keyof MfAccumulators)[]) {
    assertBitIdentical(actual.acc[key], expected.acc[key], `acc.${key}`);
  }
}

/**
 * Agreement of two runs: every state array and accumulator within `tolerance` relative (norm
 * sense; NaN at the same places), except the particle histograms (groups 0 and 1), whose counts
 * may move between neighbouring bins when a value sits within rounding of a bin edge: equal
 * totals, at most HIST_SLACK moved per group. Returns the largest relative error seen.
 */
export function assertMfRunsAgree(
  actual: MfRunOutcome,
  expected: MfRunOutcome,
  config: MfKernelConfig,
  tolerance: number,
  label: string,
): number {
  assert.deepEqual(actual.results, expected.results, `${label}: run results`);
  let worst = 0;
  const check = (x: Float64Array, y: Float64Array, what: string): void => {
    const error = relativeErrorWithNaN(x, y, `${label}: ${what}`);
    assert.ok(error <= tolerance, `${label}: ${what}: relative error ${error} > ${tolerance}`);
    worst = Math.max(worst, error);
  };
  for (const key of STATE_KEYS) check(actual.state[key], expected.state[key], `state.${key}`);
  for (const key of Object.keys(expected.acc) as (keyof MfAccumulators)[]) {
    if (key !== 'hist') check(actual.acc[key], expected.acc[key], `acc.${key}`);
  }
  const width = config.histBins + 2;
  for (let g = 0; g < 2; g++) {
    const x = actual.acc.hist.subarray(g * width, (g + 1) * width);
    const y = expected.acc.hist.subarray(g * width, (g + 1) * width);
    let moved = 0;
    let total = 0;
    for (let i = 0; i < width; i++) {
      moved += Math.abs(x[i]! - y[i]!);
      total += x[i]! - y[i]!;
    }
    assert.equal(total, 0, `${label}: hist group ${g} has different totals`);
    assert.ok(moved <= HIST_SLACK, `${label}: hist group ${g} differs by ${moved}`);
  }
  check(actual.acc.hist.subarray(2 * width), expected.acc.hist.subarray(2 * width), 'hist of a');
  return worst;
}

function relativeErrorWithNaN(x: Float64Array, y: Float64Array, what: string): number {
  assert.equal(x.length, y.length, `${what}: lengths differ`);
  for (let i = 0; i < x.length; i++) {
    assert.equal(Number.isNaN(x[i]), Number.isNaN(y[i]), `${what}: NaN at ${i} on one side only`);
  }
  const keep = (_: number, i: number): boolean => !Number.isNaN(y[i]!);
  return relativeError(x.filter(keep), y.filter(keep));
}

/**
 * `skip` option of a test of `backend`'s mean-field kernel: false when it has one, else the
 * reason (an addon built before the kernel existed loads but has no mfRun), so the runner
 * reports a skip instead of a pass.
 */
export function skipUnlessMf(backend: Backend | undefined): string | false {
  if (!backend) return 'backend unavailable';
  if (backend.name !== 'native' || typeof loadNative().addon?.mfRun === 'function') return false;
  return 'the native addon has no mfRun yet (rebuild it: npm run build:native)';
}
