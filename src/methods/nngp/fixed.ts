/**
 * Fixed-point arithmetic on BigInt (a value v stands for v * 2^-p), just enough to evaluate the
 * dot-product kernels of `kernel.ts` to hundreds of bits. The hypercube spectrum needs it: an
 * eigenvalue of degree l is an alternating sum of kernel values whose terms exceed the result by
 * up to 2^d (THEORY.md section 5, "beware cancellation"), so double-precision kernel values cannot
 * resolve the small eigenvalues at d = 64 however the sum is arranged.
 */
import type { KernelSpec } from '../../backend/types.js';
import { covarianceCoefficients } from './kernel.js';

/** Bits carried beyond the requested precision, absorbing the rounding of the steps below. */
const GUARD_BITS = 32;

/** x * 2^p rounded to an integer, exactly for every finite double. */
export function toFixed(x: number, p: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = (exponent === 0 ? 1 : exponent) - 1075 + p;
  const value = shift >= 0 ? mantissa << BigInt(shift) : roundShift(mantissa, -shift);
  return negative ? -value : value;
}

/** round(v / 2^s) for s >= 0, halves away from zero. */
export function roundShift(v: bigint, s: number): bigint {
  if (s === 0) return v;
  const half = 1n << BigInt(s - 1);
  return v >= 0n ? (v + half) >> BigInt(s) : -((-v + half) >> BigInt(s));
}

/** The double nearest to n * 2^-s (n any size, s any integer), without overflow on the way. */
export function fixedToNumber(n: bigint, s: number): number {
  if (n === 0n) return 0;
  const negative = n < 0n;
  let m = negative ? -n : n;
  let e = -s;
  const excess = m.toString(2).length - 64;
  if (excess > 0) {
    m = roundShift(m, excess);
    e += excess;
  }
  // Two factors, so neither 2^e overflows nor underflows when the product is representable.
  const half = Math.trunc(e / 2);
  const value = Number(m) * 2 ** half * 2 ** (e - half);
  return negative ? -value : value;
}

/** floor(sqrt(n)) for n >= 0 (Newton's method from above). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Fixed-point operations at precision p (results rounded to the nearest unit 2^-p). */
class Fixed {
  readonly one: bigint;
  private piCache: bigint | null = null;

  constructor(readonly p: number) {
    this.one = 1n << BigInt(p);
  }

  mul(x: bigint, y: bigint): bigint {
    return roundShift(x * y, this.p);
  }

  div(x: bigint, y: bigint): bigint {
    const q = (x << BigInt(this.p + 1)) / y;
    return roundShift(q, 1);
  }

  sqrt(x: bigint): bigint {
    return x <= 0n ? 0n : isqrt(x << BigInt(this.p));
  }

  /** atan(1/n) = sum_k (-1)^k / ((2k + 1) n^(2k + 1)) for an integer n >= 2. */
  private atanInverse(n: bigint): bigint {
    let power = this.one / n;
    let sum = 0n;
    const n2 = n * n;
    for (let k = 0n; power !== 0n; k++) {
      const term = power / (2n * k + 1n);
      sum += k % 2n === 0n ? term : -term;
      power /= n2;
    }
    return sum;
  }

  /** pi by Machin's formula, 16 atan(1/5) - 4 atan(1/239). */
  pi(): bigint {
    this.piCache ??= 16n * this.atanInverse(5n) - 4n * this.atanInverse(239n);
    return this.piCache;
  }

  /** atan(x), 0 <= x <= 1: four halvings x <- x/(1 + sqrt(1 + x^2)), then the series. */
  private atanSmall(x: bigint): bigint {
    const halvings = 4;
    let y = x;
    for (let i = 0; i < halvings; i++) {
      y = this.div(y, this.one + this.sqrt(this.one + this.mul(y, y)));
    }
    const y2 = this.mul(y, y);
    let power = y;
    let sum = 0n;
    for (let k = 0n; power !== 0n; k++) {
      const term = power / (2n * k + 1n);
      sum += k % 2n === 0n ? term : -term;
      power = this.mul(power, y2);
    }
    return sum << BigInt(halvings);
  }

  /** The angle in [0, pi] of the point (c, s) with s >= 0. */
  atan2(s: bigint, c: bigint): bigint {
    const pi = this.pi();
    if (c < 0n) return pi - this.atan2(s, -c);
    if (c === 0n) return pi >> 1n;
    return s <= c ? this.atanSmall(this.div(s, c)) : (pi >> 1n) - this.atanSmall(this.div(c, s));
  }
}

/**
 * kfun(rho_t) * 2^p rounded to integers, for rho_t = (d - 2t)/d, t = 0..d (the hypercube overlaps;
 * see `dotProductKernel`). Each value is within one unit 2^-p of the exact kernel of the given
 * (double) sigmaW and sigmaB: the work is done with 32 guard bits.
 */
export function hypercubeKernelFixed(spec: KernelSpec, p: number): bigint[] {
  const f = new Fixed(p + GUARD_BITS);
  const { a: aNum, b: bNum } = covarianceCoefficients(spec);
  const a = toFixed(aNum, f.p);
  const b = toFixed(bNum, f.p);
  const S = a + b;
  const d = BigInt(spec.d);
  const out: bigint[] = [];
  for (let t = 0; t <= spec.d; t++) {
    // S12 = a (d - 2t)/d + b, one rounding.
    const S12 = f.div(a * (d - 2n * BigInt(t)), d << BigInt(f.p)) + b;
    out.push(roundShift(kernelAt(spec, f, S, S12), GUARD_BITS));
  }
  return out;
}

function kernelAt(spec: KernelSpec, f: Fixed, S: bigint, S12: bigint): bigint {
  if (spec.kernel === 'linear') return S12;
  if (spec.kernel === 'erf') {
    // (2/pi) asin(z), z = 2 S12/(1 + 2 S), asin z = atan2(z, sqrt(1 - z^2)).
    const z = f.div(2n * S12, f.one + 2n * S);
    const angle = f.atan2(z >= 0n ? z : -z, f.sqrt(f.one - f.mul(z, z)));
    return f.div(2n * (z >= 0n ? angle : -angle), f.pi());
  }
  // S k1(c): k1 = (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi), c = S12 / S.
  let c = f.div(S12, S);
  if (c > f.one) c = f.one;
  if (c < -f.one) c = -f.one;
  const s = f.sqrt(f.one - f.mul(c, c));
  const theta = f.atan2(s, c);
  const k1 = f.div(s + f.mul(f.pi() - theta, c), 2n * f.pi());
  return f.mul(S, k1);
}
