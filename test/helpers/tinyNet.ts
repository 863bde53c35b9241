/**
 * Ground truth for the SGLD sampler on a tiny two-layer network, computed without the sampler.
 *
 * What: the posterior exp(-ls E(theta) / kappa) x prior(theta) of THEORY.md section 3 on the data
 * of an SGLD setup (prepareSgld: the same X, y, XTest, yTest, target), and its expectations of
 * the observables sgld() reports (sgldEstimates.ts: mS, testMse of the posterior-mean predictor,
 * q_j = (1/N) sum_i E[W_ij^2] and the second and fourth moments of the marginals).
 *
 * How: self-normalised importance sampling from the prior. theta_1..theta_M are independent exact
 * prior draws (W_ij ~ N(0, sigmaW^2), a_i ~ N(0, sigmaA^2), b_i ~ N(0, sigmaB^2)) from the test
 * generator (TestRng, a stream the sampler never uses), with weights w_m = exp(-ls E(theta_m) /
 * kappa); E_post[g] ~ sum_m w_m g(theta_m) / sum_m w_m. The network is a plain re-implementation
 * of THEORY.md section 2 in double, f(x) = N^-gamma sum_i a_i phi(w_i . x / sqrt(d) + b_i); it
 * shares only phi (activate) with the code under test.
 *
 * Why it is trustworthy: the estimator is consistent for any posterior whose likelihood is
 * bounded (exp(-ls E / kappa) <= 1), with no step size, burn-in or mixing; the only error is
 * Monte Carlo error, estimated from B independent batches of draws (the spread of the batch
 * estimates h(batch mean) / sqrt(B), nonlinear h such as testMse included), and the effective
 * sample size (sum w)^2 / sum w^2 says whether the weights are degenerate. It is only practical
 * for tiny networks at moderate kappa: ESS / M falls roughly like exp(-(spread of E) / kappa).
 *
 * Parity inputs are +-1 vectors, so there are at most 2^d distinct rows: f is evaluated once per
 * distinct row (training and test) per draw.
 */
import type { SgldConfig, SgldData } from '../../src/backend/types.js';
import { activate } from '../../src/backend/js/network.js';
import type { SgldSpecInput } from '../../src/methods/sgld/spec.js';
import { TestRng } from './random.js';
import { MOMENT_NAMES, observablesOf, statsLayout, statsLength } from './sgldEstimates.js';
import type { Estimate } from './sgldEstimates.js';

/**
 * The tiny net: parity d = 3, k = 2 on P = 6 points, N = 2 erf neurons, gamma 1/2, unit prior:
 * 8 parameters, at most 8 distinct inputs.
 */
export function tinyNetSpec(sampler: {
  kappa: number;
  eta: number;
  steps: number;
  chains: number;
  seed: number;
  precision?: 'float64' | 'float32';
  integrator?: 'euler' | 'baoab';
}): SgldSpecInput {
  const { precision = 'float64', ...rest } = sampler;
  return {
    task: { task: 'parity', d: 3, k: 2, P: 6, PTest: 64, seed: 11 },
    network: { N: 2, activation: 'erf' },
    sampler: { ...rest, burnIn: Math.floor(rest.steps / 10), thin: 10, observeEvery: 0 },
    precision,
  };
}

/** The ground truth of the observables, its effective sample size and number of draws. */
export interface GroundTruth {
  estimates: Record<string, Estimate>;
  ess: number;
  draws: number;
}

/** Distinct rows of X (rows x d) and, per row, the index of its distinct row. */
function distinctRows(X: Float64Array, d: number): { rows: Float64Array[]; index: Int32Array } {
  const seen = new Map<string, number>();
  const rows: Float64Array[] = [];
  const index = new Int32Array(X.length / d);
  for (let mu = 0; mu < index.length; mu++) {
    const row = X.subarray(mu * d, mu * d + d);
    const key = row.join(',');
    let u = seen.get(key);
    if (u === undefined) {
      u = rows.length;
      seen.set(key, u);
      rows.push(row);
    }
    index[mu] = u;
  }
  return { rows, index };
}

/** Sums of one batch of weighted draws, relative to the batch's largest log weight. */
class WeightedSums {
  maxLog = -Infinity;
  w = 0;
  w2 = 0;
  readonly wL: Float64Array;
  constructor(length: number) {
    this.wL = new Float64Array(length);
  }

  add(logW: number, L: Float64Array): void {
    if (logW > this.maxLog) {
      const r = Math.exp(this.maxLog - logW);
      this.w *= r;
      this.w2 *= r * r;
      for (let i = 0; i < this.wL.length; i++) this.wL[i] = this.wL[i]! * r;
      this.maxLog = logW;
    }
    const w = Math.exp(logW - this.maxLog);
    this.w += w;
    this.w2 += w * w;
    for (let i = 0; i < L.length; i++) this.wL[i] = this.wL[i]! + w * L[i]!;
  }

  /** The weighted mean of L. */
  mean(): Float64Array {
    return this.wL.map((v) => v / this.w);
  }

  /** Adds `other` (another batch) into this one. */
  merge(other: WeightedSums): void {
    const top = Math.max(this.maxLog, other.maxLog);
    const mine = Math.exp(this.maxLog - top);
    const theirs = Math.exp(other.maxLog - top);
    this.w = this.w * mine + other.w * theirs;
    this.w2 = this.w2 * mine * mine + other.w2 * theirs * theirs;
    for (let i = 0; i < this.wL.length; i++) {
      this.wL[i] = this.wL[i]! * mine + other.wL[i]! * theirs;
    }
    this.maxLog = top;
  }
}

/** Evaluates one prior draw: log weight and stats vector (over distinct test rows). */
class TinyNet {
  private readonly train: { rows: Float64Array[]; index: Int32Array };
  private readonly test: { rows: Float64Array[]; index: Int32Array };
  private readonly fTrain: Float64Array;
  readonly fTestDistinct: Float64Array;
  private readonly targetWeight: Float64Array;

  constructor(
    private readonly config: SgldConfig,
    private readonly data: SgldData,
  ) {
    const { d } = config;
    this.train = distinctRows(data.X, d);
    this.test = distinctRows(data.XTest, d);
    this.fTrain = new Float64Array(this.train.rows.length);
    this.fTestDistinct = new Float64Array(this.test.rows.length);
    // mS(theta) = sum_u f_u targetWeight_u, targetWeight_u = (1/PTest) sum_{mu -> u} target_mu.
    this.targetWeight = new Float64Array(this.test.rows.length);
    const target = data.targetTest;
    if (!target) throw new Error('tinyNet: needs a task with a target (parity)');
    for (let mu = 0; mu < config.PTest; mu++) {
      const u = this.test.index[mu]!;
      this.targetWeight[u] = this.targetWeight[u]! + target[mu]! / config.PTest;
    }
  }

  private f(theta: Float64Array, x: Float64Array): number {
    const { N, d, gamma, activation, bias } = this.config;
    const invSqrtD = 1 / Math.sqrt(d);
    let sum = 0;
    for (let i = 0; i < N; i++) {
      let h = 0;
      for (let j = 0; j < d; j++) h += theta[i * d + j]! * x[j]!;
      h = h * invSqrtD + (bias ? theta[N * d + N + i]! : 0);
      sum += theta[N * d + i]! * activate(activation, h);
    }
    return sum * N ** -gamma;
  }

  /** -ls E(theta) / kappa. */
  logWeight(theta: Float64Array): number {
    const { rows, index } = this.train;
    for (let u = 0; u < rows.length; u++) this.fTrain[u] = this.f(theta, rows[u]!);
    let twiceE = 0;
    for (let mu = 0; mu < this.config.P; mu++) {
      twiceE += (this.fTrain[index[mu]!]! - this.data.y[mu]!) ** 2;
    }
    return (-this.config.lossScale * twiceE) / 2 / this.config.kappa;
  }

  /** The compact stats vector: f on the distinct test rows, then mS, q, moments. */
  stats(theta: Float64Array, out: Float64Array): void {
    const { N, d, nRelevant } = this.config;
    const U = this.test.rows.length;
    let mS = 0;
    for (let u = 0; u < U; u++) {
      out[u] = this.f(theta, this.test.rows[u]!);
      mS += out[u]! * this.targetWeight[u]!;
    }
    out[U] = mS;
    const m = new Float64Array(MOMENT_NAMES.length);
    for (let j = 0; j < d; j++) {
      let q = 0;
      for (let i = 0; i < N; i++) {
        const w2 = theta[i * d + j]! ** 2;
        q += w2;
        const g = j < nRelevant ? 0 : 2;
        m[g] = m[g]! + w2;
        m[g + 1] = m[g + 1]! + w2 * w2;
      }
      out[U + 1 + j] = q / N;
    }
    for (let i = 0; i < N; i++) {
      const a2 = theta[N * d + i]! ** 2;
      m[4] = m[4]! + a2;
      m[5] = m[5]! + a2 * a2;
    }
    const sizes = [N * nRelevant, N * (d - nRelevant), N];
    for (let k = 0; k < m.length; k++) out[U + 1 + d + k] = m[k]! / Math.max(1, sizes[k >> 1]!);
  }

  /** The full stats vector (f on every test row) of a compact one. */
  expand(compact: Float64Array): Float64Array {
    const { PTest, d } = this.config;
    const U = this.test.rows.length;
    const L = new Float64Array(statsLength(this.config));
    const at = statsLayout(this.config);
    for (let mu = 0; mu < PTest; mu++) L[at.fTest + mu] = compact[this.test.index[mu]!]!;
    L.set(compact.subarray(U, U + 1 + d + MOMENT_NAMES.length), at.mS);
    return L;
  }

  compactLength(): number {
    return this.test.rows.length + 1 + this.config.d + MOMENT_NAMES.length;
  }
}

/** Prior standard deviation of each parameter, flattened as W, a, b. */
function priorScales(config: SgldConfig): Float64Array {
  const { N, d, bias } = config;
  const scales = new Float64Array(N * d + N + (bias ? N : 0));
  scales.fill(config.sigmaW, 0, N * d);
  scales.fill(config.sigmaA, N * d, N * d + N);
  if (bias) scales.fill(config.sigmaB, N * d + N);
  return scales;
}

/**
 * The posterior expectations of the observables on `setup`'s data by importance sampling from
 * the prior: `draws` prior draws in `batches` independent batches (the SE is the spread of the
 * batch estimates / sqrt(batches)), seeded by `seed`.
 */
export function tinyNetGroundTruth(
  setup: { config: SgldConfig; data: SgldData },
  options: { draws: number; seed: number; batches?: number },
): GroundTruth {
  const { config, data } = setup;
  const batches = options.batches ?? 40;
  const perBatch = Math.ceil(options.draws / batches);
  const net = new TinyNet(config, data);
  const scales = priorScales(config);
  const nParams = scales.length;
  const rng = new TestRng(options.seed);
  const chunk = 4096;
  const compact = new Float64Array(net.compactLength());
  const batchSums: WeightedSums[] = [];
  for (let b = 0; b < batches; b++) {
    const sums = new WeightedSums(compact.length);
    for (let done = 0; done < perBatch; done += chunk) {
      const n = Math.min(chunk, perBatch - done);
      const z = rng.gaussian(n * nParams);
      for (let m = 0; m < n; m++) {
        const theta = z.subarray(m * nParams, (m + 1) * nParams);
        for (let p = 0; p < nParams; p++) theta[p] = theta[p]! * scales[p]!;
        net.stats(theta, compact);
        sums.add(net.logWeight(theta), compact);
      }
    }
    batchSums.push(sums);
  }
  const total = new WeightedSums(compact.length);
  for (const s of batchSums) total.merge(s);
  const value = observablesOf(config, data, net.expand(total.mean()));
  const perBatchValues = batchSums.map((s) => observablesOf(config, data, net.expand(s.mean())));
  const estimates: Record<string, Estimate> = {};
  for (const name of Object.keys(value)) {
    const xs = perBatchValues.map((o) => o[name]!);
    const m = xs.reduce((s, x) => s + x, 0) / batches;
    const variance = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (batches - 1);
    estimates[name] = { value: value[name]!, se: Math.sqrt(variance / batches) };
  }
  return { estimates, ess: (total.w * total.w) / total.w2, draws: perBatch * batches };
}
