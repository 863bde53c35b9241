/**
 * Dense Cholesky factorisation with a ridge and the matching solve, the twin of LAPACK
 * dpotrf/dpotrs behind native/core/cholesky.cpp (kernel ridge regression, THEORY.md section 5).
 * Row-major, lower triangle only; the strict upper triangle is never read or written.
 */
import { dimension, rowsOf } from './check.js';

/**
 * In place: A (n x n) <- L, lower triangular with L L^T = A + ridge I (Cholesky-Banachiewicz, row
 * by row, so row i needs only rows 0..i of L). Returns 0, or like LAPACK's info the order i of the
 * first leading minor that is not positive definite: the pivot of row i - 1 was <= 0 (or NaN).
 */
export function cholesky(A: Float64Array, n: number, ridge: number): number {
  dimension(n, 'n');
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= A[ri + k]! * A[rj + k]!;
      A[ri + j] = s / A[rj + j]!;
    }
    let pivot = A[ri + i]! + ridge;
    for (let k = 0; k < i; k++) pivot -= A[ri + k]! * A[ri + k]!;
    if (!(pivot > 0)) return i + 1;
    A[ri + i] = Math.sqrt(pivot);
  }
  return 0;
}

/**
 * In place: B (nrhs x n, one right-hand side per row) <- (L L^T)^-1 B: forward substitution
 * L z = b, then back substitution L^T x = z, column-oriented so L is read along its rows.
 */
export function choleskySolve(L: Float64Array, n: number, B: Float64Array): void {
  const nrhs = rowsOf(B.length, dimension(n, 'n'), 'B', 'n');
  for (let r = 0; r < nrhs; r++) {
    const b = B.subarray(r * n, (r + 1) * n);
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= L[ri + k]! * b[k]!;
      b[i] = s / L[ri + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      const ri = i * n;
      const x = b[i]! / L[ri + i]!;
      b[i] = x;
      for (let k = 0; k < i; k++) b[k] = b[k]! - L[ri + k]! * x;
    }
  }
}
