/**
 * The SGLD result: the accumulators (docs/sgld.md) turned into the observables of THEORY.md
 * section 4, pooled over chains, with convergence diagnostics. Plain data (JSON-ready: NaN and
 * non-applicable values are null) plus the non-enumerable `predictions` accessor.
 */
import type { SgldAccumulators, SgldConfig, SgldData } from '../../backend/types.js';
import { effectiveSampleSize, splitRhat } from './diagnostics.js';
import { HIST_GROUPS, sgldObserveCount, sgldSampleCount } from './layout.js';
import { summariseMarginal } from '../marginal.js';
import type { Marginal } from '../marginal.js';
import { weightDecayOf } from './spec.js';
import type { SgldSpec } from './spec.js';

/** One row of the time series (chain 0). */
export interface SeriesRow {
  step: number;
  /** mean_mu (f(x_mu) - y_mu)^2 on the training set; null when P = 0. */
  trainMse: number | null;
  /** null for custom data. */
  mS: number | null;
}

/** Split R-hat and ESS of the per-sample traces (null with one chain or too few samples). */
export interface SgldDiagnostics {
  rhat: { mS: number | null; testMse: number | null };
  ess: { mS: number | null; testMse: number | null };
}

/** What `sgld()` returns. Names follow THEORY.md section 4. */
export interface SgldResult {
  method: 'sgld';
  /** The normalised spec, sampler.eta resolved. */
  spec: SgldSpec;
  /** The step size used; null when P = 0 (exact prior draws, no dynamics). */
  eta: number | null;
  /** How eta was chosen: "given" or the default rule with its numbers. */
  etaRule: string;
  /** Loss normalisation of the posterior exp(-ls E / kappa): "sum" (ls = 1) or "mean" (1/P). */
  loss: 'sum' | 'mean';
  /** Weight decay lambda = kappa / sigma^2 per layer (THEORY.md section 3). */
  weightDecay: { W: number; a: number; b: number | null };
  /** E_x (fbar(x) - y(x))^2 of the posterior-mean predictor on the test set; null without test
   *  data. */
  testMse: number | null;
  /** < E_x (f(x) - y(x))^2 > over samples. */
  sampleTestMse: number | null;
  /** As testMse on the training set; null when P = 0. */
  trainMse: number | null;
  sampleTrainMse: number | null;
  /** < E_x[f(x) chi_S(x)] > (parity) or the Hermite analogue; null for custom data. */
  mS: number | null;
  /** q_j = (1/N) sum_i < w_ij^2 >, j = 0..d-1. */
  q: number[];
  /** mean_{j in S} q_j / mean_{j not in S} q_j; null for custom data or S covering all of x. */
  anisotropy: number | null;
  marginals: {
    /** First-layer weights of relevant coordinates (j in S); null when S is empty. */
    relevantW: Marginal | null;
    irrelevantW: Marginal | null;
    a: Marginal;
  };
  /** Fraction of neurons with |w_i,S|^2 > |w_i|^2 / 2; null for custom data. */
  specialisation: number | null;
  /** (step, trainMse, mS) of chain 0 every observeEvery steps. */
  series: SeriesRow[];
  /** Metropolis acceptance rate over all chains, or null without MALA. */
  mala: { acceptance: number } | null;
  diagnostics: SgldDiagnostics;
  /** Samples per chain. */
  samplesPerChain: number;
  chains: number;
  backend: string;
  /** mfl version. */
  version: string;
  /** Wall time of the sampling done by this call (a resumed run counts only its own part). */
  seconds: number;
  stepsPerSecond: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFromStep: number;
  /**
   * Threads the chains ran on: min(threads, chains) on the native backend; 1 on js (chains one
   * after another) and for P = 0 (exact prior draws).
   */
  threads: number;
  /** The posterior-mean predictor fbar on the test rows (or the training rows). Not in JSON. */
  predictions(split?: 'test' | 'train'): Float64Array;
}

/** Everything `buildResult` needs besides the accumulators. */
export interface ResultContext {
  spec: SgldSpec;
  config: SgldConfig;
  data: SgldData;
  eta: number | null;
  etaRule: string;
  backend: string;
  version: string;
  seconds: number;
  stepsRun: number;
  resumedFromStep: number;
  threads: number;
}

function orNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function sum(values: ArrayLike<number>, start = 0, end = values.length): number {
  let total = 0;
  for (let i = start; i < end; i++) total += values[i]!;
  return total;
}

/** Per-row mean over chains of sums / samples: the pooled posterior mean of f. */
function pooledMean(sums: Float64Array, rows: number, chains: number, samples: number) {
  const out = new Float64Array(rows);
  for (let c = 0; c < chains; c++)
    for (let mu = 0; mu < rows; mu++) out[mu]! += sums[c * rows + mu]!;
  for (let mu = 0; mu < rows; mu++) out[mu] = out[mu]! / samples;
  return out;
}

function mse(f: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let mu = 0; mu < f.length; mu++) total += (f[mu]! - y[mu]!) ** 2;
  return total / f.length;
}

function marginal(config: SgldConfig, acc: SgldAccumulators, group: number): Marginal {
  const bins = config.histBins;
  const range = config.histRange * (group === 2 ? config.sigmaA : config.sigmaW);
  const counts = new Array<number>(bins + 2).fill(0);
  const m = [0, 0, 0, 0];
  for (let c = 0; c < config.chains; c++) {
    const base = (c * HIST_GROUPS + group) * (bins + 2);
    for (let k = 0; k < bins + 2; k++) counts[k]! += acc.hist[base + k]!;
    for (let p = 0; p < 4; p++) m[p]! += acc.moments[(c * HIST_GROUPS + group) * 4 + p]!;
  }
  return summariseMarginal(counts, m, sum(counts), range);
}

function traces(trace: Float64Array, chains: number, S: number, n: number): Float64Array[] {
  return Array.from({ length: chains }, (_, c) => trace.subarray(c * S, c * S + n));
}

function diagnostics(
  config: SgldConfig,
  acc: SgldAccumulators,
  n: number,
  hasTarget: boolean,
): SgldDiagnostics {
  const S = sgldSampleCount(config);
  const mS = hasTarget ? traces(acc.traceMS, config.chains, S, n) : null;
  const testMse = config.PTest > 0 ? traces(acc.traceTestMse, config.chains, S, n) : null;
  return {
    rhat: { mS: mS && splitRhat(mS), testMse: testMse && splitRhat(testMse) },
    ess: { mS: mS && effectiveSampleSize(mS), testMse: testMse && effectiveSampleSize(testMse) },
  };
}

function series(config: SgldConfig, acc: SgldAccumulators, hasTarget: boolean): SeriesRow[] {
  const O = sgldObserveCount(config);
  const rows: SeriesRow[] = [];
  // Chain 0 occupies rows [0, O); unwritten rows (a cancelled run) are skipped.
  for (let o = 0; o < O; o++) {
    const step = acc.series[3 * o]!;
    if (o > 0 && step === 0) break;
    rows.push({
      step,
      trainMse: orNull(acc.series[3 * o + 1]!),
      mS: hasTarget ? orNull(acc.series[3 * o + 2]!) : null,
    });
  }
  return rows;
}

function anisotropy(q: number[], nRelevant: number): number | null {
  const d = q.length;
  if (nRelevant === 0 || nRelevant >= d) return null;
  const relevant = sum(q, 0, nRelevant) / nRelevant;
  const irrelevant = sum(q, nRelevant) / (d - nRelevant);
  return orNull(relevant / irrelevant);
}

/** Turns the accumulators of a finished run into its result. */
export function buildResult(ctx: ResultContext, acc: SgldAccumulators): SgldResult {
  const { config, data, spec } = ctx;
  const { chains, P, PTest, d, nRelevant } = config;
  const samplesPerChain = acc.nSamples[0] ?? 0;
  const total = sum(acc.nSamples);
  const hasTarget = data.targetTest !== null;
  const fbarTest = pooledMean(acc.sumFTest, PTest, chains, total);
  const fbarTrain = pooledMean(acc.sumFTrain, P, chains, total);
  const q = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let c = 0; c < chains; c++) s += acc.sumQ[c * d + j]!;
    return s / total;
  });
  const result: Omit<SgldResult, 'predictions'> = {
    method: 'sgld',
    spec,
    eta: ctx.eta,
    etaRule: ctx.etaRule,
    loss: spec.sampler.loss,
    weightDecay: weightDecayOf(spec),
    testMse: PTest > 0 ? orNull(mse(fbarTest, data.yTest)) : null,
    sampleTestMse: PTest > 0 ? orNull(sum(acc.sumSampleTestMse) / total) : null,
    trainMse: P > 0 ? orNull(mse(fbarTrain, data.y)) : null,
    sampleTrainMse: P > 0 ? orNull(sum(acc.sumSampleTrainMse) / total) : null,
    mS: hasTarget && PTest > 0 ? orNull(sum(acc.traceMS, 0, acc.traceMS.length) / total) : null,
    q,
    anisotropy: hasTarget ? anisotropy(q, nRelevant) : null,
    marginals: {
      relevantW: nRelevant > 0 ? marginal(config, acc, 0) : null,
      irrelevantW: nRelevant < d ? marginal(config, acc, 1) : null,
      a: marginal(config, acc, 2),
    },
    specialisation: nRelevant > 0 ? orNull(sum(acc.sumSpecialisation) / total) : null,
    series: series(config, acc, hasTarget),
    mala: config.mala
      ? { acceptance: orNull(sum(acc.malaAccepted) / sum(acc.malaProposed)) ?? 0 }
      : null,
    diagnostics: diagnostics(config, acc, samplesPerChain, hasTarget),
    samplesPerChain,
    chains,
    backend: ctx.backend,
    version: ctx.version,
    seconds: ctx.seconds,
    stepsPerSecond: ctx.seconds > 0 ? ctx.stepsRun / ctx.seconds : 0,
    resumedFromStep: ctx.resumedFromStep,
    threads: ctx.threads,
  };
  Object.defineProperty(result, 'predictions', {
    value: (split: 'test' | 'train' = 'test') => (split === 'train' ? fbarTrain : fbarTest).slice(),
    enumerable: false,
  });
  return result as SgldResult;
}
