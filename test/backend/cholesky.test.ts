/**
 * cholesky / choleskySolve on every backend: the factor reproduces A + ridge I, solves match a
 * direct dense solve (Gaussian elimination with partial pivoting) within 1e-10 relative, a matrix
 * that is not positive definite returns the order of its first non-positive leading minor (as
 * LAPACK's info) on both backends, and the native binding refuses bad arguments naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/types.js';
import { backends, nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { relativeError } from '../helpers/compare.js';
import { denseSolve } from '../helpers/linalg.js';
import { TestRng } from '../helpers/random.js';

const skip = skipUnlessNative();

/** A = M M^T + I (n x n, symmetric positive definite, condition number moderate). */
function spd(rng: TestRng, n: number): Float64Array {
  const M = rng.gaussian(n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) s += M[i * n + k]! * M[j * n + k]!;
      A[i * n + j] = s;
    }
  }
  return A;
}

/** The lower triangle of L L^T (n x n), for comparison with the factored matrix. */
function lowerOfLLt(L: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n * (n + 1)) / 2);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[i * n + k]! * L[j * n + k]!;
      out[at++] = s;
    }
  }
  return out;
}

function lower(A: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n * (n + 1)) / 2);
  let at = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[at++] = A[i * n + j]!;
  return out;
}

/** A 4 x 4 symmetric matrix whose leading minors are 4, 16, -8, ...: not PD at order 3. */
const MINOR3 = Float64Array.from([4, 2, 2, 0, 2, 5, 1, 0, 2, 1, 0.5, 0, 0, 0, 0, 1]);

function factor(backend: Backend, A: Float64Array, n: number, ridge: number): Float64Array {
  const L = A.slice();
  assert.equal(backend.cholesky(L, n, ridge), 0, `${backend.name}: factorisation failed`);
  return L;
}

for (const backend of backends) {
  const name = backend.name;

  test(`${name}: cholesky + solve reproduce a direct dense solve within 1e-10`, (t) => {
    const rng = new TestRng(77, 5);
    let worst = 0;
    for (const n of [1, 2, 3, 7, 16, 33, 64]) {
      const A = spd(rng, n);
      const nrhs = rng.int(1, 4);
      const B = rng.gaussian(nrhs * n);
      const L = factor(backend, A, n, 0);
      assert.ok(relativeError(lowerOfLLt(L, n), lower(A, n)) < 1e-13, `n=${n}: L L^T = A`);
      const X = B.slice();
      backend.choleskySolve(L, n, X);
      for (let r = 0; r < nrhs; r++) {
        const direct = denseSolve(A, n, B.subarray(r * n, (r + 1) * n));
        const err = relativeError(X.subarray(r * n, (r + 1) * n), direct);
        assert.ok(err < 1e-10, `n=${n} rhs ${r}: relative error ${err}`);
        worst = Math.max(worst, err);
      }
    }
    t.diagnostic(`largest relative error against the dense solve: ${worst}`);
  });

  test(`${name}: the ridge is added to the diagonal; the strict upper triangle is not used`, () => {
    const rng = new TestRng(78, 5);
    const n = 9;
    const A = spd(rng, n);
    const ridge = 0.75;
    const shifted = A.slice();
    for (let i = 0; i < n; i++) shifted[i * n + i] = shifted[i * n + i]! + ridge;
    const poisoned = A.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) poisoned[i * n + j] = NaN;
    const L = factor(backend, poisoned, n, ridge);
    assert.ok(relativeError(lowerOfLLt(L, n), lower(shifted, n)) < 1e-13);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) assert.ok(Number.isNaN(L[i * n + j]), 'upper triangle kept');
    }
    const b = rng.gaussian(n);
    const x = b.slice();
    backend.choleskySolve(L, n, x);
    assert.ok(relativeError(x, denseSolve(shifted, n, b)) < 1e-10);
  });

  test(`${name}: a matrix that is not positive definite returns its leading minor's order`, () => {
    assert.equal(backend.cholesky(MINOR3.slice(), 4, 0), 3);
    assert.equal(backend.cholesky(MINOR3.slice(), 4, 10), 0, 'a large enough ridge makes it PD');
    const negative = MINOR3.slice();
    negative[0] = -1;
    assert.equal(backend.cholesky(negative, 4, 0), 1);
    assert.equal(backend.cholesky(Float64Array.from([0]), 1, 0), 1, 'zero is not positive');
    assert.equal(backend.cholesky(Float64Array.from([0]), 1, 1e-300), 0);
    // Rank one: [[1, 1], [1, 1]] fails at order 2 (its pivot is exactly 0).
    assert.equal(backend.cholesky(Float64Array.from([1, 1, 1, 1]), 2, 0), 2);
  });

  test(`${name}: choleskySolve with no right-hand side does nothing`, () => {
    backend.choleskySolve(Float64Array.from([2]), 1, new Float64Array(0));
  });
}

test('native cholesky and choleskySolve refuse bad arguments, naming the field', { skip }, () => {
  const native = nativeBackend()!;
  const range = { name: 'RangeError', code: 'ERR_MFL_OUT_OF_RANGE' };
  const type = { name: 'TypeError', code: 'ERR_MFL_INVALID_TYPE' };
  const L = Float64Array.from([2, 0, 0, 1, 3, 0, 0.5, 1, 4]); // n = 3, lower triangular

  assert.throws(() => native.cholesky(new Float64Array(8), 3, 0), {
    ...type,
    message: /^A: expected a Float64Array of length 9 \(n\*n = 3\*3\), got length 8/,
  });
  assert.throws(() => native.cholesky(new Float32Array(9) as unknown as Float64Array, 3, 0), {
    ...type,
    message: /^A: expected a Float64Array/,
  });
  for (const n of [0, -1, 1.5, NaN]) {
    assert.throws(() => native.cholesky(new Float64Array(0), n, 0), {
      ...range,
      message: /^n: must be an integer in \[1, 2\^31 - 1\]/,
    });
  }
  assert.throws(() => native.cholesky(L.slice(), '3' as unknown as number, 0), {
    ...type,
    message: /^n: expected a number, got "3"/,
  });
  for (const ridge of [-1e-300, NaN, Infinity]) {
    assert.throws(() => native.cholesky(L.slice(), 3, ridge), {
      ...range,
      message: /^ridge: must be a finite number >= 0/,
    });
  }
  const nan = L.slice();
  nan[3] = NaN;
  assert.throws(() => native.cholesky(nan, 3, 0), {
    ...range,
    message: /^A\[3\]: must be finite \(lower triangle, row 1, column 0\), got NaN/,
  });

  assert.throws(() => native.choleskySolve(new Float64Array(4), 3, new Float64Array(3)), {
    ...type,
    message: /^L: expected a Float64Array of length 9 \(n\*n = 3\*3\), got length 4/,
  });
  assert.throws(() => native.choleskySolve(L, 3, new Float64Array(7)), {
    ...type,
    message: /^B: expected a Float64Array whose length is a multiple of n = 3, got length 7/,
  });
  const zeroPivot = L.slice();
  zeroPivot[4] = 0;
  assert.throws(() => native.choleskySolve(zeroPivot, 3, new Float64Array(3)), {
    ...range,
    message: /^L\[4\]: must be > 0 \(the diagonal of a Cholesky factor\), got 0/,
  });
  assert.throws(() => native.choleskySolve(nan, 3, new Float64Array(3)), {
    ...range,
    message: /^L\[3\]: must be finite/,
  });
  const b = new Float64Array(3);
  b[2] = Infinity;
  assert.throws(() => native.choleskySolve(L, 3, b), {
    ...range,
    message: /^B\[2\]: must be finite, got Infinity/,
  });
  const shared = new Float64Array(12);
  shared.set(L);
  assert.throws(() => native.choleskySolve(shared.subarray(0, 9), 3, shared.subarray(6, 12)), {
    ...range,
    message: /^B: must be a buffer distinct from L, got overlapping memory/,
  });
});
