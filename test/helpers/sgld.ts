/**
 * SGLD kernel test fixtures: a small resolved config, task data with its clean test target, the
 * prior initial state of docs/sgld.md, chunked runs, and comparisons of whole runs.
 */
import assert from 'node:assert/strict';
import { hermite } from '../../src/backend/js/tasks.js';
import type {
  Backend,
  NetworkParams,
  NetworkShape,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldRunResult,
  SgldState,
  TaskKind,
} from '../../src/backend/types.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { sampleNetworkPrior } from '../../src/network/network.js';
import { Purpose, streamId } from '../../src/rng/streams.js';
import { jsBackend } from './backends.js';
import { assertBitIdentical, relativeError } from './compare.js';

/**
 * P = 60, d = 6, N = 16, 2 chains, 1000 steps on parity(6, 2): stable and quick on js. Full batch
 * (B = P) unless batchSize is given.
 */
export function sgldConfig(overrides: Partial<SgldConfig> = {}): SgldConfig {
  return {
    P: 60,
    d: 6,
    N: 16,
    PTest: 40,
    chains: 2,
    gamma: 0.5,
    activation: 'relu',
    bias: false,
    kappa: 0.05,
    eta: 1e-2,
    lossScale: 1,
    sigmaW: 1,
    sigmaA: 1,
    sigmaB: 1,
    batchSize: overrides.P ?? 60,
    freezeW: false,
    mala: false,
    seed: 2024,
    steps: 1000,
    burnIn: 200,
    thin: 7,
    observeEvery: 50,
    nRelevant: 2,
    histBins: 20,
    histRange: 3,
    precision: 'float64',
    threads: 1,
    ...overrides,
  };
}

/** Task data for `config` (train and test rows of one task), targetTest null for 'custom'. */
export function sgldData(config: SgldConfig, kind: TaskKind | 'custom' = 'parity'): SgldData {
  const { P, PTest, d } = config;
  const k = kind === 'custom' ? 2 : config.nRelevant;
  const task = kind === 'custom' ? 'single-index' : kind;
  const params = { kind: task, d, k, labelNoise: 0.1, seed: 7 } as const;
  const data = {
    X: new Float64Array(P * d),
    y: new Float64Array(P),
    XTest: new Float64Array(PTest * d),
    yTest: new Float64Array(PTest),
  };
  jsBackend.generateTaskRows(params, { test: false, rowOffset: 0, X: data.X, y: data.y });
  jsBackend.generateTaskRows(params, { test: true, rowOffset: 0, X: data.XTest, y: data.yTest });
  if (kind === 'custom') return { ...data, targetTest: null };
  return { ...data, targetTest: cleanTarget(kind, d, k, data.XTest) };
}

/** chi_S(x) = x_0 ... x_{k-1} (parity) or He_k(x_0) / sqrt(k!) (single-index). */
function cleanTarget(kind: TaskKind, d: number, k: number, X: Float64Array): Float64Array {
  const n = X.length / d;
  let factorial = 1;
  for (let i = 2; i <= k; i++) factorial *= i;
  return Float64Array.from({ length: n }, (_, mu) => {
    if (kind === 'single-index') return hermite(k, X[mu * d]!) / Math.sqrt(factorial);
    let product = 1;
    for (let j = 0; j < k; j++) product *= X[mu * d + j]!;
    return product;
  });
}

/**
 * The initial state of docs/sgld.md: chain c is sampleNetworkPrior(network, d, seed, c); with
 * BAOAB its momenta are N(0, kappa) from stream momentumInit/c.
 */
export function initialState(config: SgldConfig): SgldState {
  const { N, d, chains, bias } = config;
  const nParams = N * d + N + (bias ? N : 0);
  const state: SgldState = {
    W: new Float64Array(chains * N * d),
    a: new Float64Array(chains * N),
    b: bias ? new Float64Array(chains * N) : null,
  };
  if (config.integrator === 'baoab') {
    state.momentum = new Float64Array(chains * nParams);
    for (let c = 0; c < chains; c++) {
      const momentum = state.momentum.subarray(c * nParams, (c + 1) * nParams);
      jsBackend.fillGaussian(config.seed, streamId(Purpose.momentumInit, c), 0, momentum);
      for (let p = 0; p < nParams; p++) momentum[p]! *= Math.sqrt(config.kappa);
    }
  }
  const spec = {
    N,
    gamma: config.gamma,
    activation: config.activation,
    bias,
    sigmaW: config.sigmaW,
    sigmaA: config.sigmaA,
    sigmaB: config.sigmaB,
  };
  for (let c = 0; c < chains; c++) {
    const net = sampleNetworkPrior(spec, d, config.seed, c, { backend: jsBackend });
    state.W.set(net.W, c * N * d);
    state.a.set(net.a, c * N);
    if (state.b && net.b) state.b.set(net.b, c * N);
  }
  return state;
}

/** Chain c's parameters as views into `state`. */
export function chainParams(config: SgldConfig, state: SgldState, c: number): NetworkParams {
  const { N, d } = config;
  return {
    W: state.W.subarray(c * N * d, (c + 1) * N * d),
    a: state.a.subarray(c * N, (c + 1) * N),
    b: state.b ? state.b.subarray(c * N, (c + 1) * N) : null,
  };
}

/** The network shape of `config` on `rows` input rows. */
export function networkShape(config: SgldConfig, rows: number): NetworkShape {
  const { d, N, gamma, activation, bias } = config;
  return { P: rows, d, N, gamma, activation, bias };
}

export function cloneState(state: SgldState): SgldState {
  return {
    W: state.W.slice(),
    a: state.a.slice(),
    b: state.b ? state.b.slice() : null,
    ...(state.momentum && { momentum: state.momentum.slice() }),
  };
}

/** A whole run: final state, accumulators and the result of every call. */
export interface SgldRunOutcome {
  state: SgldState;
  acc: SgldAccumulators;
  results: SgldRunResult[];
}

/**
 * Runs `config` from its initial state through the calls [bounds[0], bounds[1]),
 * [bounds[1], bounds[2]), ... (default: one call for the whole run).
 */
export function runSgld(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  bounds: number[] = [0, config.steps],
): SgldRunOutcome {
  const state = initialState(config);
  const acc = createSgldAccumulators(config);
  const results: SgldRunResult[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    results.push(backend.sgldRun(config, data, state, acc, bounds[i]!, bounds[i + 1]!));
  }
  return { state, acc, results };
}

const STATE_KEYS = ['W', 'a', 'b', 'momentum'] as const;

/** Every state array and accumulator holds the same bits in both runs. */
export function assertSameRun(actual: SgldRunOutcome, expected: SgldRunOutcome): void {
  for (const key of STATE_KEYS) {
    const x = actual.state[key] ?? null;
    const y = expected.state[key] ?? null;
    if (x === null || y === null) assert.equal(x, y, `state.${key}`);
    else assertBitIdentical(x, y, `state.${key}`);
  }
  for (const key of Object.keys(expected.acc) as (keyof SgldAccumulators)[]) {
    assertBitIdentical(actual.acc[key], expected.acc[key], `acc.${key}`);
  }
}

/** Histogram counts that may move between neighbouring bins, per (chain, group). */
export const HIST_SLACK = 2;

/**
 * Agreement of two backends' runs: every state array and every accumulator within `tolerance`
 * relative (norm sense); histogram counts exactly equal except a total absolute difference of at
 * most HIST_SLACK per (chain, group), because a value within rounding of a bin edge may land in
 * either neighbour when the two sides differ in the last bits.
 */
export function assertRunsAgree(
  actual: SgldRunOutcome,
  expected: SgldRunOutcome,
  config: SgldConfig,
  tolerance: number,
  label: string,
): void {
  assert.deepEqual(actual.results, expected.results, `${label}: run results`);
  for (const key of STATE_KEYS) {
    const x = actual.state[key] ?? null;
    const y = expected.state[key] ?? null;
    if (x === null || y === null) assert.equal(x, y, `${label}: state.${key}`);
    else assertClose(x, y, tolerance, `${label}: state.${key}`);
  }
  for (const key of Object.keys(expected.acc) as (keyof SgldAccumulators)[]) {
    if (key === 'hist') assertHistogramsAgree(actual.acc.hist, expected.acc.hist, config, label);
    else assertClose(actual.acc[key], expected.acc[key], tolerance, `${label}: acc.${key}`);
  }
}

/** Relative agreement; NaN (mS without a target) must sit at the same places in both. */
export function assertClose(
  x: Float64Array,
  y: Float64Array,
  tolerance: number,
  what: string,
): void {
  assert.equal(x.length, y.length, `${what}: lengths differ`);
  for (let i = 0; i < x.length; i++) {
    assert.equal(Number.isNaN(x[i]), Number.isNaN(y[i]), `${what}: NaN at ${i} on one side only`);
  }
  const keep = (_: number, i: number) => !Number.isNaN(y[i]!);
  const error = relativeError(x.filter(keep), y.filter(keep));
  assert.ok(error <= tolerance, `${what}: relative error ${error} > ${tolerance}`);
}

function assertHistogramsAgree(
  x: Float64Array,
  y: Float64Array,
  config: SgldConfig,
  label: string,
): void {
  assert.equal(x.length, y.length, `${label}: hist lengths`);
  const width = config.histBins + 2;
  for (let g = 0; g < x.length / width; g++) {
    let difference = 0;
    let total = 0;
    for (let i = g * width; i < (g + 1) * width; i++) {
      difference += Math.abs(x[i]! - y[i]!);
      total += x[i]! - y[i]!;
    }
    assert.equal(total, 0, `${label}: hist group ${g} has different totals`);
    assert.ok(difference <= HIST_SLACK, `${label}: hist group ${g} differs by ${difference}`);
  }
}

/**
 * `skip` option of a test of `backend`'s SGLD kernel: false when it has one, else the reason (a
 * native addon built before the kernel existed loads but has no sgldRun), so the runner reports
 * a skip instead of a pass.
 */
export function skipUnlessSgld(backend: Backend | undefined): string | false {
  if (!backend) return 'backend unavailable';
  if (typeof backend.sgldRun === 'function' && typeof backend.sgldRunAsync === 'function') {
    return false;
  }
  return `the ${backend.name} backend has no sgldRun yet (its kernel is not built or not bound)`;
}
