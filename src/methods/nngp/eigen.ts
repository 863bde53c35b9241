/**
 * Population learning curves of kernel ridge regression without any P x P solve (THEORY.md
 * section 5, eigenlearning / omniscient risk: Bordelon et al. 2020, Canatar et al. 2021, Simon et
 * al. 2021). Given a spectrum by degree (`spectrum.ts`), the ridge delta and P, solve for kt > 0
 *
 *   P = sum_l m_l lambda_l / (lambda_l + kt) + (delta + T) / kt
 *
 * (T: the trace of the tail degrees, whose eigenvalues are << kt, so each contributes
 * lambda/kt), then with learnabilities L_l = lambda_l / (lambda_l + kt),
 *
 *   E0 = P / (P - sum_l m_l L_l^2),   testMse = E0 (sum_l W_l (1 - L_l)^2 + sigma_eps^2),
 *   trainMse = (delta / (P kt))^2 testMse,
 *
 * W_l the target's power in degree l (sum of v_i^2 over its degree-l eigenfunctions). testMse is
 * against noisy test labels, like the measured one. It estimates the average over datasets; it
 * is asymptotically exact for large P and many modes.
 */
import { outOfRange } from '../../errors.js';
import type { Spectrum } from './spectrum.js';

/** What the learning curve is asked for. */
export interface EigenProblem {
  /** Training samples, >= 0. */
  P: number;
  /** Ridge delta > 0 (THEORY.md section 5: kappa_eff N^(2 gamma - 1) / sigma_a^2). */
  ridge: number;
  /** W_l, l = 0..: the target's power in degree l; degrees beyond the spectrum's L count as
   *  unlearned (L = 0). Parity chi_S and single-index He_k(u.x)/sqrt(k!): W_k = 1, others 0. */
  targetPower: ArrayLike<number>;
  /** Label noise sigma_eps >= 0. */
  noise: number;
}

/** The learning-curve point of one P. */
export interface EigenSolution {
  P: number;
  /** The effective regularisation kt (Infinity when P = 0). */
  kt: number;
  /** L_l = lambda_l / (lambda_l + kt), l = 0..L. */
  learnabilities: Float64Array;
  /** The overfitting factor E0 = P / (P - sum_l m_l L_l^2) >= 1. */
  E0: number;
  testMse: number;
  /** null when P = 0. */
  trainMse: number | null;
}

/** The smallest ridge eigenlearning resolves, relative to the larger of the trace and ridge. */
const MIN_RIDGE_UNIT = 1e-150;

/** More than enough halvings of log(hi / lo) for any bracket of finite doubles. */
const BISECTION_STEPS = 200;

/** sum_l m_l lambda_l/(lambda_l + kt) + c/kt and its derivative in kt. */
function modeSum(spectrum: Spectrum, c: number, kt: number): { value: number; slope: number } {
  const { eigenvalues: lambda, multiplicities: m } = spectrum;
  let value = c / kt;
  let slope = -c / (kt * kt);
  for (let l = 0; l < lambda.length; l++) {
    const x = lambda[l]!;
    if (x === 0) continue;
    const denominator = x + kt;
    value += (m[l]! * x) / denominator;
    slope -= (m[l]! * x) / (denominator * denominator);
  }
  return { value, slope };
}

/**
 * The root kt > 0 of sum_l m_l lambda_l/(lambda_l + kt) + (delta + T)/kt = P. The left side falls
 * monotonically from infinity to 0, and the root lies in [delta/P, (delta + trace)/P]:
 * bisection in log kt to 1e-3 relative, then safeguarded Newton to full precision.
 * @throws MflRangeError naming ridge, P or the spectrum when the bracket is not finite and > 0
 */
export function solveKt(spectrum: Spectrum, ridge: number, P: number): number {
  if (!(ridge > 0 && ridge < Infinity)) throw outOfRange('ridge', 'a finite number > 0', ridge);
  if (!(P > 0 && P < Infinity)) throw outOfRange('P', 'a finite number > 0', P);
  const c = ridge + spectrum.tailTrace;
  let total = c;
  const { eigenvalues: lambda, multiplicities: m } = spectrum;
  for (let l = 0; l < lambda.length; l++) total += m[l]! * lambda[l]!;
  let lo = ridge / P;
  let hi = total / P;
  if (!(lo > 0 && hi < Infinity)) {
    throw outOfRange(
      'spectrum',
      'eigenvalues, multiplicities and tail trace with a finite total, and ridge / P > 0',
      `total ${total}, ridge / P = ${lo}`,
    );
  }
  // log(hi / lo) <= 2 * 709 + 745 halves to 1e-3 in under 25 steps; the cap only guards rounding.
  for (let i = 0; i < BISECTION_STEPS && hi / lo > 1 + 1e-3; i++) {
    const mid = Math.sqrt(lo) * Math.sqrt(hi);
    if (modeSum(spectrum, c, mid).value > P) lo = mid;
    else hi = mid;
  }
  let kt = Math.sqrt(lo) * Math.sqrt(hi);
  for (let i = 0; i < 50; i++) {
    const { value, slope } = modeSum(spectrum, c, kt);
    if (value > P) lo = kt;
    else hi = kt;
    let next = kt - (value - P) / slope;
    if (!(next > lo && next < hi)) next = Math.sqrt(lo) * Math.sqrt(hi);
    if (Math.abs(next - kt) <= 1e-15 * kt) return next;
    kt = next;
  }
  return kt;
}

/**
 * The eigenlearning estimate of testMse and trainMse at one P (see the file comment).
 * @param spectrum eigenvalues and multiplicities by degree (`hypercubeSpectrum`,
 *   `gaussianSpectrum`)
 * @param problem P, ridge, the target's power per degree and the label noise
 * @example
 * const s = hypercubeSpectrum({ kernel: 'relu', d: 12, sigmaW: 1, sigmaB: 1, bias: false });
 * eigenlearning(s, { P: 400, ridge: 0.01, targetPower: [0, 0, 0, 0, 1], noise: 0 }).testMse;
 */
export function eigenlearning(spectrum: Spectrum, problem: EigenProblem): EigenSolution {
  const { P, ridge, targetPower, noise } = problem;
  const lambda = spectrum.eigenvalues;
  const m = spectrum.multiplicities;
  const learnabilities = new Float64Array(lambda.length);
  let unlearned = noise * noise;
  for (let l = lambda.length; l < targetPower.length; l++) unlearned += targetPower[l]!;
  if (P === 0) {
    for (let l = 0; l < Math.min(lambda.length, targetPower.length); l++) {
      unlearned += targetPower[l]!;
    }
    return { P, kt: Infinity, learnabilities, E0: 1, testMse: unlearned, trainMse: null };
  }
  // Everything below depends only on ratios of lambda, delta, T and kt: solve in units of the
  // largest of the trace and the ridge, so that no sum or square of them overflows.
  const scale = Math.max(ridge, traceOf(spectrum));
  const unit = scaled(spectrum, scale);
  // A ridge below 1e-150 of the trace changes no output but kt (by terms of order (kt/lambda)^2
  // < 1e-300); raised to that, kt, kt^2 and ridge / P stay normal numbers for any P.
  const ridgeUnit = Math.max(ridge / scale, MIN_RIDGE_UNIT);
  const ktUnit = solveKt(unit, ridgeUnit, P);
  const kt = ktUnit * scale;
  // P - sum m L^2 = sum m L (1 - L) + (delta + T)/kt: all positive, no cancellation.
  let denominator = (ridgeUnit + unit.tailTrace) / ktUnit;
  let error = unlearned;
  for (let l = 0; l < lambda.length; l++) {
    const x = unit.eigenvalues[l]!;
    const L = x / (x + ktUnit);
    const miss = ktUnit / (x + ktUnit);
    learnabilities[l] = L;
    denominator += m[l]! * L * miss;
    error += (targetPower[l] ?? 0) * miss * miss;
  }
  const E0 = P / denominator;
  const testMse = E0 * error;
  const trainMse = (ridgeUnit / (P * ktUnit)) ** 2 * testMse;
  return { P, kt, learnabilities, E0, testMse, trainMse };
}

/** sum_l m_l lambda_l + T. */
function traceOf(spectrum: Spectrum): number {
  const { eigenvalues: lambda, multiplicities: m } = spectrum;
  let total = spectrum.tailTrace;
  for (let l = 0; l < lambda.length; l++) total += m[l]! * lambda[l]!;
  return total;
}

/** `spectrum` with its eigenvalues and tail trace divided by `scale`. */
function scaled(spectrum: Spectrum, scale: number): Spectrum {
  return {
    ...spectrum,
    eigenvalues: spectrum.eigenvalues.map((x) => x / scale),
    tailTrace: spectrum.tailTrace / scale,
  };
}
