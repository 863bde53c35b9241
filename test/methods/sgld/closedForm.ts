/**
 * The closed-form test model: linear activation with the first layer frozen, so
 * f(x) = a . Phi(x) with Phi_i(x) = N^-gamma w_i . x / sqrt(d) is linear in a and the posterior of
 * a is Gaussian (THEORY.md section 3):
 *
 *   M = ls Phi^T Phi + (kappa / sigma_a^2) I,  mean m = M^-1 ls Phi^T y,  covariance kappa M^-1.
 *
 * The SGLD step is then the Euler step of an Ornstein-Uhlenbeck process with drift M (a - m),
 * whose stationary law is exact in closed form too: mean m (no bias) and covariance
 * 2 kappa [M (2 I - eta M)]^-1, i.e. variance kappa / lambda / (1 - eta lambda / 2) along an
 * eigenvector with eigenvalue lambda of M: the O(eta) bias.
 */
import assert from 'node:assert/strict';
import type { SgldData, SgldConfig, SgldState } from '../../../src/backend/types.js';
import type { SamplerSpecInput, SgldSpecInput } from '../../../src/methods/sgld/spec.js';
import { effectiveSampleSize } from '../../../src/methods/sgld/diagnostics.js';
import { dot, matMul, matrix, solve, largestEigenvalue } from './linalg.js';
import type { Matrix } from './linalg.js';

/**
 * The closed-form case: single-index data (d = 5, P = 30, label noise 0.5), N = 6 linear units
 * with W frozen at its prior draw, kappa = 0.5, one chain, burn-in 2000, every state kept. The
 * posterior of a is Gaussian (`linearPosterior`). `sampler` adds steps, eta and the integrator.
 */
export function closedFormSpecInput(
  sampler: Partial<SamplerSpecInput> & { steps: number },
  precision: 'float64' | 'float32' = 'float64',
): SgldSpecInput {
  return {
    precision,
    task: { task: 'single-index', d: 5, k: 1, P: 30, PTest: 200, labelNoise: 0.5, seed: 3 },
    network: { N: 6, activation: 'linear' },
    sampler: {
      kappa: 0.5,
      burnIn: 2000,
      thin: 1,
      chains: 1,
      freezeW: true,
      seed: 5,
      observeEvery: 0,
      ...sampler,
    },
  };
}

/** Features Phi (rows x N) of chain 0's first layer on X (rows x d). */
export function features(config: SgldConfig, W: Float64Array, X: Float64Array): Float64Array {
  const { N, d, gamma } = config;
  const rows = X.length / d;
  const phi = new Float64Array(rows * N);
  const scale = N ** -gamma / Math.sqrt(d);
  for (let mu = 0; mu < rows; mu++) {
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += W[i * d + j]! * X[mu * d + j]!;
      phi[mu * N + i] = scale * s;
    }
  }
  return phi;
}

/** The exact posterior and the exact Euler stationary law of chain 0. */
export interface LinearPosterior {
  M: Matrix;
  mean: Float64Array;
  /** Largest eigenvalue of M (the stiffest direction). */
  lambdaMax: number;
  /** v^T Cov v of the posterior (kappa M^-1). */
  variance(v: ArrayLike<number>): number;
  /** v^T Cov_eta v of the Euler chain's stationary law, 2 kappa [M (2 - eta M)]^-1. */
  eulerVariance(v: ArrayLike<number>, eta: number): number;
}

export function linearPosterior(
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
): LinearPosterior {
  const { N, kappa, sigmaA, lossScale: ls } = config;
  const phi = features(config, state.W.subarray(0, N * config.d), data.X);
  const P = config.P;
  const M = matrix(N, (i, j) => {
    let s = 0;
    for (let mu = 0; mu < P; mu++) s += phi[mu * N + i]! * phi[mu * N + j]!;
    return ls * s + (i === j ? kappa / sigmaA ** 2 : 0);
  });
  const b = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let mu = 0; mu < P; mu++) s += phi[mu * N + i]! * data.y[mu]!;
    b[i] = ls * s;
  }
  return {
    M,
    mean: solve(M, b),
    lambdaMax: largestEigenvalue(M),
    variance: (v) => kappa * dot(v, solve(M, v)),
    eulerVariance: (v, eta) => {
      const twoMinus = matrix(N, (i, j) => (i === j ? 2 : 0) - eta * M.data[i * N + j]!);
      return 2 * kappa * dot(v, solve(matMul(M, twoMinus), v));
    },
  };
}

/** v with v . a = (1 / P_test) sum_mu f(xTest_mu) targetTest_mu: the functional traced as mS. */
export function mSFunctional(config: SgldConfig, data: SgldData, state: SgldState): Float64Array {
  const { N, PTest } = config;
  const phi = features(config, state.W.subarray(0, N * config.d), data.XTest);
  const v = new Float64Array(N);
  for (let mu = 0; mu < PTest; mu++) {
    for (let i = 0; i < N; i++) v[i] = v[i]! + (phi[mu * N + i]! * data.targetTest![mu]!) / PTest;
  }
  return v;
}

/** Standard errors within which an estimate must meet its closed-form value. */
export const Z = 4;

/** The estimate is within Z of its standard errors of `expected`. */
export function assertWithin(what: string, estimate: Estimate, expected: number): void {
  const z = (estimate.value - expected) / estimate.se;
  assert.ok(
    Math.abs(z) < Z,
    `${what}: ${estimate.value} vs ${expected} (${z.toFixed(2)} SE, SE ${estimate.se.toExponential(2)}, ESS ${estimate.ess.toFixed(0)})`,
  );
}

/** A time average with its Monte Carlo standard error from the ESS (4 segments as chains). */
export interface Estimate {
  value: number;
  se: number;
  ess: number;
}

function segments(trace: Float64Array, count = 4): Float64Array[] {
  const n = Math.floor(trace.length / count);
  return Array.from({ length: count }, (_, s) => trace.subarray(s * n, s * n + n));
}

/** Mean of a trace, SE = sd / sqrt(ESS). */
export function meanEstimate(trace: Float64Array): Estimate {
  const n = trace.length;
  let m = 0;
  for (const x of trace) m += x;
  m /= n;
  let v = 0;
  for (const x of trace) v += (x - m) ** 2;
  v /= n - 1;
  const ess = effectiveSampleSize(segments(trace)) ?? 1;
  return { value: m, se: Math.sqrt(v / ess), ess };
}

/** Variance of a trace, SE from the ESS of the squared deviations. */
export function varianceEstimate(trace: Float64Array): Estimate {
  const m = meanEstimate(trace).value;
  return meanEstimate(trace.map((x) => (x - m) ** 2));
}
