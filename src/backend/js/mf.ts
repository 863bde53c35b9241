/**
 * The mean-field particle kernel (docs/mf.md; THEORY.md sections 6-7), twin of
 * native/core/mf.cpp, step for step: every random value is addressed by (stream, step, index) and
 * nothing but the state is kept between calls, so a run cut into chunks equals the uninterrupted
 * run exactly. All scratch is allocated once per call. The products are plain loops ordered so
 * the innermost one runs along rows; only the lower triangle of the symmetric matrix is formed,
 * as the Cholesky factorisation reads no more.
 */
import { cancelled } from '../../errors.js';
import {
  MF_BATCH_COLUMNS,
  MF_HIST_GROUPS,
  MF_SERIES_COLUMNS,
  MF_TEST_CHUNK,
} from '../../methods/mf/layout.js';
import { Purpose, streamId } from '../../rng/streams.js';
import type {
  AsyncOptions,
  MfAccumulators,
  MfData,
  MfFailure,
  MfKernelConfig,
  MfRunResult,
  MfState,
} from '../types.js';
import { cholesky, choleskySolve } from './cholesky.js';
import { erf } from './erf.js';
import { activationDerivativeFunction, activationFunction } from './network.js';
import { fillGaussian } from './rng.js';
import { parseAsyncOptions } from '../options.js';

/** Multiply-adds between two yields of the async form (a few milliseconds). */
const SLICE_WORK = 1 << 22;

/** Everything one call needs, allocated once. */
interface Kernel {
  config: MfKernelConfig;
  data: MfData;
  state: MfState;
  acc: MfAccumulators;
  phi: (h: number) => number;
  phiPrime: (h: number) => number;
  /** Self-interaction c = N^(-2 gamma) / kappa. */
  c: number;
  /** Tilt e = N^(-gamma) / kappa. */
  e: number;
  ridge: number;
  invSqrtD: number;
  yNorm: number;
  noiseStream: number;
  /** M x P: pre-activations of the training rows. */
  H: Float64Array;
  /** M x P: phi(H). */
  Phi: Float64Array;
  /** M x P: B = Phi / sqrt(M Lambda), then the gradient factors g. */
  B: Float64Array;
  /** P x P (cholesky) or M x M (woodbury): the matrix factored by the residual solve. */
  K: Float64Array;
  /** M: B y, then (ridge I + B B^T)^-1 B y (woodbury). */
  z: Float64Array;
  /** P: the residual of the current step. */
  r: Float64Array;
  Lambda: Float64Array;
  beta: Float64Array;
  coef: Float64Array;
  /** M x d: the data part of grad U. */
  G: Float64Array;
  /** M x d: the step's Gaussians, then the updated particles. */
  Wnext: Float64Array;
  /** M x min(PTest, MF_TEST_CHUNK): test-row features. */
  HTest: Float64Array;
  fTest: Float64Array;
}

/**
 * Advances one branch over steps [stepBegin, stepEnd), updating `state` and `acc` in place
 * (docs/mf.md, "Kernel contract"). A failing step t leaves the state as it was before step t.
 */
export function mfRun(
  config: MfKernelConfig,
  data: MfData,
  state: MfState,
  acc: MfAccumulators,
  stepBegin: number,
  stepEnd: number,
): MfRunResult {
  const kernel = createKernel(config, data, state, acc);
  return completeRun(kernel, runSteps(kernel, stepBegin, stepEnd), stepEnd);
}

/**
 * After the last step of the run (docs/mf.md, "Two averages"): the predictor of the
 * time-averaged kernel into acc.kernelFTrain and acc.kernelFTest, for average 'kernel', when
 * every step of the call succeeded and it ended at `steps`.
 */
function completeRun(kernel: Kernel, result: MfRunResult, stepEnd: number): MfRunResult {
  const { config } = kernel;
  if (result.failure !== 'none' || stepEnd !== config.steps || config.average !== 'kernel') {
    return result;
  }
  const info = averagedKernelPredictor(kernel);
  if (info === 0) return result;
  return { ...result, failure: 'notPositiveDefinite', failedStep: config.steps, info };
}

/**
 * mfRun in slices of steps with a yield to the event loop before each; progress in steps of
 * this call after every slice. On abort the steps done so far stay applied and the promise
 * rejects with ERR_MFL_CANCELLED; an already aborted signal rejects before any work.
 */
export async function mfRunAsync(
  config: MfKernelConfig,
  data: MfData,
  state: MfState,
  acc: MfAccumulators,
  stepBegin: number,
  stepEnd: number,
  options?: AsyncOptions,
): Promise<MfRunResult> {
  const { signal, onProgress } = parseAsyncOptions(options);
  if (signal?.aborted) throw cancelled('mfRun');
  const kernel = createKernel(config, data, state, acc);
  const total = stepEnd - stepBegin;
  const { M, P, d } = config;
  const slice = Math.max(1, Math.floor(SLICE_WORK / (M * P * (2 * d + Math.min(M, P)))));
  for (let done = 0; done < total;) {
    await nextTurn();
    if (signal?.aborted) throw cancelled('mfRun');
    const begin = stepBegin + done;
    const result = runSteps(kernel, begin, Math.min(begin + slice, stepEnd));
    done += result.stepsDone;
    onProgress?.(done, total);
    if (result.failure !== 'none') return { ...result, stepsDone: done };
  }
  return completeRun(
    kernel,
    { stepsDone: total, failure: 'none', failedStep: -1, info: 0 },
    stepEnd,
  );
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function createKernel(
  config: MfKernelConfig,
  data: MfData,
  state: MfState,
  acc: MfAccumulators,
): Kernel {
  const { M, P, d, N, gamma, kappa, PTest } = config;
  const MP = M * P;
  let yy = 0;
  for (let mu = 0; mu < P; mu++) yy += data.y[mu]! * data.y[mu]!;
  const order = config.solve === 'woodbury' ? M : P;
  return {
    config,
    data,
    state,
    acc,
    phi: activationFunction(config.activation),
    phiPrime: activationDerivativeFunction(config.activation),
    c: N ** (-2 * gamma) / kappa,
    e: N ** -gamma / kappa,
    ridge: kappa * N ** (2 * gamma - 1),
    invSqrtD: 1 / Math.sqrt(d),
    yNorm: Math.sqrt(yy) || 1,
    noiseStream: streamId(Purpose.mfNoise, config.branch),
    H: new Float64Array(MP),
    Phi: new Float64Array(MP),
    B: new Float64Array(MP),
    K: new Float64Array(order * order),
    z: new Float64Array(M),
    r: new Float64Array(P),
    Lambda: new Float64Array(M),
    beta: new Float64Array(M),
    coef: new Float64Array(M),
    G: new Float64Array(M * d),
    Wnext: new Float64Array(M * d),
    HTest: new Float64Array(M * Math.min(PTest, MF_TEST_CHUNK)),
    fTest: new Float64Array(PTest),
  };
}

function runSteps(kernel: Kernel, stepBegin: number, stepEnd: number): MfRunResult {
  for (let t = stepBegin; t < stepEnd; t++) {
    const failed = step(kernel, t);
    if (failed) return { stepsDone: t - stepBegin, failedStep: t, ...failed };
  }
  return { stepsDone: stepEnd - stepBegin, failure: 'none', failedStep: -1, info: 0 };
}

/** Step t (docs/mf.md, "One step t"); the failure, or null. */
function step(kernel: Kernel, t: number): { failure: MfFailure; info: number } | null {
  const { config, data, state, acc } = kernel;
  features(kernel, data.X, config.P, kernel.H, kernel.Phi);
  kernelFactors(kernel);
  const info = config.solve === 'woodbury' ? residualWoodbury(kernel) : residualCholesky(kernel);
  if (info !== 0) return { failure: 'notPositiveDefinite', info };
  tilts(kernel);
  const stepChange = t > 0 ? distance(kernel.r, state.rPrev) / kernel.yNorm : NaN;
  if (t > 0 && t >= config.burnIn) {
    acc.sumStepChange[0]! += stepChange;
    acc.nStepChange[0]! += 1;
  }
  const isSample = t >= config.burnIn && (t - config.burnIn) % config.sampleEvery === 0;
  const isObserve = t % config.observeEvery === 0;
  if (isSample || isObserve) observe(kernel, t, isSample, isObserve, stepChange);
  gradientFactors(kernel);
  if (!langevin(kernel, t)) return { failure: 'nonFinite', info: 0 };
  state.W.set(kernel.Wnext);
  if (config.ardEma > 0) {
    if (config.ardPrecisions === 'neuron') updateNeuronPrecisions(kernel);
    else updatePrecisions(kernel);
  }
  state.rPrev.set(kernel.r);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Steps 1-5: features, K_q, the residual and the tilts

/**
 * Hs = W Xs^T / sqrt(d) (M x n) and Phis = phi(Hs); Phis may be Hs (in place). W: the current
 * particles, or a stored sample's.
 */
function features(
  kernel: Kernel,
  Xs: Float64Array,
  n: number,
  Hs: Float64Array,
  Phis: Float64Array,
  W: Float64Array = kernel.state.W,
): void {
  const { M, d } = kernel.config;
  const { phi, invSqrtD } = kernel;
  for (let p = 0; p < M; p++) {
    for (let mu = 0; mu < n; mu++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += W[p * d + j]! * Xs[mu * d + j]!;
      const h = invSqrtD * dot;
      Hs[p * n + mu] = h;
      Phis[p * n + mu] = phi(h);
    }
  }
}

/** Step 2-3: Lambda_p and B[p, mu] = Phi[p, mu] / sqrt(M Lambda_p). */
function kernelFactors(kernel: Kernel): void {
  const { M, P, sigmaA } = kernel.config;
  const { Phi, B, Lambda, c } = kernel;
  const prior = 1 / (sigmaA * sigmaA);
  for (let p = 0; p < M; p++) {
    let s2 = 0;
    for (let mu = 0; mu < P; mu++) s2 += Phi[p * P + mu]! * Phi[p * P + mu]!;
    const lam = prior + c * s2;
    Lambda[p] = lam;
    const scale = 1 / Math.sqrt(M * lam);
    for (let mu = 0; mu < P; mu++) B[p * P + mu] = Phi[p * P + mu]! * scale;
  }
}

/** Step 4, P x P: r = ridge (K_q + ridge I)^-1 y, K_q = B^T B (lower triangle). Returns info. */
function residualCholesky(kernel: Kernel): number {
  const { M, P } = kernel.config;
  const { B, K, r, ridge } = kernel;
  K.fill(0);
  addKernel(B, M, P, K);
  const info = cholesky(K, P, ridge);
  if (info !== 0) return info;
  const y = kernel.data.y;
  for (let mu = 0; mu < P; mu++) r[mu] = ridge * y[mu]!;
  choleskySolve(K, P, r);
  return 0;
}

/**
 * Step 4, M x M (Woodbury): with B' = B^T, ridge (K_q + ridge I)^-1 y = y - B' (ridge I +
 * B'^T B')^-1 B'^T y, and B'^T B' = B B^T. Never forms a P x P matrix. Returns info.
 */
function residualWoodbury(kernel: Kernel): number {
  const { M, P } = kernel.config;
  const { B, K, z, r, ridge } = kernel;
  const y = kernel.data.y;
  for (let p = 0; p < M; p++) {
    const rowP = p * P;
    for (let q = 0; q <= p; q++) {
      const rowQ = q * P;
      let s = 0;
      for (let mu = 0; mu < P; mu++) s += B[rowP + mu]! * B[rowQ + mu]!;
      K[p * M + q] = s;
    }
  }
  const info = cholesky(K, M, ridge);
  if (info !== 0) return info;
  for (let p = 0; p < M; p++) {
    let s = 0;
    for (let mu = 0; mu < P; mu++) s += B[p * P + mu]! * y[mu]!;
    z[p] = s;
  }
  choleskySolve(K, M, z);
  r.set(y);
  for (let p = 0; p < M; p++) {
    const zp = z[p]!;
    for (let mu = 0; mu < P; mu++) r[mu] = r[mu]! - B[p * P + mu]! * zp;
  }
  return 0;
}

/** Step 5: beta_p = e sum_mu r_mu Phi[p, mu]. */
function tilts(kernel: Kernel): void {
  const { M, P } = kernel.config;
  const { Phi, r, beta, e } = kernel;
  for (let p = 0; p < M; p++) {
    let s = 0;
    for (let mu = 0; mu < P; mu++) s += Phi[p * P + mu]! * r[mu]!;
    beta[p] = e * s;
  }
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) * (a[i]! - b[i]!);
  return Math.sqrt(s);
}

// ---------------------------------------------------------------------------------------------
// Steps 7-9: gradient, Langevin update, precisions

/**
 * Step 7: g[p, mu] = phi'_mu [c (1/Lambda + m^2) phi_mu - e m r_mu] into B (no longer needed),
 * then G = g X / sqrt(d).
 */
function gradientFactors(kernel: Kernel): void {
  const { M, P, d } = kernel.config;
  const { H, Phi, r, Lambda, beta, c, e, phiPrime, G, invSqrtD } = kernel;
  const g = kernel.B;
  const X = kernel.data.X;
  for (let p = 0; p < M; p++) {
    const lam = Lambda[p]!;
    const m = beta[p]! / lam;
    const self = c * (1 / lam + m * m);
    const tilt = e * m;
    for (let mu = 0; mu < P; mu++) {
      const i = p * P + mu;
      g[i] = phiPrime(H[i]!) * (self * Phi[i]! - tilt * r[mu]!);
    }
  }
  G.fill(0);
  for (let p = 0; p < M; p++) {
    const out = p * d;
    for (let mu = 0; mu < P; mu++) {
      const gi = g[p * P + mu]!;
      for (let j = 0; j < d; j++) G[out + j]! += gi * X[mu * d + j]!;
    }
    for (let j = 0; j < d; j++) G[out + j] = invSqrtD * G[out + j]!;
  }
}

/**
 * Step 8 into Wnext: W - dt (rho W + G) + sqrt(2 dt) xi, rho_j or rho_pj; false when a value is
 * not finite.
 */
function langevin(kernel: Kernel, t: number): boolean {
  const { M, d, dt, seed, ardPrecisions } = kernel.config;
  const { W, rho } = kernel.state;
  const { G, Wnext } = kernel;
  fillGaussian(seed, kernel.noiseStream, t * M * d, Wnext);
  const noise = Math.sqrt(2 * dt);
  // Particle p's precisions start at p * rhoStride (coordinate-wise: the same d for every p).
  const rhoStride = ardPrecisions === 'neuron' ? d : 0;
  let finite = true;
  for (let p = 0; p < M; p++) {
    const row = p * rhoStride;
    for (let j = 0; j < d; j++) {
      const i = p * d + j;
      const next = W[i]! - dt * (rho[row + j]! * W[i]! + G[i]!) + noise * Wnext[i]!;
      Wnext[i] = next;
      finite &&= Number.isFinite(next);
    }
  }
  return finite;
}

/** Step 9 (MF-ARD): rho_j <- (1 - ema) rho_j + ema (alpha0 + N/2) / (beta0 + (N/2) m2_j). */
function updatePrecisions(kernel: Kernel): void {
  const { M, d, N, ardAlpha0, ardBeta0, ardEma } = kernel.config;
  const { W, rho } = kernel.state;
  for (let j = 0; j < d; j++) {
    let m2 = 0;
    for (let p = 0; p < M; p++) m2 += W[p * d + j]! * W[p * d + j]!;
    m2 /= M;
    const target = (ardAlpha0 + N / 2) / (ardBeta0 + (N / 2) * m2);
    rho[j] = (1 - ardEma) * rho[j]! + ardEma * target;
  }
}

/**
 * Step 9 (MF-ARD, neuron-wise): rho_pj <- (1 - ema) rho_pj + ema (alpha0 + 1/2) /
 * (beta0 + w_pj^2 / 2), the conditional mean of rho given the particle's own weight.
 */
function updateNeuronPrecisions(kernel: Kernel): void {
  const { ardAlpha0, ardBeta0, ardEma } = kernel.config;
  const { W, rho } = kernel.state;
  const shape = ardAlpha0 + 0.5;
  for (let i = 0; i < W.length; i++) {
    const w = W[i]!;
    const target = shape / (ardBeta0 + 0.5 * (w * w));
    rho[i] = (1 - ardEma) * rho[i]! + ardEma * target;
  }
}

// ---------------------------------------------------------------------------------------------
// Step 6: samples and observations of the state before the update

function observe(
  kernel: Kernel,
  t: number,
  isSample: boolean,
  isObserve: boolean,
  stepChange: number,
): void {
  const { config, data, acc } = kernel;
  const target = data.targetTest;
  const { P, PTest } = config;
  if (PTest > 0 && (isSample || target !== null)) predictTest(kernel);
  let trainSquares = 0;
  for (let mu = 0; mu < P; mu++) trainSquares += kernel.r[mu]! * kernel.r[mu]!;
  const trainMse = trainSquares / P;
  let mS = NaN;
  if (target !== null && PTest > 0) {
    let s = 0;
    for (let i = 0; i < PTest; i++) s += kernel.fTest[i]! * target[i]!;
    mS = s / PTest;
  }
  if (isSample) sample(kernel, t, trainMse, mS);
  if (!isObserve) return;
  const row = (t / config.observeEvery) * MF_SERIES_COLUMNS;
  acc.series[row] = t;
  acc.series[row + 1] = trainMse;
  acc.series[row + 2] = mS;
  acc.series[row + 3] = stepChange;
}

/** fbar on the test rows, MF_TEST_CHUNK rows at a time: Phi_test^T coef. */
function predictTest(kernel: Kernel): void {
  const { M, N, gamma } = kernel.config;
  const { coef, beta, Lambda, fTest } = kernel;
  const scale = N ** (1 - gamma) / M;
  for (let p = 0; p < M; p++) coef[p] = (scale * beta[p]!) / Lambda[p]!;
  fTest.fill(0);
  addTestRows(kernel, kernel.state.W, coef, fTest);
}

/** out += Phi_test^T coef on the test rows, MF_TEST_CHUNK rows at a time (features of W). */
function addTestRows(kernel: Kernel, W: Float64Array, coef: Float64Array, out: Float64Array): void {
  const { M, d, PTest } = kernel.config;
  const { HTest } = kernel;
  const XTest = kernel.data.XTest;
  for (let start = 0; start < PTest; start += MF_TEST_CHUNK) {
    const n = Math.min(MF_TEST_CHUNK, PTest - start);
    features(kernel, XTest.subarray(start * d, (start + n) * d), n, HTest, HTest, W);
    for (let p = 0; p < M; p++) {
      const cp = coef[p]!;
      for (let mu = 0; mu < n; mu++) out[start + mu]! += HTest[p * n + mu]! * cp;
    }
  }
}

/**
 * A sample (docs/mf.md, "Samples"): time averages, batch sums and the particle observables, with
 * trainMse and mS (NaN without a target) of the instantaneous predictor.
 */
function sample(kernel: Kernel, t: number, trainMse: number, mS: number): void {
  const { config, data, acc } = kernel;
  const { P, PTest, burnIn, steps, batches, M, d } = config;
  acc.nSamples[0]! += 1;
  if (config.average === 'kernel') {
    acc.sampleW.set(kernel.state.W, ((t - burnIn) / config.sampleEvery) * M * d);
  }
  for (let i = 0; i < PTest; i++) acc.sumFTest[i]! += kernel.fTest[i]!;
  // Exact: (t - burnIn) batches < 2^53 (the binding's steps * batches bound).
  const batch = Math.floor(((t - burnIn) * batches) / (steps - burnIn));
  for (let mu = 0; mu < P; mu++) {
    const fbar = data.y[mu]! - kernel.r[mu]!;
    acc.sumFTrain[mu]! += fbar;
    acc.sumFTrainBatch[batch * P + mu]! += fbar;
  }
  const sums = batch * MF_BATCH_COLUMNS;
  acc.batchSums[sums]! += 1;
  if (!Number.isNaN(mS)) acc.batchSums[sums + 1]! += mS;
  acc.batchSums[sums + 2]! += trainMse;
  addParticles(kernel);
  addAMarginal(kernel);
}

/** q, specialisation, and the histograms and moments of w (relevant and irrelevant). */
function addParticles(kernel: Kernel): void {
  const { M, d, nRelevant, histRange, sigmaW } = kernel.config;
  const { acc } = kernel;
  const W = kernel.state.W;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let p = 0; p < M; p++) s += W[p * d + j]! * W[p * d + j]!;
    acc.sumQ[j]! += s / M;
  }
  const range = histRange * sigmaW;
  let specialised = 0;
  for (let p = 0; p < M; p++) {
    let relevant = 0;
    let all = 0;
    for (let j = 0; j < d; j++) {
      const w = W[p * d + j]!;
      const w2 = w * w;
      all += w2;
      if (j < nRelevant) relevant += w2;
      addValue(kernel, j < nRelevant ? 0 : 1, range, w);
    }
    if (relevant > 0.5 * all) specialised += 1;
  }
  if (nRelevant > 0) acc.sumSpecialisation[0]! += specialised / M;
}

function addValue(kernel: Kernel, group: number, range: number, x: number): void {
  const { hist, moments, counts } = kernel.acc;
  const bins = kernel.config.histBins;
  let k: number;
  if (x < -range) k = 0;
  else if (x > range) k = bins + 1;
  else k = 1 + Math.min(bins - 1, Math.floor(((x + range) / (2 * range)) * bins));
  hist[group * (bins + 2) + k]! += 1;
  const x2 = x * x;
  moments[group * 4]! += x;
  moments[group * 4 + 1]! += x2;
  moments[group * 4 + 2]! += x2 * x;
  moments[group * 4 + 3]! += x2 * x2;
  counts[group]! += 1;
}

function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** a | w_p ~ N(m_p, 1/Lambda_p): expected bin counts (CDF differences) and exact moments. */
function addAMarginal(kernel: Kernel): void {
  const { M, histBins: bins, histRange, sigmaA } = kernel.config;
  const { hist, moments, counts } = kernel.acc;
  const range = histRange * sigmaA;
  const base = (MF_HIST_GROUPS - 1) * (bins + 2);
  const mo = (MF_HIST_GROUPS - 1) * 4;
  for (let p = 0; p < M; p++) {
    const v = 1 / kernel.Lambda[p]!;
    const m = kernel.beta[p]! * v;
    const s = Math.sqrt(v);
    let previous = normalCdf((-range - m) / s);
    hist[base]! += previous;
    for (let k = 1; k <= bins; k++) {
      const cdf = normalCdf((-range + (2 * range * k) / bins - m) / s);
      hist[base + k]! += cdf - previous;
      previous = cdf;
    }
    hist[base + bins + 1]! += 1 - previous;
    const m2 = m * m;
    moments[mo]! += m;
    moments[mo + 1]! += m2 + v;
    moments[mo + 2]! += m2 * m + 3 * m * v;
    moments[mo + 3]! += m2 * m2 + 6 * m2 * v + 3 * v * v;
    counts[MF_HIST_GROUPS - 1]! += 1;
  }
}

// ---------------------------------------------------------------------------------------------
// After the last step: the predictor of the time-averaged kernel (docs/mf.md, "Two averages")

/**
 * kernelFTrain = Kbar (Kbar + ridge I)^-1 y and kernelFTest = Kbar(XTest, X) (Kbar + ridge I)^-1 y
 * with Kbar the mean of K_q over the stored samples' particles. Returns the factorisation's info.
 */
function averagedKernelPredictor(kernel: Kernel): number {
  const { config, data, acc, ridge } = kernel;
  const { P, PTest, M, d } = config;
  const samples = acc.nSamples[0]!;
  // The Cholesky solve's P x P matrix is free now; the Woodbury solve's is M x M.
  const Kbar = config.solve === 'cholesky' ? kernel.K : new Float64Array(P * P);
  Kbar.fill(0);
  for (let s = 0; s < samples; s++) {
    sampleFactors(kernel, s);
    addKernel(kernel.B, M, P, Kbar);
  }
  for (let mu = 0; mu < P; mu++) {
    for (let nu = 0; nu <= mu; nu++) Kbar[mu * P + nu] = Kbar[mu * P + nu]! / samples;
  }
  const info = cholesky(Kbar, P, ridge);
  if (info !== 0) return info;
  const v = kernel.r;
  v.set(data.y);
  choleskySolve(Kbar, P, v);
  for (let mu = 0; mu < P; mu++) acc.kernelFTrain[mu] = data.y[mu]! - ridge * v[mu]!;
  acc.kernelFTest.fill(0);
  const u = kernel.coef;
  for (let s = 0; s < samples; s++) {
    sampleFactors(kernel, s);
    const { Phi, Lambda } = kernel;
    for (let p = 0; p < M; p++) {
      let dot = 0;
      for (let mu = 0; mu < P; mu++) dot += Phi[p * P + mu]! * v[mu]!;
      u[p] = dot / (M * Lambda[p]!);
    }
    addTestRows(kernel, acc.sampleW.subarray(s * M * d, (s + 1) * M * d), u, acc.kernelFTest);
  }
  for (let i = 0; i < PTest; i++) acc.kernelFTest[i] = acc.kernelFTest[i]! / samples;
  return 0;
}

/** Steps 1-3 for the particles of stored sample s: H, Phi, Lambda and B. */
function sampleFactors(kernel: Kernel, s: number): void {
  const { M, P, d } = kernel.config;
  const W = kernel.acc.sampleW.subarray(s * M * d, (s + 1) * M * d);
  features(kernel, kernel.data.X, P, kernel.H, kernel.Phi, W);
  kernelFactors(kernel);
}

/** K += B^T B (P x P, lower triangle), B M x P. */
function addKernel(B: Float64Array, M: number, P: number, K: Float64Array): void {
  for (let p = 0; p < M; p++) {
    const row = p * P;
    for (let mu = 0; mu < P; mu++) {
      const b = B[row + mu]!;
      const k = mu * P;
      for (let nu = 0; nu <= mu; nu++) K[k + nu]! += b * B[row + nu]!;
    }
  }
}
