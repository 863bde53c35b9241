/**
 * The NNGP kernels against Monte Carlo (THEORY.md section 5): K = E[phi(u) phi(v)] for (u, v)
 * Gaussian with covariance (S11, S12; S12, S22). The backend's Gram of two rows built to have
 * that covariance must match the sample mean of phi(u) phi(v) over 1e6 draws (the project's RNG,
 * fixed seed) within 4 standard errors, for every kernel, with and without bias, at three
 * covariances. Also: the scalar closed forms of kernel.ts equal the backend's, and the Taylor
 * coefficients of kfun(rho) reproduce it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { erf } from '../../../src/backend/js/erf.js';
import type { KernelName, KernelSpec } from '../../../src/backend/types.js';
import {
  dotProductKernel,
  kernelTaylorCoefficients,
  kernelValue,
} from '../../../src/methods/nngp/kernel.js';
import { backends, jsBackend } from '../../helpers/backends.js';

const SAMPLES = 1_000_000;
const STANDARD_ERRORS = 4;
const KERNELS: readonly KernelName[] = ['relu', 'erf', 'linear'];
const PHI: Record<KernelName, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  erf,
  linear: (x) => x,
};
/** (S11, S22, S12): moderate, anti-correlated, strongly correlated (corr 0.96). */
const COVARIANCES: readonly (readonly [number, number, number])[] = [
  [1.0, 1.0, 0.3],
  [2.0, 0.8, -0.1],
  [1.2, 0.9, 1.0],
];
const SIGMA_W = 1.3;
const SIGMA_B = 0.7;

/** z1, z2 ~ N(0, 1), 1e6 each, from the project's Philox streams (seed 2024). */
const z = new Float64Array(2 * SAMPLES);
jsBackend.fillGaussian(2024, 7, 0, z);

/** Two rows in R^2 with sigmaW^2 x.x'/d + b = S: |x|^2 = d (S11 - b)/sigmaW^2, etc. */
function rowsFor(S11: number, S22: number, S12: number, b: number): Float64Array {
  const d = 2;
  const scale = d / (SIGMA_W * SIGMA_W);
  const n1 = Math.sqrt(scale * (S11 - b));
  const n2 = Math.sqrt(scale * (S22 - b));
  const cos = (scale * (S12 - b)) / (n1 * n2);
  return Float64Array.of(n1, 0, n2 * cos, n2 * Math.sqrt(1 - cos * cos));
}

function monteCarlo(kernel: KernelName, S11: number, S22: number, S12: number) {
  const phi = PHI[kernel];
  const a = Math.sqrt(S11);
  const c = S12 / a;
  const e = Math.sqrt(S22 - c * c);
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const z1 = z[2 * i]!;
    const v = phi(a * z1) * phi(c * z1 + e * z[2 * i + 1]!);
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / SAMPLES;
  return { mean, se: Math.sqrt((sum2 / SAMPLES - mean * mean) / (SAMPLES - 1)) };
}

describe('NNGP kernel vs Monte Carlo E[phi(u) phi(v)] (1e6 samples, 4 standard errors)', () => {
  for (const kernel of KERNELS) {
    for (const bias of [false, true]) {
      for (const [S11, S22, S12] of COVARIANCES) {
        const b = bias ? SIGMA_B * SIGMA_B : 0;
        const name = `${kernel}${bias ? ' + bias' : ''}, S = (${S11}, ${S22}, ${S12})`;
        test(name, () => {
          const spec: KernelSpec = { kernel, d: 2, sigmaW: SIGMA_W, sigmaB: SIGMA_B, bias };
          const X = rowsFor(S11, S22, S12, b);
          const mc = monteCarlo(kernel, S11, S22, S12);
          for (const backend of backends) {
            const K = new Float64Array(4);
            backend.nngpGram(spec, X, K);
            const deviation = Math.abs(K[1]! - mc.mean) / mc.se;
            assert.ok(
              deviation < STANDARD_ERRORS,
              `${backend.name}: K12 = ${K[1]}, MC ${mc.mean} +- ${mc.se} (${deviation.toFixed(2)} se)`,
            );
            assert.ok(Math.abs(K[1]! - kernelValue(kernel, S11, S22, S12)) < 1e-12);
            for (const [i, S] of [
              [0, S11],
              [3, S22],
            ] as const) {
              assert.ok(Math.abs(K[i]! - kernelValue(kernel, S, S, S)) < 1e-12 * (1 + S));
            }
          }
        });
      }
    }
  }
});

describe('kfun(rho) and its Taylor coefficients', () => {
  for (const kernel of KERNELS) {
    for (const bias of [false, true]) {
      test(`${kernel}${bias ? ' + bias' : ''}: sum_j b_j rho^j = kfun(rho), all b_j >= 0`, () => {
        const spec: KernelSpec = { kernel, d: 5, sigmaW: 1.1, sigmaB: 0.6, bias };
        const kfun = dotProductKernel(spec);
        const b = kernelTaylorCoefficients(spec, 4000);
        assert.ok(b.every((v) => v >= 0));
        for (const rho of [-0.9, -0.3, 0, 0.4, 0.8]) {
          let sum = 0;
          for (let j = b.length - 1; j >= 0; j--) sum = sum * rho + b[j]!;
          assert.ok(Math.abs(sum - kfun(rho)) < 1e-12, `${rho}: ${sum} vs ${kfun(rho)}`);
        }
        // At rho = 1 the relu series converges slowly (b_j ~ j^-5/2): partial sums approach kfun(1).
        let total = 0;
        for (const v of b) total += v;
        assert.ok(Math.abs(total - kfun(1)) < 1e-4 * kfun(1));
      });
    }
  }
});
