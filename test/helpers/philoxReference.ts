/**
 * A deliberately naive Philox4x32-10 in BigInt, straight from docs/rng.md, as an independent
 * oracle for random counters and keys (the backends use 32-bit arithmetic tricks instead).
 */
const MASK = 0xffffffffn;
const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9n;
const W1 = 0xbb67ae85n;

export function philoxReference(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  let c = Array.from(counter, (v) => BigInt(v));
  let k = Array.from(key, (v) => BigInt(v));
  for (let round = 0; round < 10; round++) {
    const p0 = M0 * c[0]!;
    const p1 = M1 * c[2]!;
    c = [(p1 >> 32n) ^ c[1]! ^ k[0]!, p1 & MASK, (p0 >> 32n) ^ c[3]! ^ k[1]!, p0 & MASK];
    k = [(k[0]! + W0) & MASK, (k[1]! + W1) & MASK];
  }
  return Uint32Array.from(c, (v) => Number(v));
}
