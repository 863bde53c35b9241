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

/** Options of long-running calls. */
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
}
