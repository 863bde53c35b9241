/**
 * Shared pieces of the nngp tests: dense reference linear algebra (Gaussian elimination with
 * partial pivoting, for the KRR oracle), the whole hypercube, and a backend spy.
 */
import type { Backend } from '../../../src/backend/types.js';

/** Solves A x = b (A n x n row-major, copied) by Gaussian elimination with partial pivoting. */
export function gaussianSolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(M[r * n + col]!) > Math.abs(M[pivot * n + col]!)) pivot = r;
    }
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const t = M[col * n + c]!;
        M[col * n + c] = M[pivot * n + c]!;
        M[pivot * n + c] = t;
      }
      const t = x[col]!;
      x[col] = x[pivot]!;
      x[pivot] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = M[r * n + col]! / M[col * n + col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) M[r * n + c] = M[r * n + c]! - f * M[col * n + c]!;
      x[r] = x[r]! - f * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let c = r + 1; c < n; c++) s -= M[r * n + c]! * x[c]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}

/** Every point of {-1, +1}^d (2^d x d, row i has x_j = -1 where bit j of i is set) and the
 *  parity chi_S of its first k coordinates. */
export function hypercube(d: number, k: number): { X: Float64Array; target: Float64Array } {
  const n = 2 ** d;
  const X = new Float64Array(n * d);
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let product = 1;
    for (let j = 0; j < d; j++) {
      const v = (i >> j) & 1 ? -1 : 1;
      X[i * d + j] = v;
      if (j < k) product *= v;
    }
    target[i] = product;
  }
  return { X, target };
}

/** A backend that counts the calls of each method it forwards to `inner`. */
export function spyBackend(inner: Backend): { backend: Backend; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped: Record<string, unknown> = {};
  for (const key of Object.keys(inner) as (keyof Backend)[]) {
    const value: unknown = inner[key];
    wrapped[key] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.set(key, (calls.get(key) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).apply(inner, args);
          }
        : value;
  }
  return { backend: wrapped as unknown as Backend, calls };
}

/** Mean and standard error of the mean. */
export function meanAndError(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}
