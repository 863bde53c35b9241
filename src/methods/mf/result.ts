/**
 * The MF result: the accumulators of each branch (docs/mf.md, "Samples") turned into the
 * observables of THEORY.md section 4, under the SGLD result's names, plus convergence, rho (ARD)
 * and the branches. Plain data (JSON-ready: NaN is null) plus the non-enumerable `predictions`.
 */
import { coordinatePrecisions, rhoMarginals } from './ard.js';
import type { RhoMarginals } from './ard.js';
import { summariseMarginal } from '../marginal.js';
import type { Marginal } from '../marginal.js';
import type { MfCeiling } from './ceiling.js';
import { batchCentres, batchLine } from './convergence.js';
import type { BatchLine } from './convergence.js';
import { MF_BATCH_COLUMNS, MF_SERIES_COLUMNS } from './layout.js';
import type { MfAccumulators, MfConfig, MfData, MfState } from './particles.js';
import type { MfSpec } from './spec.js';

/** One row of a branch's time series (instantaneous particles, no time average). */
export interface MfSeriesRow {
  step: number;
  /** mean_mu r_mu^2 of the instantaneous predictor on the training set. */
  trainMse: number | null;
  /** null for custom data. */
  mS: number | null;
  /** |r_t - r_(t-1)| / |y| (null at step 0). */
  residual: number | null;
}

/** Convergence of one branch (docs/mf.md, "Convergence"). */
export interface MfConvergence {
  converged: boolean;
  /**
   * Fixed-point residual |fbar_1 - fbar_2| / |y| of the time-averaged training predictor over the
   * two halves of the sampling window (null with fewer than one sample in either half).
   */
  residual: number | null;
  /**
   * Its Monte Carlo standard error from the batch means: the root-mean-square residual of a
   * stationary run (null with fewer than 3 non-empty batches).
   */
  residualSe: number | null;
  /** Mean per-step change |fbar_t - fbar_(t-1)| / |y| over the sampling window (Langevin noise
   *  included: it scales like sqrt(dt / M) and is reported, not tested). */
  stepChange: number | null;
  /** An absolute bound the residual must also meet (null: none). */
  tol: number | null;
  /**
   * Change of mS (trainMse for custom data) over the sampling window: the slope of a weighted
   * least-squares line through the batch means, times the window.
   */
  drift: number | null;
  /** Standard error of the drift from the batch means' scatter about that line. */
  driftSe: number | null;
  driftOf: 'mS' | 'trainMse';
  /** An absolute bound |drift| must also meet (null: none). */
  driftTol: number | null;
  /** Residual and drift must be within z standard errors of zero. */
  z: number;
  /** Batches of the sampling window behind the standard errors. */
  batches: number;
}

/** What a time-averaged predictor gives on the data (docs/mf.md, "Two averages"). */
export interface PredictorObservables {
  testMse: number | null;
  trainMse: number | null;
  /** null for custom data. */
  mS: number | null;
}

/** The observables of one branch. */
export interface MfBranch extends PredictorObservables {
  init: 'prior' | 'aligned';
  /**
   * Monte Carlo standard error of mS from the batch means of the samples' own mS (null for custom
   * data): that of the step average, used for both averages (docs/mf.md, "Two averages").
   */
  mSSe: number | null;
  /**
   * The same observables of the step average (solver.average 'predictor'): the mean of each
   * sample's predictor. With average 'kernel' their gap to the reported ones measures the
   * Monte Carlo bias of the step average; with 'predictor' they are the reported ones.
   */
  stepAverage: PredictorObservables;
  q: number[];
  anisotropy: number | null;
  marginals: { relevantW: Marginal | null; irrelevantW: Marginal | null; a: Marginal };
  specialisation: number | null;
  /**
   * Precisions rho_j per coordinate at the end of the run (MF-ARD; neuron-wise: the particle mean
   * of rho_pj), null for plain MF.
   */
  rho: number[] | null;
  /** MF-ARD: rho over the relevant and irrelevant weights (src/methods/mf/ard.ts); else null. */
  rhoMarginals: RhoMarginals | null;
  converged: boolean;
  residual: number | null;
  convergence: MfConvergence;
  series: MfSeriesRow[];
  samples: number;
}

/** What `meanField()` returns: the first branch's observables at the top level. */
export interface MfResult extends Omit<MfBranch, 'init'> {
  method: 'mf' | 'mf-ard';
  spec: MfSpec;
  init: 'prior' | 'aligned' | 'both';
  /** Both branches with init "both" (prior first), else null. */
  branches: MfBranch[] | null;
  /**
   * init "both": true when the branches' mS differ by more than hysteresisTol and both converged
   * (coexisting solutions), false when they agree, null when undetermined (a branch that differs
   * has not converged; custom data) or with a single branch.
   */
  hysteresis: boolean | null;
  particles: number;
  dt: number;
  /** Ridge kappa N^(2 gamma - 1) of the residual solve. */
  ridge: number;
  /**
   * The mean-field ceiling on mS at this width, N c^2 / (1 + N c^2) with c^2 the largest
   * squared cosine of one neuron's feature with the target (THEORY.md section 10); null for
   * custom data or k = 0.
   */
  ceiling: MfCeiling | null;
  backend: string;
  version: string;
  seconds: number;
  stepsPerSecond: number;
  /** Threads the step was asked to run on (native; 1 on js, whose kernel has one). */
  threads: number;
  /** Time-averaged fbar of the first branch on the test rows (or training rows). Not in JSON. */
  predictions(split?: 'test' | 'train'): Float64Array;
}

function orNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function mse(f: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < f.length; i++) total += (f[i]! - y[i]!) ** 2;
  return total / f.length;
}

/** testMse, trainMse and mS (null without a target) of a time-averaged predictor. */
function predictorObservables(
  fbarTest: Float64Array,
  fbarTrain: Float64Array,
  data: MfData,
): PredictorObservables {
  let mS: number | null = null;
  if (data.targetTest !== null && fbarTest.length > 0) {
    let s = 0;
    for (let i = 0; i < fbarTest.length; i++) s += fbarTest[i]! * data.targetTest[i]!;
    mS = orNull(s / fbarTest.length);
  }
  return {
    testMse: fbarTest.length > 0 ? orNull(mse(fbarTest, data.yTest)) : null,
    trainMse: orNull(mse(fbarTrain, data.y)),
    mS,
  };
}

function marginal(config: MfConfig, acc: MfAccumulators, group: number): Marginal {
  const bins = config.histBins;
  const range = config.histRange * (group === 2 ? config.sigmaA : config.sigmaW);
  const counts = acc.hist.subarray(group * (bins + 2), (group + 1) * (bins + 2));
  const sums = acc.moments.subarray(group * 4, group * 4 + 4);
  return summariseMarginal(counts, sums, acc.counts[group]!, range);
}

/** The series rows (step, trainMse, mS, stepChange) of the flat accumulator. */
function seriesRows(flat: Float64Array, hasTarget: boolean): MfSeriesRow[] {
  const rows: MfSeriesRow[] = [];
  for (let i = 0; i + MF_SERIES_COLUMNS <= flat.length; i += MF_SERIES_COLUMNS) {
    rows.push({
      step: flat[i]!,
      trainMse: orNull(flat[i + 1]!),
      mS: hasTarget ? orNull(flat[i + 2]!) : null,
      residual: orNull(flat[i + 3]!),
    });
  }
  return rows;
}

/** The batches' sums of the training predictor (D = P) or of one column of batchSums (D = 1). */
function trainBatches(config: MfConfig, acc: MfAccumulators, centres: Float64Array) {
  const counts = Array.from(
    { length: config.batches },
    (_, b) => acc.batchSums[b * MF_BATCH_COLUMNS]!,
  );
  return { counts, sums: acc.sumFTrainBatch, centres };
}

function scalarBatches(
  config: MfConfig,
  acc: MfAccumulators,
  centres: Float64Array,
  column: 1 | 2,
) {
  const B = config.batches;
  const at = (b: number, c: number) => acc.batchSums[b * MF_BATCH_COLUMNS + c]!;
  return {
    counts: Array.from({ length: B }, (_, b) => at(b, 0)),
    sums: Array.from({ length: B }, (_, b) => at(b, column)),
    centres,
  };
}

/**
 * The halves' residual |fbar_1 - fbar_2| / |y| (the first batches / 2 batches against the rest,
 * the halves of the sampling window) and its standard error sqrt(variance (1/n1 + 1/n2)) / |y|:
 * the root-mean-square residual that Monte Carlo noise alone gives. null unless both halves have
 * samples (the standard error: unless the line has a variance).
 */
function halvesResidual(
  config: MfConfig,
  data: MfData,
  acc: MfAccumulators,
  line: BatchLine,
): { residual: number | null; se: number | null } {
  const { P, batches: B } = config;
  const sum1 = new Float64Array(P);
  const sum2 = new Float64Array(P);
  let n1 = 0;
  let n2 = 0;
  for (let b = 0; b < B; b++) {
    const first = 2 * b < B;
    const nb = acc.batchSums[b * MF_BATCH_COLUMNS]!;
    if (first) n1 += nb;
    else n2 += nb;
    const target = first ? sum1 : sum2;
    for (let mu = 0; mu < P; mu++) target[mu]! += acc.sumFTrainBatch[b * P + mu]!;
  }
  if (!(n1 > 0 && n2 > 0)) return { residual: null, se: null };
  let diff = 0;
  let yy = 0;
  for (let mu = 0; mu < P; mu++) {
    diff += (sum1[mu]! / n1 - sum2[mu]! / n2) ** 2;
    yy += data.y[mu]! ** 2;
  }
  const norm = Math.sqrt(yy || 1);
  return {
    residual: orNull(Math.sqrt(diff) / norm),
    se: orNull(Math.sqrt(line.variance * (1 / n1 + 1 / n2)) / norm),
  };
}

/**
 * A criterion of docs/mf.md "Convergence": |value| within z standard errors of zero and, when a
 * tolerance is set, within it. Not met when the value or its standard error is unknown.
 */
function within(value: number | null, se: number | null, z: number, tol: number | null): boolean {
  if (value === null || se === null) return false;
  return Math.abs(value) <= z * se && (tol === null || Math.abs(value) <= tol);
}

/** Everything a branch's result needs. */
export interface BranchContext {
  config: MfConfig;
  data: MfData;
  state: MfState;
  acc: MfAccumulators;
  tol: number | null;
  driftTol: number | null;
  z: number;
}

/** A branch's observables and its time-averaged predictors. */
export function buildBranch(ctx: BranchContext): {
  branch: MfBranch;
  fbarTest: Float64Array;
  fbarTrain: Float64Array;
} {
  const { config, data, state, acc } = ctx;
  const n = acc.nSamples[0]!;
  const { d, nRelevant } = config;
  const stepTest = acc.sumFTest.map((v) => v / n);
  const stepTrain = acc.sumFTrain.map((v) => v / n);
  const kernel = config.average === 'kernel';
  const fbarTest = kernel ? acc.kernelFTest.slice() : stepTest;
  const fbarTrain = kernel ? acc.kernelFTrain.slice() : stepTrain;
  const hasTarget = data.targetTest !== null && fbarTest.length > 0;
  const reported = predictorObservables(fbarTest, fbarTrain, data);
  const q = Array.from(acc.sumQ, (v) => v / n);
  let anisotropy: number | null = null;
  if (hasTarget && nRelevant > 0 && nRelevant < d) {
    const rel = q.slice(0, nRelevant).reduce((a, b) => a + b, 0) / nRelevant;
    const irr = q.slice(nRelevant).reduce((a, b) => a + b, 0) / (d - nRelevant);
    anisotropy = orNull(rel / irr);
  }
  const series = seriesRows(acc.series, hasTarget);
  const window = config.steps - config.burnIn;
  const centres = batchCentres(config);
  const driftOf = hasTarget ? 'mS' : 'trainMse';
  const driftLine = batchLine(scalarBatches(config, acc, centres, hasTarget ? 1 : 2));
  const drift = driftLine.dof > 0 ? orNull(driftLine.slope[0]! * window) : null;
  const driftSe = orNull(Math.sqrt(driftLine.variance / driftLine.sxx) * window);
  const mSSe = hasTarget ? orNull(Math.sqrt(driftLine.variance / n)) : null;
  const nStepChange = acc.nStepChange[0]!;
  const stepChange = nStepChange > 0 ? orNull(acc.sumStepChange[0]! / nStepChange) : null;
  const trainLine = batchLine(trainBatches(config, acc, centres));
  const { residual, se: residualSe } = halvesResidual(config, data, acc, trainLine);
  const converged =
    within(residual, residualSe, ctx.z, ctx.tol) && within(drift, driftSe, ctx.z, ctx.driftTol);
  const branch: MfBranch = {
    init: config.init,
    ...reported,
    mSSe,
    stepAverage: kernel ? predictorObservables(stepTest, stepTrain, data) : reported,
    q,
    anisotropy,
    marginals: {
      relevantW: nRelevant > 0 ? marginal(config, acc, 0) : null,
      irrelevantW: nRelevant < d ? marginal(config, acc, 1) : null,
      a: marginal(config, acc, 2),
    },
    specialisation: nRelevant > 0 ? orNull(acc.sumSpecialisation[0]! / n) : null,
    rho: config.ard ? coordinatePrecisions(config, state.rho) : null,
    rhoMarginals: config.ard ? rhoMarginals(config, state.rho) : null,
    converged,
    residual,
    convergence: {
      converged,
      residual,
      residualSe,
      stepChange,
      tol: ctx.tol,
      drift,
      driftSe,
      driftOf,
      driftTol: ctx.driftTol,
      z: ctx.z,
      batches: config.batches,
    },
    series,
    samples: n,
  };
  return { branch, fbarTest, fbarTrain };
}
