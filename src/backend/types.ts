/**
 * The one interface every numerical kernel is reached through. Two implementations exist:
 * `native` (the C++/BLAS addon) and `js` (pure TypeScript, the test oracle and the fallback).
 * Both compute the same numbers from the same inputs: bit-identical for random numbers and task
 * data, within 1e-12 relative for BLAS-based kernels (summation order differs).
 *
 * Backends trust their callers for shapes (validation happens once, at the public boundary); the
 * native binding checks everything again as a guard.
 */

export type BackendName = 'native' | 'js';

export type TaskKind = 'parity' | 'single-index';

export type Activation = 'relu' | 'erf' | 'tanh' | 'linear';

/** Parameters of a generated task (THEORY.md section 1). */
export interface TaskParams {
  kind: TaskKind;
  /** Input dimension, >= 1. */
  d: number;
  /** Parity order / Hermite degree, 0 <= k <= d. */
  k: number;
  /** Label noise sigma_eps >= 0. */
  labelNoise: number;
  /** Data seed, integer in [0, 2^53). */
  seed: number;
}

/** Which split and rows to generate: rows [rowOffset, rowOffset + y.length). */
export interface TaskRows {
  test: boolean;
  rowOffset: number;
  /** Output, n x d row-major. */
  X: Float64Array;
  /** Output, n. */
  y: Float64Array;
}

/** Network shape (THEORY.md section 2). */
export interface NetworkShape {
  /** Rows of X. */
  P: number;
  d: number;
  /** Width. */
  N: number;
  gamma: number;
  activation: Activation;
  bias: boolean;
}

/** Network parameters: W is N x d row-major, a and b have length N (b only with bias). */
export interface NetworkParams {
  W: Float64Array;
  a: Float64Array;
  b: Float64Array | null;
}

/** Output buffers of `lossGradient`. */
export interface GradientOutputs {
  f: Float64Array;
  gW: Float64Array;
  ga: Float64Array;
  gb: Float64Array | null;
}

/**
 * Options of long-running calls (checked: unknown keys and wrong types are errors).
 *
 * The native backend's job copies every typed array of the call when it starts (as much memory
 * again) and computes on its copies on a worker thread. When it settles, resolved or rejected
 * (cancelled too: the state of the step where it stopped), it writes the state, accumulators and
 * outputs back into the caller's arrays, all of them or none: if one of their buffers was
 * transferred away (postMessage, structuredClone with `transfer`) or resized meanwhile, the
 * promise rejects with ERR_MFL_INVALID_TYPE naming it and no array is written. An input
 * transferred away changes nothing. The js backend runs on the main thread in slices and writes
 * in place.
 */
export interface AsyncOptions {
  signal?: AbortSignal;
  /** Called on the main thread with work done so far and the total, in the call's own units. */
  onProgress?: (done: number, total: number) => void;
}

export interface BackendInfo {
  backend: BackendName;
  version: string;
  blas: { vendor: string; config: string; threads: number } | null;
  lapack: string | null;
  compiler: string | null;
  buildSystem: string | null;
  cpuFeatures: string[];
}

/** Resolved sampler configuration crossing into the SGLD kernel (docs/sgld.md). */
export interface SgldConfig {
  P: number;
  d: number;
  N: number;
  PTest: number;
  chains: number;
  gamma: number;
  activation: Activation;
  bias: boolean;
  kappa: number;
  eta: number;
  /** 1 for loss 'sum', 1/P for loss 'mean'. */
  lossScale: number;
  sigmaW: number;
  sigmaA: number;
  sigmaB: number;
  /** B in [1, P]; B = P is full batch. */
  batchSize: number;
  freezeW: boolean;
  mala: boolean;
  /** Sampler seed, integer in [0, 2^53). */
  seed: number;
  /** Total steps of the run (sizes the traces); burnIn < steps. */
  steps: number;
  burnIn: number;
  thin: number;
  /** 0: no time series. */
  observeEvery: number;
  /** Leading input coordinates in the target set S (k, 1 or 0). */
  nRelevant: number;
  histBins: number;
  /** Histogram half-width in units of the prior standard deviation. */
  histRange: number;
  /**
   * Working precision of the kernel: 'float32' runs the GEMMs and elementwise work in single
   * precision (state, data and accumulators stay Float64Array at this boundary).
   */
  precision: 'float64' | 'float32';
  /**
   * Threads the native kernel runs the chains on, integer in [1, 256]: min(threads, chains)
   * threads, each owning a block of chains; the numbers are bitwise those of threads = 1
   * (docs/sgld.md, "Threads"). The js kernel runs the chains one after another whatever it is.
   */
  threads: number;
  /**
   * The update (docs/sgld.md): 'euler' (default when omitted), the SGLD step; 'baoab', the BAOAB
   * splitting of underdamped Langevin dynamics (needs `friction` and `SgldState.momentum`; no
   * MALA).
   */
  integrator?: 'euler' | 'baoab';
  /** BAOAB's friction, finite > 0; omitted or null with 'euler'. */
  friction?: number | null;
}

export interface SgldData {
  /** P x d */
  X: Float64Array;
  y: Float64Array;
  /** P_test x d */
  XTest: Float64Array;
  yTest: Float64Array;
  /** Clean target on the test inputs (P_test), null for custom data. */
  targetTest: Float64Array | null;
}

/** All chains' parameters, chain after chain: W (C N d), a (C N), b (C N, with bias). */
export interface SgldState {
  W: Float64Array;
  a: Float64Array;
  b: Float64Array | null;
  /**
   * BAOAB only (C x nParams, chain after chain, parameters in the order W, a, b): each chain's
   * momentum before the final half kick of its last step (docs/sgld.md). Omitted or null with
   * 'euler'.
   */
  momentum?: Float64Array | null;
}

/**
 * Accumulators (docs/sgld.md), updated in place. Sizes: S = sgldSampleCount(config),
 * O = sgldObserveCount(config), G = 3 groups (relevant W, irrelevant W, a).
 */
export interface SgldAccumulators {
  /** C */
  nSamples: Float64Array;
  /** C x P_test */
  sumFTest: Float64Array;
  /** C x P */
  sumFTrain: Float64Array;
  /** C */
  sumSampleTestMse: Float64Array;
  /** C */
  sumSampleTrainMse: Float64Array;
  /** C x S */
  traceMS: Float64Array;
  /** C x S */
  traceTestMse: Float64Array;
  /** C x d */
  sumQ: Float64Array;
  /** C x G x (bins + 2): [underflow, bins..., overflow] */
  hist: Float64Array;
  /** C x G x 4: sums of x, x^2, x^3, x^4 */
  moments: Float64Array;
  /** C */
  sumSpecialisation: Float64Array;
  /** C x O x 3: (step, trainMse, mS) */
  series: Float64Array;
  /** C */
  malaProposed: Float64Array;
  /** C */
  malaAccepted: Float64Array;
}

export interface SgldRunResult {
  /** Steps completed by every chain (stepEnd - stepBegin unless a chain diverged). */
  stepsDone: number;
  /** -1 when no chain diverged. */
  divergedChain: number;
  divergedStep: number;
}

/**
 * Resolved configuration of one branch of the mean-field particle solver (docs/mf.md, "Kernel
 * contract"; THEORY.md sections 6-7). Numbers only: the driver resolves every default.
 */
export interface MfKernelConfig {
  /** Training rows, >= 1. */
  P: number;
  d: number;
  /** Test rows, >= 0. */
  PTest: number;
  /** Particles M (Monte Carlo resolution, not the width). */
  M: number;
  /** Physical width N: any finite number >= 1, a parameter of the single-neuron potential. */
  N: number;
  gamma: number;
  kappa: number;
  sigmaW: number;
  sigmaA: number;
  activation: Activation;
  /** Langevin time step. */
  dt: number;
  /** Solver seed, integer in [0, 2^53). */
  seed: number;
  /** Stream index of the branch: 0 prior, 1 aligned (docs/mf.md, "Random streams"). */
  branch: number;
  /** Total steps of the run (sizes the series); burnIn < steps. */
  steps: number;
  burnIn: number;
  sampleEvery: number;
  observeEvery: number;
  /**
   * Equal stretches of the sampling window [burnIn, steps) for the batch means (docs/mf.md,
   * "Convergence"): step t falls in batch floor((t - burnIn) batches / (steps - burnIn)).
   */
  batches: number;
  /** Leading input coordinates in the target set S (k, 1 or 0). */
  nRelevant: number;
  /** MF-ARD hyperprior Gamma(alpha0, beta0) (shape, rate), THEORY.md section 7. */
  ardAlpha0: number;
  ardBeta0: number;
  /** EMA rate of the rho update in [0, 1]; 0 skips it: plain MF, bit for bit. */
  ardEma: number;
  /**
   * MF-ARD precisions: one rho_j per input coordinate shared by all neurons ('coordinate'), or one
   * rho_pj per particle and coordinate ('neuron': a Student-t prior per weight). Sizes state.rho.
   */
  ardPrecisions: 'coordinate' | 'neuron';
  histBins: number;
  /** Histogram half-width in units of the prior standard deviation (sigmaW, sigmaA). */
  histRange: number;
  /**
   * The residual solve: 'cholesky' factors K_q + ridge I (P x P), 'woodbury' the M x M matrix
   * ridge I + B B^T (cheaper when P > M). Same residual up to rounding.
   */
  solve: 'cholesky' | 'woodbury';
  /**
   * 'kernel': keep the particles of every sample (acc.sampleW) and, in the call that completes
   * step steps - 1, form the predictor of the time-averaged kernel K_q into acc.kernelFTrain and
   * acc.kernelFTest (docs/mf.md, "Two averages"). 'predictor': neither (those arrays are empty).
   */
  average: 'kernel' | 'predictor';
  /**
   * Threads the native kernel runs a step's particle blocks and kernel tiles on, integer in
   * [1, 256]; the numbers are bitwise those of threads = 1 (docs/mf.md, "Threads"). The js
   * kernel runs on one thread whatever it is.
   */
  threads: number;
}

/** The data of one branch: as the SGLD kernel's. */
export type MfData = SgldData;

/** One branch's state, updated in place. */
export interface MfState {
  /** Particles, M x d row-major. */
  W: Float64Array;
  /**
   * Precisions: rho_j (d) for ardPrecisions 'coordinate', rho_pj (M x d row-major) for 'neuron';
   * 1/sigmaW^2 throughout for plain MF.
   */
  rho: Float64Array;
  /** The residual r (P) of the last step computed; read only when stepBegin > 0. */
  rPrev: Float64Array;
}

/**
 * Accumulators of one branch (docs/mf.md, "Samples"), updated in place, every one a Float64Array
 * of fixed size (src/methods/mf/layout.ts). One-element arrays hold the scalars. O =
 * mfObserveCount(config) = ceil(steps / observeEvery), G = 3 groups (relevant w, irrelevant w, a).
 */
export interface MfAccumulators {
  /** 1 */
  nSamples: Float64Array;
  /** PTest: sum over samples of fbar on the test rows */
  sumFTest: Float64Array;
  /** P: sum over samples of fbar = y - r on the training rows */
  sumFTrain: Float64Array;
  /** batches x P: as sumFTrain, per batch of the sampling window */
  sumFTrainBatch: Float64Array;
  /**
   * batches x 3: per batch, (samples, sum of mS, sum of trainMse) of the instantaneous predictor;
   * the mS sums stay 0 without a target
   */
  batchSums: Float64Array;
  /** d: sum over samples of q_j = (1/M) sum_p w_pj^2 */
  sumQ: Float64Array;
  /** 1: sum over samples of the fraction of specialised particles */
  sumSpecialisation: Float64Array;
  /** G x (bins + 2): [underflow, bins..., overflow]; a's are expected (fractional) counts */
  hist: Float64Array;
  /** G x 4: sums of x, x^2, x^3, x^4 (a's from the exact Gaussian conditional) */
  moments: Float64Array;
  /** G: values summed into each group's moments */
  counts: Float64Array;
  /** 1: sum over steps t >= max(burnIn, 1) of |r_t - r_(t-1)| / |y| */
  sumStepChange: Float64Array;
  /** 1 */
  nStepChange: Float64Array;
  /** O x 4: rows (step, trainMse, mS, stepChange), row t / observeEvery; NaN where undefined */
  series: Float64Array;
  /**
   * S x M x d (average 'kernel'; else empty): the particles W of sample s = (t - burnIn) /
   * sampleEvery, S = mfSampleCount(config)
   */
  sampleW: Float64Array;
  /** P (average 'kernel'; else empty): fbar of the time-averaged kernel on the training rows */
  kernelFTrain: Float64Array;
  /** PTest (average 'kernel'; else empty): fbar of the time-averaged kernel on the test rows */
  kernelFTest: Float64Array;
}

/** How a step failed: K_q + ridge I (or the Woodbury matrix) not positive definite, or a particle
 *  became non-finite. */
export type MfFailure = 'none' | 'nonFinite' | 'notPositiveDefinite';

export interface MfRunResult {
  /** Steps completed (stepEnd - stepBegin unless a step failed). */
  stepsDone: number;
  failure: MfFailure;
  /**
   * The step that failed, -1 when none; `steps` when the factorisation of the time-averaged
   * kernel (average 'kernel', after the last step) failed.
   */
  failedStep: number;
  /** notPositiveDefinite: order of the first leading minor that is not positive (LAPACK's
   *  info); 0 otherwise. */
  info: number;
}

/** C (M x N) = alpha op(A) op(B) + beta C, row-major; op(A) is M x K, op(B) is K x N. */
export interface GemmOptions {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
}

/** Activations with a closed-form NNGP kernel (THEORY.md section 5). */
export type KernelName = 'relu' | 'erf' | 'linear';

/**
 * The NNGP kernel K(x, x') = E[phi(u) phi(v)], (u, v) Gaussian with covariance
 * Sigma(x, x') = sigmaW^2 x.x'/d (+ sigmaB^2 with bias).
 */
export interface KernelSpec {
  kernel: KernelName;
  d: number;
  sigmaW: number;
  sigmaB: number;
  bias: boolean;
}

export interface Backend {
  readonly name: BackendName;
  info(): BackendInfo;
  /** One Philox4x32-10 evaluation (docs/rng.md). */
  philox4x32(counter: Uint32Array, key: Uint32Array): Uint32Array;
  /** Values [offset, offset + out.length) of the uniform [0,1) sequence of (seed, stream). */
  fillUniform(seed: number, stream: number, offset: number, out: Float64Array): void;
  /** Values [offset, offset + out.length) of the N(0,1) sequence of (seed, stream). */
  fillGaussian(seed: number, stream: number, offset: number, out: Float64Array): void;
  generateTaskRows(params: TaskParams, rows: TaskRows): void;
  /** As generateTaskRows, off the event loop, cancellable; progress in rows. */
  generateTaskRowsAsync(params: TaskParams, rows: TaskRows, options?: AsyncOptions): Promise<void>;
  /** Network outputs f (P) on X (P x d). */
  forward(shape: NetworkShape, X: Float64Array, params: NetworkParams, f: Float64Array): void;
  /** E = 1/2 sum (f - y)^2; writes f and the gradient of E into `out`. */
  lossGradient(
    shape: NetworkShape,
    X: Float64Array,
    y: Float64Array,
    params: NetworkParams,
    out: GradientOutputs,
  ): number;
  /** The BLAS product the kernels are built on (benchmarks time it against whole steps). */
  gemm(options: GemmOptions, A: Float64Array, B: Float64Array, C: Float64Array): void;
  /** K(X, X) (P x P, both triangles written) for X (P x d). */
  nngpGram(spec: KernelSpec, X: Float64Array, K: Float64Array): void;
  /** K(Xs, X) (Q x P) for Xs (Q x d) and X (P x d). */
  nngpCross(spec: KernelSpec, Xs: Float64Array, X: Float64Array, K: Float64Array): void;
  /** K(x, x) for every row of X. */
  nngpDiag(spec: KernelSpec, X: Float64Array, out: Float64Array): void;
  /**
   * In place: A (n x n, symmetric, lower triangle read) <- L with L L^T = A + ridge I (lower
   * triangle written; the strict upper triangle is left unspecified). Returns 0 on success, or i > 0
   * when the leading minor of order i is not positive definite (A is then unspecified).
   */
  cholesky(A: Float64Array, n: number, ridge: number): number;
  /** In place: B (nrhs x n, one right-hand side per row) <- (L L^T)^-1 B. */
  choleskySolve(L: Float64Array, n: number, B: Float64Array): void;
  /** Advances every chain over steps [stepBegin, stepEnd) (docs/sgld.md, "Kernel contract"). */
  sgldRun(
    config: SgldConfig,
    data: SgldData,
    state: SgldState,
    acc: SgldAccumulators,
    stepBegin: number,
    stepEnd: number,
  ): SgldRunResult;
  /** As sgldRun, off the event loop; progress in steps; cancelling stops at a step boundary. */
  sgldRunAsync(
    config: SgldConfig,
    data: SgldData,
    state: SgldState,
    acc: SgldAccumulators,
    stepBegin: number,
    stepEnd: number,
    options?: AsyncOptions,
  ): Promise<SgldRunResult>;
  /**
   * Advances one mean-field branch over steps [stepBegin, stepEnd) (docs/mf.md, "Kernel
   * contract"). A numerical failure stops the run and is reported, never thrown.
   */
  mfRun(
    config: MfKernelConfig,
    data: MfData,
    state: MfState,
    acc: MfAccumulators,
    stepBegin: number,
    stepEnd: number,
  ): MfRunResult;
  /** As mfRun, off the event loop; progress in steps; cancelling stops at a step boundary. */
  mfRunAsync(
    config: MfKernelConfig,
    data: MfData,
    state: MfState,
    acc: MfAccumulators,
    stepBegin: number,
    stepEnd: number,
    options?: AsyncOptions,
  ): Promise<MfRunResult>;
}
