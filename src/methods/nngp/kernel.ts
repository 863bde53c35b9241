/**
 * The NNGP kernel in closed form (THEORY.md section 5), as scalar functions for the theory code:
 * K = E[phi(u) phi(v)] for (u, v) Gaussian with covariance (S11, S12; S12, S22), and the same
 * kernel as a function of the overlap rho = x.x'/d when |x|^2 = |x'|^2 = d (the hypercube, and
 * Gaussian inputs in high dimension), with its Taylor coefficients in rho. The Gram matrices of
 * kernel ridge regression come from the backend (`Backend.nngpGram`), not from here.
 */
import type { Activation, KernelName, KernelSpec } from '../../backend/types.js';

/** Activations with a closed-form NNGP kernel. */
export const KERNELS = ['relu', 'erf', 'linear'] as const satisfies readonly KernelName[];

/** True when `activation` has a closed-form kernel (tanh has none). */
export function hasKernel(activation: Activation): activation is KernelName {
  return (KERNELS as readonly string[]).includes(activation);
}

/** The kernel of a network (THEORY.md section 2) on inputs of dimension d. */
export function kernelSpecOf(
  network: { activation: KernelName; bias: boolean; sigmaW: number; sigmaB: number },
  d: number,
): KernelSpec {
  const { activation, bias, sigmaW, sigmaB } = network;
  return { kernel: activation, d, sigmaW, sigmaB, bias };
}

/**
 * K = E[phi(u) phi(v)] for (u, v) ~ N(0, [[S11, S12], [S12, S22]]) (THEORY.md section 5):
 * relu: sqrt(S11 S22)/(2 pi) (sin t + (pi - t) cos t), t = arccos(S12 / sqrt(S11 S22));
 * erf: (2/pi) arcsin(2 S12 / sqrt((1 + 2 S11)(1 + 2 S22))); linear: S12.
 * @param S11 variance of u, >= 0
 * @param S22 variance of v, >= 0
 * @param S12 covariance, |S12| <= sqrt(S11 S22) (rounding beyond is clamped)
 */
export function kernelValue(kernel: KernelName, S11: number, S22: number, S12: number): number {
  if (kernel === 'linear') return S12;
  if (kernel === 'erf') {
    const z = (2 * S12) / Math.sqrt((1 + 2 * S11) * (1 + 2 * S22));
    return (2 / Math.PI) * Math.asin(Math.min(1, Math.max(-1, z)));
  }
  const norm = Math.sqrt(S11 * S22);
  if (norm === 0) return 0;
  const c = Math.min(1, Math.max(-1, S12 / norm));
  const t = Math.acos(c);
  return (norm / (2 * Math.PI)) * (Math.sqrt((1 - c) * (1 + c)) + (Math.PI - t) * c);
}

/** Sigma(x, x') = a rho + b with a = sigmaW^2 and b = sigmaB^2 (0 without bias). */
export function covarianceCoefficients(spec: KernelSpec): { a: number; b: number } {
  return { a: spec.sigmaW * spec.sigmaW, b: spec.bias ? spec.sigmaB * spec.sigmaB : 0 };
}

/**
 * kfun(rho): the kernel of two inputs with |x|^2 = |x'|^2 = d and overlap rho = x.x'/d in
 * [-1, 1], so S11 = S22 = a + b and S12 = a rho + b. On the hypercube x.x' = d - 2t for inputs
 * differing in t coordinates.
 */
export function dotProductKernel(spec: KernelSpec): (rho: number) => number {
  const { a, b } = covarianceCoefficients(spec);
  const S = a + b;
  return (rho) => kernelValue(spec.kernel, S, S, a * rho + b);
}

/**
 * Taylor coefficients g_n of g(c0 + u) = (1 - (c0 + u)^2)^(-1/2) = sum_n g_n u^n, scaled by h^n
 * (returns g_n h^n, which stays finite even when c0 is close to 1 and h = 1 - c0). From the ODE
 * (1 - c^2) g' = c g: g_(n+1) = ((2n + 1) c0 g_n + n g_(n-1)) / ((1 - c0^2)(n + 1)). Every term is
 * positive for c0 >= 0, so the recurrence does not cancel.
 */
function inverseSqrtSeries(c0: number, h: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const q = (1 - c0) * (1 + c0);
  let previous = 0;
  let current = 1 / Math.sqrt(q);
  for (let n = 0; n < count; n++) {
    out[n] = current;
    const next = (h * ((2 * n + 1) * c0 * current + n * h * previous)) / (q * (n + 1));
    previous = current;
    current = next;
  }
  return out;
}

/**
 * Taylor coefficients b_0..b_(count-1) of kfun(rho) = sum_j b_j rho^j at rho = 0 (see
 * `dotProductKernel`). Every b_j is >= 0 (Schoenberg: a dot-product kernel positive definite in
 * every dimension), and kfun(1) = sum_j b_j. They are exact recurrences, not numerical
 * derivatives: with c = (a rho + b)/(a + b),
 * relu: kfun = S k1(c), k1(c) = (sqrt(1 - c^2) + (pi - arccos c) c)/(2 pi), k1' = (pi - arccos c)
 *   / (2 pi), k1'' = (1 - c^2)^(-1/2) / (2 pi);
 * erf: kfun = (2/pi) arcsin(z0 + h rho), z0 = 2b/(1 + 2S), h = 2a/(1 + 2S),
 *   arcsin' = (1 - z^2)^(-1/2);
 * linear: b + a rho.
 */
export function kernelTaylorCoefficients(spec: KernelSpec, count: number): Float64Array {
  const { a, b } = covarianceCoefficients(spec);
  const S = a + b;
  const out = new Float64Array(count);
  if (count === 0) return out;
  if (spec.kernel === 'linear') {
    out[0] = b;
    if (count > 1) out[1] = a;
    return out;
  }
  if (spec.kernel === 'erf') {
    const z0 = (2 * b) / (1 + 2 * S);
    const h = (2 * a) / (1 + 2 * S);
    const g = inverseSqrtSeries(z0, h, count);
    out[0] = (2 / Math.PI) * Math.asin(z0);
    for (let j = 1; j < count; j++) out[j] = ((2 / Math.PI) * h * g[j - 1]!) / j;
    return out;
  }
  const c0 = b / S;
  const h = a / S;
  const g = inverseSqrtSeries(c0, h, count);
  const k1 = (Math.sqrt((1 - c0) * (1 + c0)) + (Math.PI - Math.acos(c0)) * c0) / (2 * Math.PI);
  out[0] = S * k1;
  if (count > 1) out[1] = (S * h * (Math.PI - Math.acos(c0))) / (2 * Math.PI);
  for (let j = 2; j < count; j++) {
    out[j] = (S * h * h * g[j - 2]!) / ((j - 1) * j * 2 * Math.PI);
  }
  return out;
}
