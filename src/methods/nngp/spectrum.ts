/**
 * Mercer spectra of the NNGP kernel by degree (THEORY.md section 5), the input of the population
 * learning curve (`eigen.ts`).
 *
 * Hypercube (exact): x uniform on {-1, +1}^d, eigenfunctions chi_A, eigenvalue lambda_l for
 * |A| = l with multiplicity C(d, l),
 *   lambda_l = 2^-d sum_t kfun(d - 2t) K_t(l),  K_t(l) = sum_j (-1)^j C(l, j) C(d - l, t - j).
 * The sum cancels: its terms exceed lambda_l by up to 2^d (relu at d = 64: lambda_64 ~ 3e-24 from
 * terms ~ 0.1), so neither the normalised Krawtchouk recurrence nor any ordering of the sum
 * rescues double precision (measured at d = 64: negative values at 20 degrees beyond l ~ 45, the
 * diagonal check off by 8e-9). Here K_t(l) are exact integers (BigInt, three-term recurrence in
 * t), the kernel values kfun are evaluated in BigInt fixed point (`fixed.ts`) at B bits, and the
 * sums are exact; B starts at 256 and doubles until every eigenvalue is resolved to 2^-50 relative
 * (or B reaches 4096 bits). Eigenvalues that vanish identically (odd degrees >= 3 of bias-free
 * relu, whose odd part is linear; even degrees of bias-free erf, which is odd; degrees >= 2 of
 * linear) are set to exactly 0.
 *
 * Gaussian inputs (leading order in 1/d, an approximation): see `gaussianSpectrum`.
 */
import type { KernelSpec } from '../../backend/types.js';
import { fixedToNumber, hypercubeKernelFixed } from './fixed.js';
import { dotProductKernel, kernelTaylorCoefficients } from './kernel.js';

/** Spectra of all degrees 0..d are computed up to this d; beyond, degrees up to a cutoff. */
export const FULL_SPECTRUM_MAX_D = 256;
/**
 * Degrees whose multiplicity reaches this are not resolved one by one by default: with P <= 1e9
 * samples their eigenvalues stay far below kt, so only their total trace matters (the tail).
 */
export const TAIL_MULTIPLICITY = 1e15;
/** Largest degree of a Gaussian-input spectrum (the Taylor series of kfun is cut there). */
export const MAX_GAUSSIAN_DEGREE = 256;

/** Eigenvalues by degree, l = 0..L, and what is left beyond L. */
export interface Spectrum {
  inputs: 'hypercube' | 'gaussian';
  d: number;
  kernel: KernelSpec;
  /** lambda_l, l = 0..L (eigenvalues of the integral operator of the input distribution). */
  eigenvalues: Float64Array;
  /** m_l: the dimension of the degree-l eigenspace. */
  multiplicities: Float64Array;
  /** Total trace E_x K(x, x) = sum over all degrees of m_l lambda_l = kfun(1). */
  trace: number;
  /** sum_(l > L) m_l lambda_l: degrees not listed (0 when L is the last degree). */
  tailTrace: number;
  /** What is approximate about the spectrum itself; null when exact. */
  approximation: string | null;
}

/** Options of the spectrum functions. */
export interface SpectrumOptions {
  /**
   * Largest degree L listed, integer >= 0. Default: every degree (hypercube, d <= 256), else the
   * smallest L with multiplicity m_(L+1) >= 1e15 (at most 256 for Gaussian inputs).
   */
  maxDegree?: number;
  /** With the default maxDegree: list at least degrees 0..minDegree (e.g. the target's). */
  minDegree?: number;
}

/** C(n, k) exactly. */
export function binomialBig(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  const kk = Math.min(k, n - k);
  for (let i = 1; i <= kk; i++) r = (r * BigInt(n - kk + i)) / BigInt(i);
  return r;
}

/** The default largest listed degree: the first whose next multiplicity reaches 1e15. */
function cutoffDegree(maxD: number, multiplicity: (l: number) => number): number {
  for (let l = 0; l < maxD; l++) if (multiplicity(l + 1) >= TAIL_MULTIPLICITY) return l;
  return maxD;
}

/** Krawtchouk K_t(l), t = 0..d, exact: (t+1) K_(t+1) = (d - 2l) K_t - (d - t + 1) K_(t-1). */
function krawtchoukRow(d: number, l: number): bigint[] {
  const row: bigint[] = [1n];
  const x = BigInt(d - 2 * l);
  if (d >= 1) row.push(x);
  for (let t = 1; t < d; t++) {
    const next = (x * row[t]! - BigInt(d - t + 1) * row[t - 1]!) / BigInt(t + 1);
    row.push(next);
  }
  return row;
}

/** True when lambda_l vanishes identically for this kernel (see the file comment). */
function identicallyZero(spec: KernelSpec, l: number): boolean {
  if (spec.kernel === 'linear') return l >= 2 || (l === 0 && !spec.bias);
  if (spec.bias) return false;
  if (spec.kernel === 'erf') return l % 2 === 0;
  return l >= 3 && l % 2 === 1;
}

/** Starting fixed-point precision of the hypercube sums, and the most it may double to. */
const START_BITS = 256;
const MAX_BITS = 4096;
/** Resolved: the rounding bound of the exact sum is below 2^-50 of its value. */
const RESOLVED_BITS = 50n;

/**
 * The exact spectrum of a dot-product kernel on {-1, +1}^d (see the file comment for the method).
 * @param spec the kernel; spec.d is the dimension (1..4096)
 * @param options maxDegree (default: all degrees for d <= 256, else a cutoff with the rest as a
 *   tail), minDegree
 * @returns lambda_l and C(d, l) for l = 0..L, the trace kfun(d) and the tail trace beyond L
 * @example hypercubeSpectrum({ kernel: 'relu', d: 12, sigmaW: 1, sigmaB: 1, bias: false })
 */
export function hypercubeSpectrum(spec: KernelSpec, options: SpectrumOptions = {}): Spectrum {
  const { d } = spec;
  const multiplicity = (l: number) => Number(binomialBig(d, l));
  const cutoff = d <= FULL_SPECTRUM_MAX_D ? d : cutoffDegree(d, multiplicity);
  const L = Math.min(d, options.maxDegree ?? Math.max(cutoff, options.minDegree ?? 0));
  const rows = Array.from({ length: L + 1 }, (_, l) => krawtchoukRow(d, l));
  const bounds = rows.map((row) => row.reduce((s, v) => s + (v < 0n ? -v : v), 0n));
  let bits = START_BITS;
  let values = hypercubeKernelFixed(spec, bits);
  let sums = exactSums(rows, bounds, values, spec);
  while (bits < MAX_BITS && !resolved(sums, bounds, spec)) {
    bits *= 2;
    values = hypercubeKernelFixed(spec, bits);
    sums = exactSums(rows, bounds, values, spec);
  }
  const binomials = Array.from({ length: L + 1 }, (_, l) => binomialBig(d, l));
  let covered = 0n;
  for (let l = 0; l <= L; l++) covered += binomials[l]! * sums[l]!;
  const top = values[0]!;
  const tail = L === d ? 0 : Math.max(0, fixedToNumber((top << BigInt(d)) - covered, bits + d));
  return {
    inputs: 'hypercube',
    d,
    kernel: spec,
    eigenvalues: Float64Array.from(sums, (s) => fixedToNumber(s, bits + d)),
    multiplicities: Float64Array.from(binomials, (b) => Number(b)),
    trace: fixedToNumber(top, bits),
    tailTrace: tail,
    approximation: null,
  };
}

/**
 * sum_t K_t(l) F_t for each l: exact, except that identically zero degrees, and sums within their
 * rounding bound (unresolved even at the largest precision, so below 2^-4096), are 0.
 */
function exactSums(rows: bigint[][], bounds: bigint[], values: bigint[], spec: KernelSpec) {
  return rows.map((row, l) => {
    if (identicallyZero(spec, l)) return 0n;
    let sum = 0n;
    for (let t = 0; t < row.length; t++) sum += row[t]! * values[t]!;
    return (sum < 0n ? -sum : sum) <= bounds[l]! ? 0n : sum;
  });
}

/** Every sum identically zero or far above its rounding bound (one unit per kernel value). */
function resolved(sums: bigint[], bounds: bigint[], spec: KernelSpec): boolean {
  return sums.every((s, l) => {
    if (identicallyZero(spec, l)) return true;
    // A zero here is a sum within its rounding bound: not resolved yet.
    const magnitude = s < 0n ? -s : s;
    return magnitude >= bounds[l]! << RESOLVED_BITS;
  });
}

/** C(d + l - 1, l): the number of degree-l Hermite polynomials in d variables. */
export function hermiteMultiplicity(d: number, l: number): number {
  let m = 1;
  for (let i = 1; i <= l; i++) m = (m * (d + i - 1)) / i;
  return m;
}

/** The statement of the Gaussian-input approximation, reported with every result that uses it. */
export const GAUSSIAN_APPROXIMATION =
  "Gaussian inputs at leading order in 1/d: K(x, x') ~ kfun(x.x'/d) (|x|^2/d -> 1), whose " +
  'degree-l Hermite eigenspace (dimension C(d+l-1, l) ~ d^l/l!) carries eigenvalue b_l / ' +
  'C(d+l-1, l) = b_l l!/d^l (1 + O(l^2/d)), b_l the Taylor coefficients of kfun(rho); ' +
  'neglected: corrections of relative order 1/d per degree (norm fluctuations, the degree-l ' +
  'parts of rho^(l+2), ...); in particular kernels homogeneous in |x| (bias-free relu, linear) ' +
  'cannot fit the radial part of He_k for even k, an O(1/d) error floor of explicit KRR that ' +
  'this spectrum misses';

/**
 * The spectrum of the NNGP kernel for x ~ N(0, I_d), at leading order in 1/d (an approximation,
 * stated in `GAUSSIAN_APPROXIMATION`): for kfun(rho) = sum_l b_l rho^l (all b_l >= 0,
 * `kernelTaylorCoefficients`), (x.x'/d)^l = d^-l sum_(|alpha| = l) (l!/alpha!) x^alpha x'^alpha
 * has degree-l Hermite part l! d^-l sum_alpha h_alpha(x) h_alpha(x') with h_alpha the orthonormal
 * Hermite products; so degree l has eigenvalue b_l l!/d^l on each of its C(d+l-1, l) ~ d^l/l!
 * functions. We use lambda_l = b_l / C(d+l-1, l), which keeps m_l lambda_l = b_l and the trace
 * sum_l b_l = kfun(1) = E K(x, x) exact. The single-index target He_k(u.x)/sqrt(k!) is one of the
 * degree-k functions.
 * @param spec the kernel; spec.d is the input dimension
 * @param options maxDegree (default: the smallest L with C(d+L, L+1) >= 1e15, at most 256)
 */
export function gaussianSpectrum(spec: KernelSpec, options: SpectrumOptions = {}): Spectrum {
  const { d } = spec;
  const cutoff = cutoffDegree(MAX_GAUSSIAN_DEGREE, (l) => hermiteMultiplicity(d, l));
  const L = options.maxDegree ?? Math.max(cutoff, options.minDegree ?? 0);
  const b = kernelTaylorCoefficients(spec, L + 1);
  const multiplicities = Float64Array.from({ length: L + 1 }, (_, l) => hermiteMultiplicity(d, l));
  const trace = dotProductKernel(spec)(1);
  let listed = 0;
  for (const v of b) listed += v;
  return {
    inputs: 'gaussian',
    d,
    kernel: spec,
    eigenvalues: Float64Array.from(b, (v, l) => v / multiplicities[l]!),
    multiplicities,
    trace,
    tailTrace: Math.max(0, trace - listed),
    approximation: GAUSSIAN_APPROXIMATION,
  };
}
