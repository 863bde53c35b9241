/**
 * The direct dense solve the tests use as an oracle: Gaussian elimination with partial pivoting,
 * independent of the Cholesky code it checks.
 */

/** x with A x = b, A n x n row-major (neither argument is modified). */
export function denseSolve(A: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  const a = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    }
    for (let k = 0; k < n; k++) {
      [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[col * n + k]!];
    }
    [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    for (let r = col + 1; r < n; r++) {
      const factor = a[r * n + col]! / a[col * n + col]!;
      for (let k = col; k < n; k++) a[r * n + k] = a[r * n + k]! - factor * a[col * n + k]!;
      x[r] = x[r]! - factor * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r * n + k]! * x[k]!;
    x[r] = s / a[r * n + r]!;
  }
  return x;
}
