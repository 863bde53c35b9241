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
import { MF_SERIES_COLUMNS } from './layout.js';
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
  /** Mean per-step change |fbar_t - fbar_(t-1)| / |y| over the sampling window (Langevin noise
   *  included: it scales like sqrt(dt / M) and is reported, not tested). */
  stepChange: number | null;
  tol: number;
  /** Change of mS (trainMse for custom data) over the sampling window by a least-squares line. */
  drift: number | null;
  driftOf: 'mS' | 'trainMse';
  driftTol: number;
}

/** The observables of one branch. */
export interface MfBranch {
  init: 'prior' | 'aligned';
  testMse: number | null;
  trainMse: number | null;
  mS: number | null;
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

function marginal(config: MfConfig, acc: MfAccumulators, group: number): Marginal {
  const bins = config.histBins;
  const range = config.histRange * (group === 2 ? config.sigmaA : config.sigmaW);
  const counts = acc.hist.subarray(group * (bins + 2), (group + 1) * (bins + 2));
  const sums = acc.moments.subarray(group * 4, group * 4 + 4);
  return summariseMarginal(counts, sums, acc.counts[group]!, range);
}

/** Least-squares slope of v against t, times the window length (the change over the window). */
function drift(rows: { t: number; v: number }[], window: number): number | null {
  const pts = rows.filter((r) => Number.isFinite(r.v));
  if (pts.length < 3) return null;
  const tm = pts.reduce((s, r) => s + r.t, 0) / pts.length;
  const vm = pts.reduce((s, r) => s + r.v, 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const r of pts) {
    num += (r.t - tm) * (r.v - vm);
    den += (r.t - tm) ** 2;
  }
  return den > 0 ? (num / den) * window : null;
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

/** |fbar_1 - fbar_2| / |y| of the two halves' time averages, null unless both have samples. */
function halvesResidual(config: MfConfig, data: MfData, acc: MfAccumulators): number | null {
  const { P } = config;
  const [n1 = 0, n2 = 0] = acc.nHalf;
  if (!(n1 > 0 && n2 > 0)) return null;
  let diff = 0;
  let yy = 0;
  for (let mu = 0; mu < P; mu++) {
    const a = acc.sumFTrainHalf[mu]! / n1;
    const b = acc.sumFTrainHalf[P + mu]! / n2;
    diff += (a - b) ** 2;
    yy += data.y[mu]! ** 2;
  }
  return orNull(Math.sqrt(diff / (yy || 1)));
}

/** Everything a branch's result needs. */
export interface BranchContext {
  config: MfConfig;
  data: MfData;
  state: MfState;
  acc: MfAccumulators;
  tol: number;
  driftTol: number;
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
  const fbarTest = acc.sumFTest.map((v) => v / n);
  const fbarTrain = acc.sumFTrain.map((v) => v / n);
  const hasTarget = data.targetTest !== null && fbarTest.length > 0;
  let mS = NaN;
  if (hasTarget) {
    let s = 0;
    for (let i = 0; i < fbarTest.length; i++) s += fbarTest[i]! * data.targetTest![i]!;
    mS = s / fbarTest.length;
  }
  const q = Array.from(acc.sumQ, (v) => v / n);
  let anisotropy: number | null = null;
  if (hasTarget && nRelevant > 0 && nRelevant < d) {
    const rel = q.slice(0, nRelevant).reduce((a, b) => a + b, 0) / nRelevant;
    const irr = q.slice(nRelevant).reduce((a, b) => a + b, 0) / (d - nRelevant);
    anisotropy = orNull(rel / irr);
  }
  const series = seriesRows(acc.series, hasTarget);
  const window = config.steps - config.burnIn;
  const driftOf = hasTarget ? 'mS' : 'trainMse';
  const driftRows = series
    .filter((r) => r.step >= config.burnIn)
    .map((r) => ({ t: r.step, v: (hasTarget ? r.mS : r.trainMse) ?? NaN }));
  const driftValue = drift(driftRows, window);
  const nStepChange = acc.nStepChange[0]!;
  const stepChange = nStepChange > 0 ? orNull(acc.sumStepChange[0]! / nStepChange) : null;
  const residual = halvesResidual(config, data, acc);
  const converged =
    residual !== null &&
    residual <= ctx.tol &&
    driftValue !== null &&
    Math.abs(driftValue) <= ctx.driftTol;
  const branch: MfBranch = {
    init: config.init,
    testMse: fbarTest.length > 0 ? orNull(mse(fbarTest, data.yTest)) : null,
    trainMse: orNull(mse(fbarTrain, data.y)),
    mS: orNull(mS),
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
      stepChange,
      tol: ctx.tol,
      drift: driftValue,
      driftOf,
      driftTol: ctx.driftTol,
    },
    series,
    samples: n,
  };
  return { branch, fbarTest, fbarTrain };
}
