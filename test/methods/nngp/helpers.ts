/**
 * Shared pieces of the nngp tests: the whole hypercube and a backend spy.
 */
import type { Backend } from '../../../src/backend/types.js';

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
