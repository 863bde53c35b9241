/**
 * The Rao-Blackwellised particle solver of plain MF and MF-ARD (THEORY.md sections 6-7; the exact
 * algorithm, step for step, is docs/mf.md). Pure TypeScript on the Backend interface: the three
 * products per step go through `backend.gemm`, the P x P solve through `backend.cholesky` /
 * `backend.choleskySolve`, and the Gaussians through `backend.fillGaussian`, so the same code runs
 * on the js and native backends (agreeing to BLAS rounding).
 */
import type { Activation, Backend } from '../../backend/types.js';
import { activate, activateDerivative } from '../../backend/js/network.js';
import { erf } from '../../backend/js/erf.js';
import { MflError } from '../../errors.js';
import { Purpose, streamId } from '../../rng/streams.js';

/** Branch indices (the stream index of each initial condition). */
export const BRANCH_INDEX = { prior: 0, aligned: 1 } as const;

/** Standard deviation factor of irrelevant coordinates in the aligned start (docs/mf.md). */
export const ALIGNED_IRRELEVANT_SCALE = 0.1;

/** Test rows per chunk of the test-set predictor (bounds the M x Q scratch). */
const TEST_CHUNK = 512;

/** Everything one branch's solver needs, resolved. */
export interface MfConfig {
  P: number;
  d: number;
  /** Particles M. */
  M: number;
  /** Physical width (a parameter of the potential). */
  N: number;
  gamma: number;
  kappa: number;
  sigmaW: number;
  sigmaA: number;
  activation: Activation;
  dt: number;
  seed: number;
  branch: 'prior' | 'aligned';
  steps: number;
  burnIn: number;
  sampleEvery: number;
  observeEvery: number;
  nRelevant: number;
  /** MF-ARD, or null (rho_j = 1/sigmaW^2 throughout). */
  ard: { alpha0: number; beta0: number; ema: number } | null;
  histBins: number;
  histRange: number;
}

export interface MfData {
  X: Float64Array;
  y: Float64Array;
  XTest: Float64Array;
  yTest: Float64Array;
  /** Clean target on the test inputs, null for custom data. */
  targetTest: Float64Array | null;
}

/** Time-averaged sums (docs/mf.md, "Samples"). */
export interface MfAccumulators {
  nSamples: number;
  sumFTest: Float64Array;
  sumFTrain: Float64Array;
  /** sum over samples of mean_p w_pj^2 */
  sumQ: Float64Array;
  sumSpecialisation: number;
  /** 3 groups (relevant w, irrelevant w, a) x (bins + 2); a's counts are expected counts. */
  hist: Float64Array;
  /** 3 groups x 4 raw moment sums (per value; a's from the exact Gaussian conditional). */
  moments: Float64Array;
  /** values per group (for the moments) */
  counts: Float64Array;
  /** sum over steps t >= burnIn (t >= 1) of the per-step change |r_t - r_(t-1)| / |y| */
  sumStepChange: number;
  nStepChange: number;
  /** fbar on the training set summed over the samples of each half of the sampling window */
  sumFTrainHalf: [Float64Array, Float64Array];
  nHalf: [number, number];
  /** rows (step, trainMse, mS, residual) */
  series: number[][];
}

/** The state of one branch: particles W (M x d) and the precisions rho (d). */
export interface MfState {
  W: Float64Array;
  rho: Float64Array;
  /** The residual r of the previous step (for the per-step residual), null before step 0. */
  rPrev: Float64Array | null;
}

/** The particles' phi, Lambda, residual, beta at the current state. */
interface Field {
  Phi: Float64Array;
  H: Float64Array;
  Lambda: Float64Array;
  r: Float64Array;
  beta: Float64Array;
}

export function createAccumulators(config: MfConfig, PTest: number): MfAccumulators {
  return {
    nSamples: 0,
    sumFTest: new Float64Array(PTest),
    sumFTrain: new Float64Array(config.P),
    sumQ: new Float64Array(config.d),
    sumSpecialisation: 0,
    hist: new Float64Array(3 * (config.histBins + 2)),
    moments: new Float64Array(12),
    counts: new Float64Array(3),
    sumStepChange: 0,
    nStepChange: 0,
    sumFTrainHalf: [new Float64Array(config.P), new Float64Array(config.P)],
    nHalf: [0, 0],
    series: [],
  };
}

/**
 * Initial particles: w_pj = s_j z_pj, z from stream (mfInit, branch) value p d + j; s_j = sigmaW
 * (prior), or sigmaW sqrt(d / nRelevant) for j < nRelevant and 0.1 sigmaW otherwise (aligned).
 */
export function initialState(config: MfConfig, backend: Backend): MfState {
  const { M, d, sigmaW, nRelevant, branch, seed } = config;
  const W = new Float64Array(M * d);
  backend.fillGaussian(seed, streamId(Purpose.mfInit, BRANCH_INDEX[branch]), 0, W);
  const scale = new Float64Array(d).fill(sigmaW);
  if (branch === 'aligned') {
    if (nRelevant === 0) {
      throw new MflError(
        'ERR_MFL_OUT_OF_RANGE',
        'solver.init: "aligned" needs a target set S (parity or single-index data), not custom data',
      );
    }
    for (let j = 0; j < d; j++) {
      scale[j] =
        j < nRelevant ? sigmaW * Math.sqrt(d / nRelevant) : ALIGNED_IRRELEVANT_SCALE * sigmaW;
    }
  }
  for (let p = 0; p < M; p++) for (let j = 0; j < d; j++) W[p * d + j] = W[p * d + j]! * scale[j]!;
  const rho = new Float64Array(d).fill(1 / (sigmaW * sigmaW));
  return { W, rho, rPrev: null };
}

/** Pre-activations Hs = W Xs^T / sqrt(d) (M x n) and Phis = phi(Hs). */
function features(
  backend: Backend,
  config: MfConfig,
  W: Float64Array,
  Xs: Float64Array,
  n: number,
  H: Float64Array,
  Phi: Float64Array,
): void {
  const { M, d, activation } = config;
  backend.gemm(
    { transA: false, transB: true, M, N: n, K: d, alpha: 1 / Math.sqrt(d), beta: 0 },
    W,
    Xs,
    H,
  );
  for (let i = 0; i < M * n; i++) Phi[i] = activate(activation, H[i]!);
}

/** Steps 1-4 of docs/mf.md: phi, Lambda, K_q, residual r and beta at the current particles. */
function field(backend: Backend, config: MfConfig, data: MfData, state: MfState): Field {
  const { M, P, N, gamma, kappa, sigmaA } = config;
  const H = new Float64Array(M * P);
  const Phi = new Float64Array(M * P);
  features(backend, config, state.W, data.X, P, H, Phi);
  const c = N ** (-2 * gamma) / kappa;
  const e = N ** -gamma / kappa;
  const ridge = kappa * N ** (2 * gamma - 1);
  const Lambda = new Float64Array(M);
  const Bs = new Float64Array(M * P);
  for (let p = 0; p < M; p++) {
    let s2 = 0;
    for (let mu = 0; mu < P; mu++) s2 += Phi[p * P + mu]! ** 2;
    const lam = 1 / (sigmaA * sigmaA) + c * s2;
    Lambda[p] = lam;
    const scale = 1 / Math.sqrt(M * lam);
    for (let mu = 0; mu < P; mu++) Bs[p * P + mu] = Phi[p * P + mu]! * scale;
  }
  // K_q = Bs^T Bs (P x P), then r = ridge (K_q + ridge I)^-1 y.
  const K = new Float64Array(P * P);
  backend.gemm({ transA: true, transB: false, M: P, N: P, K: M, alpha: 1, beta: 0 }, Bs, Bs, K);
  const info = backend.cholesky(K, P, ridge);
  if (info !== 0) {
    throw new MflError(
      'ERR_MFL_DIVERGED',
      `mf: K_q + ridge I is not positive definite (leading minor ${info} of ${P}, ridge ${ridge})`,
    );
  }
  const r = Float64Array.from(data.y, (v) => ridge * v);
  backend.choleskySolve(K, P, r);
  // beta = e Phi r (M).
  const beta = new Float64Array(M);
  backend.gemm({ transA: false, transB: false, M, N: 1, K: P, alpha: e, beta: 0 }, Phi, r, beta);
  return { Phi, H, Lambda, r, beta };
}

/**
 * Steps 5-7 of docs/mf.md: grad U per particle, the Langevin update of W with the Gaussians of
 * step t, and (MF-ARD) the EMA update of rho from the new particles.
 */
function langevin(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  state: MfState,
  f: Field,
  t: number,
): void {
  const { M, P, d, N, gamma, kappa, dt, activation } = config;
  const c = N ** (-2 * gamma) / kappa;
  const e = N ** -gamma / kappa;
  const g = new Float64Array(M * P);
  for (let p = 0; p < M; p++) {
    const lam = f.Lambda[p]!;
    const m = f.beta[p]! / lam;
    const self = c * (1 / lam + m * m);
    const tilt = m * e;
    for (let mu = 0; mu < P; mu++) {
      const i = p * P + mu;
      g[i] = activateDerivative(activation, f.H[i]!) * (self * f.Phi[i]! - tilt * f.r[mu]!);
    }
  }
  const G = new Float64Array(M * d);
  backend.gemm(
    { transA: false, transB: false, M, N: d, K: P, alpha: 1 / Math.sqrt(d), beta: 0 },
    g,
    data.X,
    G,
  );
  const xi = new Float64Array(M * d);
  backend.fillGaussian(
    config.seed,
    streamId(Purpose.mfNoise, BRANCH_INDEX[config.branch]),
    t * M * d,
    xi,
  );
  const noise = Math.sqrt(2 * dt);
  const { W, rho } = state;
  for (let p = 0; p < M; p++) {
    for (let j = 0; j < d; j++) {
      const i = p * d + j;
      const grad = rho[j]! * W[i]! + G[i]!;
      W[i] = W[i]! - dt * grad + noise * xi[i]!;
    }
  }
  const ard = config.ard;
  if (ard && ard.ema > 0) {
    for (let j = 0; j < d; j++) {
      let m2 = 0;
      for (let p = 0; p < M; p++) m2 += W[p * d + j]! ** 2;
      m2 /= M;
      const target = (ard.alpha0 + N / 2) / (ard.beta0 + (N / 2) * m2);
      rho[j] = (1 - ard.ema) * rho[j]! + ard.ema * target;
    }
  }
}

/** fbar on the test rows: Phi_test^T coef, coef_p = N^(1-gamma) beta_p / (M Lambda_p). */
function predictTest(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  W: Float64Array,
  coef: Float64Array,
): Float64Array {
  const { M, d } = config;
  const Q = data.yTest.length;
  const out = new Float64Array(Q);
  const rows = Math.min(Q, TEST_CHUNK);
  const H = new Float64Array(M * rows);
  const Phi = new Float64Array(M * rows);
  for (let start = 0; start < Q; start += rows) {
    const n = Math.min(rows, Q - start);
    const Hn = H.subarray(0, M * n);
    const Phin = Phi.subarray(0, M * n);
    features(backend, config, W, data.XTest.subarray(start * d, (start + n) * d), n, Hn, Phin);
    backend.gemm(
      { transA: true, transB: false, M: n, N: 1, K: M, alpha: 1, beta: 0 },
      Phin,
      coef,
      out.subarray(start, start + n),
    );
  }
  return out;
}

function coefficients(config: MfConfig, f: Field): Float64Array {
  const { M, N, gamma } = config;
  const scale = N ** (1 - gamma) / M;
  return Float64Array.from(f.beta, (b, p) => (scale * b) / f.Lambda[p]!);
}

function mSOf(fTest: Float64Array, target: Float64Array | null): number {
  if (!target || fTest.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < fTest.length; i++) s += fTest[i]! * target[i]!;
  return s / fTest.length;
}

function addToHistogram(acc: MfAccumulators, config: MfConfig, group: number, x: number): void {
  const bins = config.histBins;
  const range = config.histRange * config.sigmaW;
  const base = group * (bins + 2);
  let k: number;
  if (x < -range) k = 0;
  else if (x > range) k = bins + 1;
  else k = 1 + Math.min(bins - 1, Math.floor(((x + range) / (2 * range)) * bins));
  acc.hist[base + k]! += 1;
  const m = acc.moments;
  m[group * 4]! += x;
  m[group * 4 + 1]! += x * x;
  m[group * 4 + 2]! += x * x * x;
  m[group * 4 + 3]! += x * x * x * x;
  acc.counts[group]! += 1;
}

/** Normal CDF. */
function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** Expected counts of a ~ N(m_p, 1/Lambda_p) in the bins of group 2, and its exact moments. */
function addAMarginal(acc: MfAccumulators, config: MfConfig, f: Field): void {
  const bins = config.histBins;
  const range = config.histRange * config.sigmaA;
  const base = 2 * (bins + 2);
  for (let p = 0; p < config.M; p++) {
    const v = 1 / f.Lambda[p]!;
    const m = f.beta[p]! * v;
    const s = Math.sqrt(v);
    let previous = normalCdf((-range - m) / s);
    acc.hist[base]! += previous;
    for (let k = 1; k <= bins; k++) {
      const cdf = normalCdf((-range + (2 * range * k) / bins - m) / s);
      acc.hist[base + k]! += cdf - previous;
      previous = cdf;
    }
    acc.hist[base + bins + 1]! += 1 - previous;
    const mo = acc.moments;
    mo[8]! += m;
    mo[9]! += m * m + v;
    mo[10]! += m * m * m + 3 * m * v;
    mo[11]! += m ** 4 + 6 * m * m * v + 3 * v * v;
    acc.counts[2]! += 1;
  }
}

/** A sample: time-average fbar and the particle observables (docs/mf.md, "Samples"). */
function sample(
  acc: MfAccumulators,
  config: MfConfig,
  data: MfData,
  state: MfState,
  f: Field,
  fTest: Float64Array,
  t: number,
): void {
  const { M, P, d, nRelevant } = config;
  acc.nSamples += 1;
  for (let i = 0; i < fTest.length; i++) acc.sumFTest[i]! += fTest[i]!;
  const half = t < config.burnIn + (config.steps - config.burnIn) / 2 ? 0 : 1;
  const sumHalf = acc.sumFTrainHalf[half];
  acc.nHalf[half] += 1;
  for (let mu = 0; mu < P; mu++) {
    const fbar = data.y[mu]! - f.r[mu]!;
    acc.sumFTrain[mu]! += fbar;
    sumHalf[mu]! += fbar;
  }
  let specialised = 0;
  for (let p = 0; p < M; p++) {
    let rel = 0;
    let all = 0;
    for (let j = 0; j < d; j++) {
      const w = state.W[p * d + j]!;
      acc.sumQ[j]! += (w * w) / M;
      all += w * w;
      if (j < nRelevant) rel += w * w;
      addToHistogram(acc, config, j < nRelevant ? 0 : 1, w);
    }
    if (rel > 0.5 * all) specialised += 1;
  }
  acc.sumSpecialisation += nRelevant > 0 ? specialised / M : 0;
  addAMarginal(acc, config, f);
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! ** 2;
  return Math.sqrt(s);
}

/**
 * Advances one branch over steps [begin, end) (docs/mf.md, "One step t"), updating state and
 * accumulators in place. Chunking changes nothing: every random number is addressed by step.
 */
export function mfRun(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  state: MfState,
  acc: MfAccumulators,
  begin: number,
  end: number,
): void {
  const yNorm = norm(data.y) || 1;
  for (let t = begin; t < end; t++) {
    const f = field(backend, config, data, state);
    let residual = NaN;
    if (state.rPrev) {
      let s = 0;
      for (let mu = 0; mu < config.P; mu++) s += (f.r[mu]! - state.rPrev[mu]!) ** 2;
      residual = Math.sqrt(s) / yNorm;
      if (t >= config.burnIn) {
        acc.sumStepChange += residual;
        acc.nStepChange += 1;
      }
    }
    state.rPrev = f.r;
    const isSample = t >= config.burnIn && (t - config.burnIn) % config.sampleEvery === 0;
    const isObserve = t % config.observeEvery === 0;
    if (isSample || isObserve) {
      const fTest = predictTest(backend, config, data, state.W, coefficients(config, f));
      if (isSample) sample(acc, config, data, state, f, fTest, t);
      if (isObserve) {
        let trainMse = 0;
        for (let mu = 0; mu < config.P; mu++) trainMse += f.r[mu]! ** 2;
        trainMse = config.P > 0 ? trainMse / config.P : NaN;
        acc.series.push([t, trainMse, mSOf(fTest, data.targetTest), residual]);
      }
    }
    langevin(backend, config, data, state, f, t);
    for (let i = 0; i < state.W.length; i++) {
      if (!Number.isFinite(state.W[i]!)) {
        throw new MflError(
          'ERR_MFL_DIVERGED',
          `mf diverged at step ${t} (branch ${config.branch}): a particle became non-finite with ` +
            `dt = ${config.dt}; try a smaller step, e.g. dt: ${Number((config.dt / 4).toPrecision(3))}`,
        );
      }
    }
  }
}

/** fbar(x*) of the current particles (no time average), for tests: K_q(x*, X) (K_q + ridge)^-1 y. */
export function instantPredictor(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  state: MfState,
): { train: Float64Array; test: Float64Array } {
  const f = field(backend, config, data, state);
  const test = predictTest(backend, config, data, state.W, coefficients(config, f));
  const train = Float64Array.from(data.y, (v, mu) => v - f.r[mu]!);
  return { train, test };
}
