/**
 * Philox4x32-10 (docs/rng.md), the counter-based generator behind every random number in mfl.
 * Twin of native/core/rng.cpp; the two must agree bit for bit.
 *
 * Words are kept as int32 between rounds (XOR and addition mod 2^32 are then single machine
 * operations in V8) and become unsigned only when stored. The low word of the 32 x 32-bit product
 * is Math.imul; the high word is assembled from 16-bit halves whose products stay below 2^32, so
 * every step is exact. No BigInt: that would allocate on the hot path.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9 | 0;
const W1 = 0xbb67ae85 | 0;

const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;

const ROUNDS = 10;

/**
 * High word of the 64-bit product a * (mHi * 2^16 + mLo), a any 32-bit word, as int32.
 * a * m = hh 2^32 + (lh + hl) 2^16 + ll; the carry into the high word collects the high halves
 * of lh and hl and the overflow of their low halves plus the high half of ll.
 */
function mulHi(a: number, mHi: number, mLo: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const ll = aLo * mLo;
  const lh = aLo * mHi;
  const hl = aHi * mLo;
  const carry = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * mHi + (lh >>> 16) + (hl >>> 16) + (carry >>> 16)) | 0;
}

/**
 * One Philox4x32-10 evaluation of counter (c0..c3) under key (k0, k1), 32-bit words given as
 * unsigned or signed integers; writes the four output words to out[0..3]. Scalar arguments and a
 * caller-owned output keep the per-block cost free of allocation.
 */
export function philoxInto(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  c0 |= 0;
  c1 |= 0;
  c2 |= 0;
  c3 |= 0;
  k0 |= 0;
  k1 |= 0;
  for (let round = 0; round < ROUNDS; round++) {
    const hi0 = mulHi(c0, M0_HI, M0_LO);
    const lo0 = Math.imul(c0, M0);
    const hi1 = mulHi(c2, M1_HI, M1_LO);
    const lo1 = Math.imul(c2, M1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    // The bump after the last round is unused; keeping the loop uniform costs two additions.
    k0 = (k0 + W0) | 0;
    k1 = (k1 + W1) | 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Philox4x32-10 of a 4-word counter and a 2-word key, as a fresh 4-word array. */
export function philox4x32(counter: Uint32Array, key: Uint32Array): Uint32Array {
  const out = new Uint32Array(4);
  philoxInto(
    counter[0] ?? 0,
    counter[1] ?? 0,
    counter[2] ?? 0,
    counter[3] ?? 0,
    key[0] ?? 0,
    key[1] ?? 0,
    out,
  );
  return out;
}
