/**
 * Small dense linear algebra for the closed-form tests (N x N systems, N about 10).
 */
import { denseSolve } from '../../helpers/linalg.js';

/** A row-major n x n matrix. */
export interface Matrix {
  n: number;
  data: Float64Array;
}

export function matrix(n: number, fill: (i: number, j: number) => number): Matrix {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = fill(i, j);
  return { n, data };
}

export function at(m: Matrix, i: number, j: number): number {
  return m.data[i * m.n + j]!;
}

export function matVec(m: Matrix, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) {
    let s = 0;
    for (let j = 0; j < m.n; j++) s += at(m, i, j) * v[j]!;
    out[i] = s;
  }
  return out;
}

export function matMul(a: Matrix, b: Matrix): Matrix {
  return matrix(a.n, (i, j) => {
    let s = 0;
    for (let k = 0; k < a.n; k++) s += at(a, i, k) * at(b, k, j);
    return s;
  });
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** x with m x = b (the shared direct dense solve). */
export function solve(m: Matrix, b: ArrayLike<number>): Float64Array {
  return denseSolve(m.data, m.n, b);
}

/** Largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration. */
export function largestEigenvalue(m: Matrix, iterations = 2000): number {
  let v = new Float64Array(m.n).fill(1);
  let lambda = 0;
  for (let it = 0; it < iterations; it++) {
    const w = matVec(m, v);
    const norm = Math.sqrt(dot(w, w));
    lambda = norm / Math.sqrt(dot(v, v));
    v = w.map((x) => x / norm);
  }
  return lambda;
}
