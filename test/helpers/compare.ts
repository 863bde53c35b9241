/** Comparisons used by the agreement and accuracy tests. */
import assert from 'node:assert/strict';

/**
 * Relative error in the norm sense: max_i |a_i - b_i| / max_i |b_i| (b the reference), or the
 * absolute max difference when b is all zeros. One number per output array, so a tiny entry of b
 * cannot blow up the ratio.
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'arrays of different length');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (Number.isNaN(diff)) return NaN;
  return scale === 0 ? diff : diff / scale;
}

/** Relative error in the L2 sense: |a - b| / |b| (b the reference). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'arrays of different length');
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** Asserts the two arrays hold the same bits (so -0 differs from 0 and NaN equals NaN). */
export function assertBitIdentical(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) {
      const k = i >> 1;
      assert.fail(`${what}: first difference at index ${k}: ${a[k]} vs ${b[k]}`);
    }
  }
}
