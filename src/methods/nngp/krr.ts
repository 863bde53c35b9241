/**
 * Kernel ridge regression with the NNGP kernel: the N -> infinity posterior mean (THEORY.md
 * section 5), fbar(x*) = k*^T (K + ridge I)^-1 y, with the GP posterior variance. One Cholesky
 * factorisation (LAPACK potrf on the native backend), never an inverse; the factor and
 * alpha = (K + ridge I)^-1 y are cached in the returned record's closures, and test points are
 * processed in row chunks so the Q x P cross kernel is never whole.
 */
import os from 'node:os';
import type { Backend, KernelSpec } from '../../backend/types.js';
import { MflRangeError, outOfRange } from '../../errors.js';

/** The default memory limit is this fraction of the free memory when the fit starts. */
export const DEFAULT_MEMORY_FRACTION = 0.7;
/** Largest cross-kernel chunk (rows x P doubles) held at once. */
export const MAX_CHUNK_BYTES = 64 * 2 ** 20;

/** The default limit: 70% of `os.freemem()`, in bytes. */
export function defaultMemoryLimit(): number {
  return Math.floor(DEFAULT_MEMORY_FRACTION * os.freemem());
}

/** Options of `fitKrr`. */
export interface KrrOptions {
  /**
   * Bytes the fit may allocate for kernel matrices: the P x P factor (8 P^2) plus at least one
   * row of the cross kernel (8 P; twice that with variances). Default: 70% of free memory.
   */
  memoryLimitBytes?: number;
  /**
   * Scale c of the posterior variance c (K(x*, x*) - k*^T (K + ridge I)^-1 k*); the GP prior of
   * f is c K with c = sigma_a^2 N^(1 - 2 gamma) (THEORY.md section 2). Default 1.
   */
  priorScale?: number;
  /** How the training-set size is named in the memory message (default "P"). */
  sizeField?: string;
}

/** A fitted predictor (the neural-tangents `gp_inference` shape: closures over the factor). */
export interface KrrFit {
  kernel: KernelSpec;
  P: number;
  ridge: number;
  /** alpha = (K + ridge I)^-1 y. */
  alpha: Float64Array;
  /** fbar on the training inputs, K alpha = y - ridge alpha. */
  trainPredictions: Float64Array;
  /** Bytes held by the cached Cholesky factor (8 P^2). */
  factorBytes: number;
  /** fbar(x*) for each row of Xs (Q x d). */
  predict(Xs: Float64Array): Float64Array;
  /** Posterior variance c (K(x*, x*) - k*^T (K + ridge I)^-1 k*) per row of Xs (clamped at 0
   *  against rounding). Costs a P x P solve per chunk: on demand only. */
  variance(Xs: Float64Array): Float64Array;
  /** Both at once (one cross kernel per chunk). */
  predictWithVariance(Xs: Float64Array): { mean: Float64Array; variance: Float64Array };
}

/**
 * Raised when K + ridge I is not positive definite: the Cholesky factorisation failed at leading
 * minor `minor` of `size`; `suggestedRidge` factorises (null when none up to 1e40 x did).
 */
export class NotPositiveDefiniteError extends MflRangeError {
  constructor(
    message: string,
    readonly ridge: number,
    readonly suggestedRidge: number | null,
    readonly minor: number,
    readonly size: number,
  ) {
    super(message);
    this.name = 'NotPositiveDefiniteError';
  }
}

/** Bytes per row of cross kernel held at once (a second copy for the variance solve). */
function rowBytes(P: number, withVariance: boolean): number {
  return 8 * P * (withVariance ? 2 : 1);
}

/**
 * Refuses, before allocating, a fit whose P x P matrix plus one cross-kernel row exceeds the
 * limit. The message names the size field and the largest P that fits.
 */
export function checkMemory(P: number, limit: number, field = 'P'): void {
  const needed = 8 * P * P + 8 * P;
  if (needed <= limit) return;
  const largest = Math.max(0, Math.floor((-8 + Math.sqrt(64 + 32 * limit)) / 16));
  throw outOfRange(
    field,
    `at most ${largest} for kernel ridge regression within the memory limit of ${limit} bytes ` +
      `(the P x P kernel matrix takes 8 P^2 = ${8 * P * P} bytes; raise memoryLimitBytes / ` +
      `--memory-limit, or use method "eigen" for the population learning curve)`,
    P,
  );
}

/** Gram K(X, X) into K (both triangles) and its mean diagonal. */
function gram(backend: Backend, kernel: KernelSpec, X: Float64Array, K: Float64Array, P: number) {
  backend.nngpGram(kernel, X, K);
  let diag = 0;
  for (let i = 0; i < P; i++) diag += K[i * P + i]!;
  return diag / P;
}

/**
 * K <- the Cholesky factor of K(X, X) + ridge I, or a NotPositiveDefiniteError naming the ridge
 * and the smallest ridge of the form r0 10^n, r0 = max(ridge, 1e-12 mean diag), that factorises.
 */
function factorise(
  backend: Backend,
  kernel: KernelSpec,
  X: Float64Array,
  K: Float64Array,
  P: number,
  ridge: number,
): void {
  const meanDiag = gram(backend, kernel, X, K, P);
  const info = backend.cholesky(K, P, ridge);
  if (info === 0) return;
  // The failed factorisation leaves K unspecified: rebuild it for every retry.
  let trial = Math.max(ridge, 1e-12 * meanDiag);
  if (trial === ridge) trial *= 10;
  for (let i = 0; i < 40 && Number.isFinite(trial); i++, trial *= 10) {
    gram(backend, kernel, X, K, P);
    if (backend.cholesky(K, P, trial) !== 0) continue;
    const suggested = Number(trial.toPrecision(3));
    throw new NotPositiveDefiniteError(
      `ridge: K + ridge I is not positive definite at ridge = ${ridge} (the Cholesky ` +
        `factorisation failed at leading minor ${info} of ${P}); the smallest ridge that works ` +
        `is about ${suggested} (the first of max(ridge, 1e-12 mean diag K) x 10^n that factorises)`,
      ridge,
      suggested,
      info,
      P,
    );
  }
  throw new NotPositiveDefiniteError(
    `ridge: K + ridge I is not positive definite at ridge = ${ridge} (the Cholesky factorisation ` +
      `failed at leading minor ${info} of ${P}), nor at any ridge up to ${trial / 10}: the ` +
      `kernel ` +
      `matrix is not a valid covariance (check the inputs for huge values)`,
    ridge,
    null,
    info,
    P,
  );
}

/** Rows of Xs per chunk: as many as fit in min(64 MiB, limit - factor), at least one. */
function chunkRows(P: number, Q: number, limit: number, withVariance: boolean): number {
  const budget = Math.min(MAX_CHUNK_BYTES, limit - 8 * P * P);
  return Math.max(1, Math.min(Q, Math.floor(budget / rowBytes(P, withVariance))));
}

/**
 * Fits kernel ridge regression: factorises K(X, X) + ridge I once and returns the predictor.
 * @param X training inputs, P x d row-major (d = kernel.d)
 * @param y training labels, P
 * @param kernel the NNGP kernel (`kernelSpecOf`)
 * @param ridge the ridge, finite > 0 (THEORY.md section 5: kappa_eff N^(2 gamma - 1) / sigma_a^2)
 * @param backend computes the Gram and cross kernels and the Cholesky factorisation
 * @param options memory limit (default 70% of free memory) and the variance scale
 * @returns the predictor record: alpha, training-set predictions, predict / variance closures
 * @throws MflRangeError ERR_MFL_OUT_OF_RANGE naming P, before any allocation, when 8 P^2 + 8 P
 *   bytes exceed the memory limit (with the largest P that fits)
 * @throws NotPositiveDefiniteError (ERR_MFL_OUT_OF_RANGE) when K + ridge I is not positive
 *   definite, naming the ridge and the smallest ridge that works
 * @example
 * const fit = fitKrr(X, y, { kernel: 'relu', d: 12, sigmaW: 1, sigmaB: 1, bias: false }, 0.01,
 *   getBackend());
 * const fbar = fit.predict(XTest);
 */
export function fitKrr(
  X: Float64Array,
  y: Float64Array,
  kernel: KernelSpec,
  ridge: number,
  backend: Backend,
  options: KrrOptions = {},
): KrrFit {
  const P = y.length;
  const { d } = kernel;
  if (X.length !== P * d) {
    throw outOfRange('X', `a Float64Array of P * d = ${P} * ${d} values`, X);
  }
  // P = 0 has no system to solve (the prediction is the prior mean 0): any ridge will do.
  if (P > 0 && !(ridge > 0 && Number.isFinite(ridge))) {
    throw outOfRange('ridge', 'a finite number > 0', ridge);
  }
  const limit = options.memoryLimitBytes ?? defaultMemoryLimit();
  checkMemory(P, limit, options.sizeField);
  const scale = options.priorScale ?? 1;
  const L = new Float64Array(P * P);
  if (P > 0) factorise(backend, kernel, X, L, P, ridge);
  const alpha = Float64Array.from(y);
  if (P > 0) backend.choleskySolve(L, P, alpha);
  const trainPredictions = Float64Array.from(y, (v, i) => v - ridge * alpha[i]!);

  const run = (Xs: Float64Array, withMean: boolean, withVariance: boolean) => {
    const Q = Math.floor(Xs.length / d);
    if (Xs.length !== Q * d)
      throw outOfRange('Xs', `a Float64Array of Q * d values (d = ${d})`, Xs);
    const mean = new Float64Array(withMean ? Q : 0);
    const variance = new Float64Array(withVariance ? Q : 0);
    const rows = chunkRows(P, Q, limit, withVariance);
    const cross = new Float64Array(Math.min(rows, Q) * P);
    const solved = new Float64Array(withVariance ? cross.length : 0);
    for (let start = 0; start < Q; start += rows) {
      const n = Math.min(rows, Q - start);
      const Xc = Xs.subarray(start * d, (start + n) * d);
      const Kc = cross.subarray(0, n * P);
      if (P > 0) backend.nngpCross(kernel, Xc, X, Kc);
      if (withMean) predictChunk(backend, Kc, alpha, mean.subarray(start, start + n), n, P);
      if (withVariance) {
        const out = variance.subarray(start, start + n);
        backend.nngpDiag(kernel, Xc, out);
        const B = solved.subarray(0, n * P);
        B.set(Kc);
        if (P > 0) backend.choleskySolve(L, P, B);
        for (let i = 0; i < n; i++) {
          let quad = 0;
          for (let j = 0; j < P; j++) quad += Kc[i * P + j]! * B[i * P + j]!;
          out[i] = scale * Math.max(0, out[i]! - quad);
        }
      }
    }
    return { mean, variance };
  };

  return {
    kernel,
    P,
    ridge,
    alpha,
    trainPredictions,
    factorBytes: L.byteLength,
    predict: (Xs) => run(Xs, true, false).mean,
    variance: (Xs) => run(Xs, false, true).variance,
    predictWithVariance: (Xs) => run(Xs, true, true),
  };
}

/** mean = Kc alpha (n x P times P) by the backend's GEMM. */
function predictChunk(
  backend: Backend,
  Kc: Float64Array,
  alpha: Float64Array,
  mean: Float64Array,
  n: number,
  P: number,
): void {
  if (P === 0) return;
  backend.gemm(
    { transA: false, transB: false, M: n, N: 1, K: P, alpha: 1, beta: 0 },
    Kc,
    alpha,
    mean,
  );
}
