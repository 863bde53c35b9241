/**
 * Deterministic log, sin(2 pi u) and cos(2 pi u) for Box-Muller (docs/rng.md). Math.log and
 * Math.sin differ from libm in the last bit, which would break bit-identity with the C++ twin
 * (native/core/rng.cpp, compiled without FMA). These use only + - * /, floor and exact exponent
 * extraction, in exactly the order docs/rng.md fixes, so both languages round identically.
 */

const SQRT2 = 1.4142135623730951;
const LN2 = 0.6931471805599453;
const TWO_PI = 6.283185307179586;

/** n! as an exact product of doubles (exact for n <= 18). */
function factorial(n: number): number {
  let product = 1;
  for (let i = 2; i <= n; i++) product *= i;
  return product;
}

// INV_ODD[n] = 1/(2n+1), n = 0..11: the atanh series 2 s sum z^n/(2n+1) of log((1+s)/(1-s)).
const INV_ODD = Float64Array.from({ length: 12 }, (_, n) => 1 / (2 * n + 1));
// SIN_COEF[n] = (-1)^n/(2n+1)!, n = 1..8; COS_COEF[n] = (-1)^n/(2n)!, n = 1..9 (index 0 unused).
const SIN_COEF = Float64Array.from({ length: 9 }, (_, n) => signed(n, 1 / factorial(2 * n + 1)));
const COS_COEF = Float64Array.from({ length: 10 }, (_, n) => signed(n, 1 / factorial(2 * n)));

function signed(n: number, value: number): number {
  return n % 2 === 1 ? -value : value;
}

// A DataView fixes the byte order, so the exponent bits are found on any host.
const bits = new DataView(new ArrayBuffer(8));

/** Natural log of a positive normal double, to a few ulp (docs/rng.md "detLog"). */
export function detLog(x: number): number {
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  // Same mantissa, exponent of 1: m in [1, 2), exactly.
  bits.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  let m = bits.getFloat64(0);
  if (m > SQRT2) {
    m = m / 2;
    e = e + 1;
  }
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let p = INV_ODD[11]!;
  for (let n = 10; n >= 0; n--) p = p * z + INV_ODD[n]!;
  let t = 2 * s;
  t = t * p;
  return e * LN2 + t;
}

/**
 * sin(2 pi u) and cos(2 pi u) for u in [0, 1), written to out[0] and out[1] (the order of the
 * C++ twin's sinOut, cosOut). The reduction to |x| <= 1/8 is exact; the quadrant only swaps
 * and negates the two polynomials.
 */
export function detSinCos2pi(u: number, out: Float64Array): void {
  const q = Math.floor(u * 4 + 0.5);
  const x = u - q * 0.25;
  const t = x * TWO_PI;
  const z = t * t;
  let sp = SIN_COEF[8]!;
  for (let n = 7; n >= 1; n--) sp = SIN_COEF[n]! + z * sp;
  const sinPoly = t * (1 + z * sp);
  let cp = COS_COEF[9]!;
  for (let n = 8; n >= 1; n--) cp = COS_COEF[n]! + z * cp;
  const cosPoly = 1 + z * cp;
  switch (q & 3) {
    case 0:
      out[0] = sinPoly;
      out[1] = cosPoly;
      break;
    case 1:
      out[0] = cosPoly;
      out[1] = -sinPoly;
      break;
    case 2:
      out[0] = -sinPoly;
      out[1] = -cosPoly;
      break;
    default:
      out[0] = -cosPoly;
      out[1] = sinPoly;
  }
}
