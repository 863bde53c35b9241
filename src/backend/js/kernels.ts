/**
 * NNGP kernels K(x, x') = E[phi(u) phi(v)], (u, v) Gaussian with covariance
 * Sigma(x, x') = sigmaW^2 x.x'/d (+ sigmaB^2 with bias) (THEORY.md section 5):
 *   relu:   sqrt(S11 S22)/(2 pi) (sin t + (pi - t) cos t), cos t = S12/sqrt(S11 S22)
 *   erf:    (2/pi) arcsin(2 S12 / sqrt((1 + 2 S11)(1 + 2 S22)))
 *   linear: S12
 * Twin of native/core/kernels.cpp, which gets Sigma from one dsyrk/dgemm; here every dot product
 * is a plain loop in index order. The map from Sigma to K is written exactly as in C++ (same
 * per-row factors, same operation order), so the backends differ only through the summation order
 * of the dot products and the last-ulp behaviour of acos/asin.
 */
import { dimension } from './check.js';
import type { KernelName, KernelSpec } from '../types.js';

const INV_TWO_PI = 1 / (2 * Math.PI);
const TWO_OVER_PI = 2 / Math.PI;

/**
 * Rounding can put the correlation (relu) or the arcsin argument (erf) a few ulps outside [-1, 1],
 * where acos/asin return NaN; identical or opposite rows sit exactly on the boundary. The exact
 * value is inside (Cauchy-Schwarz), so clamping only removes rounding.
 */
function clampUnit(c: number): number {
  const upper = c > 1 ? 1 : c;
  return upper < -1 ? -1 : upper;
}

/**
 * A kernel as per-row factors f, g of the variance S = Sigma(x, x), an element function of
 * s = Sigma(x, x') and both rows' factors, and the value on the diagonal.
 */
interface KernelMap {
  factors(S: number, fg: Float64Array, i: number, n: number): void;
  value(s: number, fi: number, gi: number, fj: number, gj: number): number;
  diagonal(S: number): number;
}

const MAPS: Record<KernelName, KernelMap> = {
  relu: {
    // f = sqrt(S), g = 1/sqrt(S), or 0 when S = 0 (then K = 0, the exact value).
    factors(S, fg, i, n) {
      const f = Math.sqrt(S);
      fg[i] = f;
      fg[n + i] = S > 0 ? 1 / f : 0;
    },
    value(s, fi, gi, fj, gj) {
      const c = clampUnit(s * gi * gj);
      return fi * fj * INV_TWO_PI * (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c);
    },
    diagonal: (S) => 0.5 * S,
  },
  erf: {
    factors(S, fg, i, n) {
      fg[i] = 1 / Math.sqrt(1 + 2 * S);
      fg[n + i] = 0;
    },
    value: (s, fi, _gi, fj) => TWO_OVER_PI * Math.asin(clampUnit(2 * s * fi * fj)),
    diagonal: (S) => TWO_OVER_PI * Math.asin((2 * S) / (1 + 2 * S)),
  },
  linear: {
    factors(_S, fg, i, n) {
      fg[i] = 0;
      fg[n + i] = 0;
    },
    value: (s) => s,
    diagonal: (S) => S,
  },
};

/** sigmaW^2 / d and the bias variance: Sigma(x, x') = scale x.x' + offset. */
function covariance(spec: KernelSpec): { scale: number; offset: number } {
  return {
    scale: (spec.sigmaW * spec.sigmaW) / spec.d,
    offset: spec.bias ? spec.sigmaB * spec.sigmaB : 0,
  };
}

/** x_i . x_j for rows i of A and j of B (both with rows of length d). */
function dot(A: Float64Array, i: number, B: Float64Array, j: number, d: number): number {
  let sum = 0;
  for (let k = 0; k < d; k++) sum += A[i * d + k]! * B[j * d + k]!;
  return sum;
}

/** Sigma(x, x) of each row of X and the kernel's row factors (f then g, n each). */
function rowFactors(
  spec: KernelSpec,
  X: Float64Array,
): { n: number; S: Float64Array; fg: Float64Array } {
  const { scale, offset } = covariance(spec);
  const n = X.length / dimension(spec.d, 'd');
  const S = new Float64Array(n);
  const fg = new Float64Array(2 * n);
  const map = MAPS[spec.kernel];
  for (let i = 0; i < n; i++) {
    S[i] = scale * dot(X, i, X, i, spec.d) + offset;
    map.factors(S[i]!, fg, i, n);
  }
  return { n, S, fg };
}

/** K(X, X) (P x P, both triangles) for X (P x d). */
export function nngpGram(spec: KernelSpec, X: Float64Array, K: Float64Array): void {
  const { scale, offset } = covariance(spec);
  const map = MAPS[spec.kernel];
  const { n: P, S, fg } = rowFactors(spec, X);
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < i; j++) {
      const s = scale * dot(X, i, X, j, spec.d) + offset;
      const k = map.value(s, fg[i]!, fg[P + i]!, fg[j]!, fg[P + j]!);
      K[i * P + j] = k;
      K[j * P + i] = k;
    }
    K[i * P + i] = map.diagonal(S[i]!);
  }
}

/** K(Xs, X) (Q x P) for Xs (Q x d) and X (P x d). */
export function nngpCross(
  spec: KernelSpec,
  Xs: Float64Array,
  X: Float64Array,
  K: Float64Array,
): void {
  const { scale, offset } = covariance(spec);
  const map = MAPS[spec.kernel];
  const { n: Q, fg: fgs } = rowFactors(spec, Xs);
  const { n: P, fg: fgx } = rowFactors(spec, X);
  for (let q = 0; q < Q; q++) {
    for (let j = 0; j < P; j++) {
      const s = scale * dot(Xs, q, X, j, spec.d) + offset;
      K[q * P + j] = map.value(s, fgs[q]!, fgs[Q + q]!, fgx[j]!, fgx[P + j]!);
    }
  }
}

/** K(x, x) for every row x of X (P x d). */
export function nngpDiag(spec: KernelSpec, X: Float64Array, out: Float64Array): void {
  const map = MAPS[spec.kernel];
  const { n: P, S } = rowFactors(spec, X);
  for (let i = 0; i < P; i++) out[i] = map.diagonal(S[i]!);
}
