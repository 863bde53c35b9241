/**
 * The mean-field ceiling on the order parameter at finite width (THEORY.md section 10): a
 * predictor made of N identical neurons, each one's feature phi(w . x / sqrt(d)) having squared
 * cosine at most c^2 with the target, shrinks the target direction by at least 1 / (1 + N c^2),
 * so mS <= N c^2 / (1 + N c^2). c^2 here is the population value over first-layer weights on
 * the target subspace (the relevant coordinates S of a parity, the direction u of a single-index
 * target), maximised over the weight scale where the activation is not scale-free.
 */
import { activationFunction } from '../../backend/js/network.js';
import { hermite } from '../../backend/js/tasks.js';
import type { Activation } from '../../backend/types.js';
import type { TaskSpec } from '../../tasks/spec.js';

/** The ceiling of one MF run: c^2 and N c^2 / (1 + N c^2). */
export interface MfCeiling {
  /** Largest squared cosine between one neuron's feature and the target (population). */
  c2: number;
  /** N c^2 / (1 + N c^2): the largest mS a mean-field predictor of width N can reach. */
  mS: number;
}

/** N c^2 / (1 + N c^2). */
export function mSCeiling(N: number, c2: number): number {
  const lambda = N * c2;
  return lambda / (1 + lambda);
}

/**
 * The ceiling for a generated task and a bias-free network of width N; null for custom data
 * (no known target direction) and for a target without a Walsh or Hermite feature (k = 0).
 */
export function mfCeiling(task: TaskSpec, N: number, activation: Activation): MfCeiling | null {
  const c2 = targetCosine2(task, activation);
  return c2 === null ? null : { c2, mS: mSCeiling(N, c2) };
}

/** c^2 of a parity or single-index target, null for custom data or k = 0. */
export function targetCosine2(task: TaskSpec, activation: Activation): number | null {
  if (task.task === 'custom' || task.k === 0) return null;
  const cos2 =
    task.task === 'parity'
      ? (alpha: number) => parityCosine2(task.k, activation, alpha)
      : (alpha: number) => hermiteCosine2(task.k, activation, alpha);
  return SCALE_FREE.has(activation) ? cos2(1) : maximiseOverScale(cos2);
}

/** Activations with phi(alpha h) = alpha phi(h) for alpha > 0: the cosine ignores the scale. */
const SCALE_FREE = new Set<Activation>(['relu', 'linear']);

/**
 * Squared cosine between chi_S(x) and phi(alpha (x_1 + ... + x_k)) over x uniform on {-1,+1}^k:
 * equal weights of size alpha sqrt(d) on S. The feature depends on x only through the number m
 * of coordinates equal to -1 (binomial weights), and chi_S = (-1)^m. Equal magnitudes: the
 * target is symmetric in the coordinates of S, and test/methods/ceiling.test.ts checks that
 * unequal weights and weight on other coordinates do no better.
 */
export function parityCosine2(k: number, activation: Activation, alpha: number): number {
  const phi = activationFunction(activation);
  let yPhi = 0;
  let phi2 = 0;
  let weight = 2 ** -k; // C(k, m) / 2^k, updated as m grows
  for (let m = 0; m <= k; m++) {
    const f = phi(alpha * (k - 2 * m));
    yPhi += weight * (m % 2 === 0 ? f : -f);
    phi2 += weight * f * f;
    weight *= (k - m) / (m + 1);
  }
  return phi2 > 0 ? (yPhi * yPhi) / phi2 : 0;
}

/** Half-width and number of intervals of the Simpson rule over z ~ N(0, 1). */
const Z_RANGE = 12;
const Z_INTERVALS = 24_000;

/**
 * Squared cosine between He_k(z) / sqrt(k!) and phi(alpha z), z ~ N(0, 1) (weights alpha sqrt(d)
 * u): Simpson's rule on [-12, 12] with a node at the kink of relu (z = 0).
 */
export function hermiteCosine2(k: number, activation: Activation, alpha: number): number {
  const phi = activationFunction(activation);
  const h = (2 * Z_RANGE) / Z_INTERVALS;
  let yPhi = 0;
  let phi2 = 0;
  for (let i = 0; i <= Z_INTERVALS; i++) {
    const z = -Z_RANGE + i * h;
    const w = (i === 0 || i === Z_INTERVALS ? 1 : i % 2 === 1 ? 4 : 2) * Math.exp(-0.5 * z * z);
    const f = phi(alpha * z);
    yPhi += w * f * hermite(k, z);
    phi2 += w * f * f;
  }
  if (!(phi2 > 0)) return 0;
  // The common factor h / (3 sqrt(2 pi)) cancels from the ratio except once in the numerator.
  const norm = h / (3 * Math.sqrt(2 * Math.PI));
  return (norm * yPhi * yPhi) / (phi2 * factorial(k));
}

function factorial(k: number): number {
  let out = 1;
  for (let i = 2; i <= k; i++) out *= i;
  return out;
}

/**
 * The largest value of f over scales alpha in [1e-3, 1e3]: a log-spaced scan, then golden
 * sections around the best scan point. Saturating activations have one optimum in scale (small
 * alpha: linear regime; large: a sign function), which the scan brackets.
 */
function maximiseOverScale(f: (alpha: number) => number): number {
  const logs: number[] = [];
  for (let i = 0; i <= 60; i++) logs.push(-3 + (6 * i) / 60);
  const values = logs.map((t) => f(10 ** t));
  const best = values.indexOf(Math.max(...values));
  let lo = logs[Math.max(0, best - 1)]!;
  let hi = logs[Math.min(logs.length - 1, best + 1)]!;
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = f(10 ** a);
  let fb = f(10 ** b);
  for (let i = 0; i < 40; i++) {
    if (fa >= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = f(10 ** a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = f(10 ** b);
    }
  }
  return Math.max(values[best]!, fa, fb);
}
