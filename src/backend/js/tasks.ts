/**
 * Task data (THEORY.md section 1), twin of native/core/tasks.cpp and bit-identical to it.
 * Row mu of the inputs is values [mu*d, mu*d + d) of the split's input stream and its label noise
 * is value mu of the split's label-noise stream, so a row depends only on (seed, split, mu, d):
 * P never changes the first rows, and train and test never share a draw.
 */
import { cancelled } from '../../errors.js';
import { Purpose, streamId } from '../../rng/streams.js';
import type { AsyncOptions, TaskParams, TaskRows } from '../types.js';
import { dimension, integerIn } from './check.js';
import { fillGaussian, fillUniform } from './rng.js';
import { parseAsyncOptions } from '../options.js';

/** The largest Hermite degree of a single-index task (src/tasks/spec.ts). */
const MAX_HERMITE_DEGREE = 20;

/** Values generated between two yields of the async form (about a millisecond of work). */
const CHUNK_VALUES = 1 << 16;

/** k! as the product 1 * 2 * ... * k in doubles, in that order (exact up to k = 22; k <= 20 here). */
function factorial(k: number): number {
  let product = 1;
  for (let i = 1; i <= k; i++) product = product * i;
  return product;
}

/** Probabilists' Hermite He_k(x) by He_{n+1} = x He_n - n He_{n-1}, He_0 = 1, He_1 = x. */
export function hermite(k: number, x: number): number {
  if (k === 0) return 1;
  let previous = 1;
  let current = x;
  for (let n = 1; n < k; n++) {
    const next = x * current - n * previous;
    previous = current;
    current = next;
  }
  return current;
}

/** parity(d, k): x_j = -1 when the uniform is below 1/2, +1 otherwise; y = x_0 x_1 ... x_{k-1}. */
function parityRows(
  params: TaskParams,
  stream: number,
  rowOffset: number,
  X: Float64Array,
  y: Float64Array,
): void {
  const { d, k } = params;
  fillUniform(params.seed, stream, rowOffset * d, X);
  for (let i = 0; i < X.length; i++) X[i] = X[i]! < 0.5 ? -1 : 1;
  for (let mu = 0; mu < y.length; mu++) {
    let label = 1;
    for (let j = 0; j < k; j++) label = label * X[mu * d + j]!;
    y[mu] = label;
  }
}

/** single-index(d, k): x ~ N(0, I_d), y = He_k(x_0) / sqrt(k!) (u = e_1), so E[y^2] = 1. */
function singleIndexRows(
  params: TaskParams,
  stream: number,
  rowOffset: number,
  X: Float64Array,
  y: Float64Array,
): void {
  const { d, k } = params;
  fillGaussian(params.seed, stream, rowOffset * d, X);
  const norm = Math.sqrt(factorial(k));
  for (let mu = 0; mu < y.length; mu++) y[mu] = hermite(k, X[mu * d]!) / norm;
}

/** y_mu += sigma_eps * g_mu, g_mu = value mu (global row index) of the label-noise stream. */
function addLabelNoise(
  params: TaskParams,
  stream: number,
  rowOffset: number,
  y: Float64Array,
): void {
  const g = new Float64Array(y.length);
  fillGaussian(params.seed, stream, rowOffset, g);
  for (let mu = 0; mu < y.length; mu++) y[mu] = y[mu]! + params.labelNoise * g[mu]!;
}

/** d and k bound the loops over a row: checked as the binding does (native/napi/tasks.cpp). */
function checkLoopBounds(params: TaskParams): void {
  const d = dimension(params.d, 'd');
  integerIn(params.k, 'k', 0, params.kind === 'single-index' ? Math.min(d, MAX_HERMITE_DEGREE) : d);
}

/** Rows [rowOffset, rowOffset + y.length) of the train or test split, into X (n x d) and y (n). */
export function generateTaskRows(params: TaskParams, rows: TaskRows): void {
  checkLoopBounds(params);
  const n = rows.y.length;
  const X = rows.X.subarray(0, n * params.d);
  const inputs = streamId(rows.test ? Purpose.testInputs : Purpose.trainInputs, 0);
  if (params.kind === 'parity') parityRows(params, inputs, rows.rowOffset, X, rows.y);
  else singleIndexRows(params, inputs, rows.rowOffset, X, rows.y);
  if (params.labelNoise > 0) {
    const noise = streamId(rows.test ? Purpose.testLabelNoise : Purpose.trainLabelNoise, 0);
    addLabelNoise(params, noise, rows.rowOffset, rows.y);
  }
}

/** Resolves on the next turn of the event loop, after pending I/O and timers. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * generateTaskRows in chunks of rows with a yield to the event loop before each, so a large
 * dataset never blocks it for long. Progress is reported in rows after every chunk. On abort the
 * rows generated so far stay written and the promise rejects with ERR_MFL_CANCELLED; an already
 * aborted signal rejects before any work.
 */
export async function generateTaskRowsAsync(
  params: TaskParams,
  rows: TaskRows,
  options?: AsyncOptions,
): Promise<void> {
  const { signal, onProgress } = parseAsyncOptions(options);
  if (signal?.aborted) throw cancelled('generateTaskRows');
  const { d } = params;
  const total = rows.y.length;
  const chunkRows = Math.max(1, Math.floor(CHUNK_VALUES / d));
  for (let done = 0; done < total;) {
    await nextTurn();
    if (signal?.aborted) throw cancelled('generateTaskRows');
    const n = Math.min(chunkRows, total - done);
    generateTaskRows(params, {
      test: rows.test,
      rowOffset: rows.rowOffset + done,
      X: rows.X.subarray(done * d, (done + n) * d),
      y: rows.y.subarray(done, done + n),
    });
    done += n;
    onProgress?.(done, total);
  }
}
