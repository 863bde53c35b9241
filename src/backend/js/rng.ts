/**
 * Uniform and Gaussian streams over Philox4x32-10 (docs/rng.md). A value is addressed by its
 * index in the stream, so any sub-range fill equals the slice of a whole fill; both fills below
 * start half-way into a block when the offset is odd.
 */
import { detLog, detSinCos2pi } from './detmath.js';
import { philoxInto } from './philox.js';

const TWO_POW_32 = 2 ** 32;
const TWO_POW_26 = 2 ** 26;
const TWO_POW_MINUS_53 = 2 ** -53;

// Scratch of the fills: one Philox block and one (sin, cos) pair. Safe to share because the
// fills are synchronous and never re-enter each other.
const block = new Uint32Array(4);
const sinCos = new Float64Array(2);

/** Low and high 32-bit words of an integer in [0, 2^53). */
function lo32(n: number): number {
  return n % TWO_POW_32;
}
function hi32(n: number): number {
  return Math.floor(n / TWO_POW_32);
}

/** Block `index` of stream (seed, stream), all integers in [0, 2^53), written to out[0..3]. */
export function rngBlock(
  seed: number,
  stream: number,
  index: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  philoxInto(lo32(index), hi32(index), lo32(stream), hi32(stream), lo32(seed), hi32(seed), out);
  return out;
}

/** 53 random bits from two words, scaled to [0, 1); every step is exact. */
function uniformFromWords(a: number, b: number): number {
  return ((a >>> 5) * TWO_POW_26 + (b >>> 6)) * TWO_POW_MINUS_53;
}

/** Values [offset, offset + out.length) of the uniform [0, 1) sequence of (seed, stream). */
export function fillUniform(seed: number, stream: number, offset: number, out: Float64Array): void {
  const n = out.length;
  let b = Math.floor(offset / 2);
  let i = 0;
  if (offset % 2 === 1 && n > 0) {
    rngBlock(seed, stream, b++, block);
    out[i++] = uniformFromWords(block[2]!, block[3]!);
  }
  for (; i + 1 < n; i += 2) {
    rngBlock(seed, stream, b++, block);
    out[i] = uniformFromWords(block[0]!, block[1]!);
    out[i + 1] = uniformFromWords(block[2]!, block[3]!);
  }
  if (i < n) {
    rngBlock(seed, stream, b, block);
    out[i] = uniformFromWords(block[0]!, block[1]!);
  }
}

/**
 * Box-Muller on the block in `block`: sets sinCos to (r sin, r cos) of the Gaussian pair, whose
 * even value is r cos(2 pi u2) and odd value r sin(2 pi u2). u1 is in (0, 1], so the log is
 * finite.
 */
function gaussianPair(): void {
  const u1 = ((block[0]! >>> 5) * TWO_POW_26 + (block[1]! >>> 6) + 1) * TWO_POW_MINUS_53;
  const u2 = uniformFromWords(block[2]!, block[3]!);
  const r = Math.sqrt(-2 * detLog(u1));
  detSinCos2pi(u2, sinCos);
  sinCos[0] = r * sinCos[0]!;
  sinCos[1] = r * sinCos[1]!;
}

/** Values [offset, offset + out.length) of the N(0, 1) sequence of (seed, stream). */
export function fillGaussian(
  seed: number,
  stream: number,
  offset: number,
  out: Float64Array,
): void {
  const n = out.length;
  let b = Math.floor(offset / 2);
  let i = 0;
  if (offset % 2 === 1 && n > 0) {
    rngBlock(seed, stream, b++, block);
    gaussianPair();
    out[i++] = sinCos[0]!;
  }
  for (; i + 1 < n; i += 2) {
    rngBlock(seed, stream, b++, block);
    gaussianPair();
    out[i] = sinCos[1]!;
    out[i + 1] = sinCos[0]!;
  }
  if (i < n) {
    rngBlock(seed, stream, b, block);
    gaussianPair();
    out[i] = sinCos[1]!;
  }
}
