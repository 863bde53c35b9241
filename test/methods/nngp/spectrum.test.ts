/**
 * Hypercube spectra (THEORY.md section 5) against brute force, and their numerical stability.
 * Brute force: the 2^d x 2^d Gram from the backend on every point of {-1, +1}^d; each Walsh
 * function chi_A must be an eigenvector of the operator K / 2^d, with eigenvalue
 * chi_A^T K chi_A / 4^d equal to lambda_|A|. At d = 64 the sums cancel by up to 2^64: the
 * eigenvalues must stay positive (except the identically zero degrees), match 17-digit mpmath
 * references, and satisfy sum_l C(d, l) lambda_l = kfun(1) to 1e-12.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KernelName, KernelSpec } from '../../../src/backend/types.js';
import { dotProductKernel } from '../../../src/methods/nngp/kernel.js';
import {
  binomialBig,
  gaussianSpectrum,
  hermiteMultiplicity,
  hypercubeSpectrum,
} from '../../../src/methods/nngp/spectrum.js';
import type { Spectrum } from '../../../src/methods/nngp/spectrum.js';
import { backends } from '../../helpers/backends.js';
import { hypercube } from './helpers.js';

const KERNELS: readonly KernelName[] = ['relu', 'erf', 'linear'];

function spec(kernel: KernelName, d: number, bias: boolean): KernelSpec {
  return { kernel, d, sigmaW: 1.2, sigmaB: 0.8, bias };
}

function diagonalSum(s: Spectrum): number {
  let sum = s.tailTrace;
  for (let l = 0; l < s.eigenvalues.length; l++) sum += s.multiplicities[l]! * s.eigenvalues[l]!;
  return sum;
}

/** lambda_l vanishes identically: linear beyond degree 1, bias-free relu at odd l >= 3, bias-free
 *  erf at even l (it is odd), bias-free linear at l = 0. */
function zeroDegree(kernel: KernelName, bias: boolean, l: number): boolean {
  if (kernel === 'linear') return l >= 2 || (l === 0 && !bias);
  if (bias) return false;
  return kernel === 'erf' ? l % 2 === 0 : l >= 3 && l % 2 === 1;
}

/** A subset of size l of {0..d-1} as a bit mask: a "random" but fixed choice. */
function subset(d: number, l: number, salt: number): number {
  const order = Array.from({ length: d }, (_, j) => j).sort(
    (a, b) => ((a * 7919 + salt * 104729) % 1009) - ((b * 7919 + salt * 104729) % 1009),
  );
  return order.slice(0, l).reduce((mask, j) => mask | (1 << j), 0);
}

describe('hypercube spectrum vs brute force (Walsh projections of the full Gram)', () => {
  for (const d of [3, 6, 10]) {
    for (const kernel of KERNELS) {
      for (const bias of [false, true]) {
        test(`d = ${d}, ${kernel}${bias ? ' + bias' : ''}`, () => {
          const s = spec(kernel, d, bias);
          const spectrum = hypercubeSpectrum(s);
          const n = 2 ** d;
          const { X } = hypercube(d, 0);
          const backend = backends[0]!;
          const K = new Float64Array(n * n);
          backend.nngpGram(s, X, K);
          const scale = spectrum.trace;
          for (let l = 0; l <= d; l++) {
            for (const salt of [1, 2]) {
              const mask = subset(d, l, salt);
              const chi = Float64Array.from({ length: n }, (_, i) =>
                popcount(i & mask) % 2 === 0 ? 1 : -1,
              );
              // (K chi) / 2^d must equal lambda chi: chi is an eigenvector, lambda its eigenvalue.
              let worst = 0;
              let quadratic = 0;
              for (let i = 0; i < n; i++) {
                let row = 0;
                for (let j = 0; j < n; j++) row += K[i * n + j]! * chi[j]!;
                row /= n;
                quadratic += row * chi[i]!;
                worst = Math.max(worst, Math.abs(row - spectrum.eigenvalues[l]! * chi[i]!));
              }
              const lambda = quadratic / n;
              assert.ok(worst < 1e-13 * scale, `l = ${l}: |K chi / 2^d - lambda chi| = ${worst}`);
              assert.ok(
                Math.abs(lambda - spectrum.eigenvalues[l]!) < 1e-13 * scale,
                `l = ${l}: brute force ${lambda} vs ${spectrum.eigenvalues[l]}`,
              );
            }
          }
          assert.ok(Math.abs(diagonalSum(spectrum) - K[0]!) < 1e-13 * scale);
          assert.equal(spectrum.tailTrace, 0);
        });
      }
    }
  }
});

describe('hypercube spectrum vs enumeration at d = 16 (one row of the Gram: K is translation invariant)', () => {
  for (const kernel of KERNELS) {
    test(`${kernel} + bias: lambda_l = 2^-d sum_z K(1, z) chi_A(z)`, () => {
      const d = 16;
      const s = spec(kernel, d, true);
      const spectrum = hypercubeSpectrum(s);
      const n = 2 ** d;
      const { X } = hypercube(d, 0);
      const row = new Float64Array(n);
      backends[0]!.nngpCross(s, X.subarray(0, d), X, row);
      for (let l = 0; l <= d; l++) {
        const mask = subset(d, l, 3);
        const lambda =
          compensatedSum(n, (i) => (popcount(i & mask) % 2 === 0 ? row[i]! : -row[i]!)) / n;
        assert.ok(
          Math.abs(lambda - spectrum.eigenvalues[l]!) < 1e-14 * spectrum.trace,
          `l = ${l}: ${lambda} vs ${spectrum.eigenvalues[l]}`,
        );
      }
    });
  }
});

/** Neumaier's compensated sum of f(0..n-1): the 2^16 terms would lose ~1e-12 summed plainly. */
function compensatedSum(n: number, f: (i: number) => number): number {
  let sum = 0;
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const v = f(i);
    const t = sum + v;
    carry += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + carry;
}

function popcount(v: number): number {
  let c = 0;
  for (let x = v; x !== 0; x &= x - 1) c++;
  return c;
}

describe('hypercube spectrum at d = 64 (cancellation by up to 2^64)', () => {
  for (const kernel of KERNELS) {
    for (const bias of [false, true]) {
      test(`${kernel}${bias ? ' + bias' : ''}: positive, diagonal to 1e-12, sorted multiplicities`, () => {
        const d = 64;
        const s = spec(kernel, d, bias);
        const spectrum = hypercubeSpectrum(s);
        assert.equal(spectrum.eigenvalues.length, d + 1);
        for (let l = 0; l <= d; l++) {
          const lambda = spectrum.eigenvalues[l]!;
          if (zeroDegree(kernel, bias, l)) assert.equal(lambda, 0, `l = ${l}`);
          else assert.ok(lambda > 0, `l = ${l}: ${lambda}`);
          assert.equal(spectrum.multiplicities[l], Number(binomialBig(d, l)));
        }
        const kfun1 = dotProductKernel(s)(1);
        assert.ok(Math.abs(spectrum.trace - kfun1) <= 1e-15 * kfun1);
        assert.ok(Math.abs(diagonalSum(spectrum) - kfun1) < 1e-12 * kfun1);
      });
    }
  }

  test('matches 17-digit mpmath references (sigmaW = sigmaB = 1)', () => {
    const relu = hypercubeSpectrum({ kernel: 'relu', d: 64, sigmaW: 1, sigmaB: 1, bias: false });
    const erfBias = hypercubeSpectrum({ kernel: 'erf', d: 64, sigmaW: 1, sigmaB: 1, bias: true });
    const references: [Spectrum, number, number][] = [
      [relu, 0, 0.16040326346860373],
      [relu, 1, 0.00390625],
      [relu, 2, 3.916424836858843e-5],
      [relu, 10, 2.9729864223672162e-15],
      [relu, 32, 1.0331567249222638e-23],
      [relu, 50, 3.4473263469593626e-24],
      [relu, 64, 2.7665979978502302e-24],
      [erfBias, 0, 0.2623968983941746],
      [erfBias, 3, 3.2633846994497013e-7],
      [erfBias, 33, 6.5202509272786334e-31],
      [erfBias, 63, 2.674687206702076e-39],
      [erfBias, 64, 1.748334246833747e-39],
    ];
    for (const [spectrum, l, reference] of references) {
      const value = spectrum.eigenvalues[l]!;
      assert.ok(Math.abs(value - reference) <= 1e-14 * reference, `l = ${l}: ${value}`);
    }
  });
});

describe('large d: degrees up to the cutoff, the rest as an exact tail', () => {
  test('d = 1000: L such that C(d, L + 1) >= 1e15; trace = listed + tail', () => {
    const s = spec('relu', 1000, false);
    const spectrum = hypercubeSpectrum(s, { minDegree: 2 });
    const L = spectrum.eigenvalues.length - 1;
    assert.ok(Number(binomialBig(1000, L + 1)) >= 1e15 && Number(binomialBig(1000, L)) < 1e15);
    assert.ok(spectrum.tailTrace > 0);
    assert.ok(Math.abs(diagonalSum(spectrum) - spectrum.trace) < 1e-12 * spectrum.trace);
    // minDegree forces degrees in; maxDegree overrides.
    assert.equal(hypercubeSpectrum(s, { minDegree: 9 }).eigenvalues.length, 10);
    assert.equal(
      hypercubeSpectrum(spec('relu', 12, false), { maxDegree: 3 }).eigenvalues.length,
      4,
    );
  });

  test('the truncated spectrum agrees with the full one on the listed degrees (d = 200)', () => {
    const s = spec('erf', 200, true);
    const full = hypercubeSpectrum(s);
    const part = hypercubeSpectrum(s, { maxDegree: 5 });
    for (let l = 0; l <= 5; l++) {
      assert.ok(
        Math.abs(part.eigenvalues[l]! - full.eigenvalues[l]!) <= 1e-15 * full.eigenvalues[l]!,
      );
    }
    let rest = 0;
    for (let l = 6; l <= 200; l++) rest += full.multiplicities[l]! * full.eigenvalues[l]!;
    assert.ok(Math.abs(part.tailTrace - rest) < 1e-12 * full.trace);
  });
});

describe('Gaussian-input spectrum (leading order in 1/d)', () => {
  test('m_l lambda_l = b_l, multiplicities C(d+l-1, l), trace kfun(1), stated approximation', () => {
    const s = spec('relu', 18, true);
    const spectrum = gaussianSpectrum(s);
    assert.match(spectrum.approximation ?? '', /leading order in 1\/d/);
    assert.equal(spectrum.multiplicities[2], (18 * 19) / 2);
    assert.equal(hermiteMultiplicity(18, 3), (18 * 19 * 20) / 6);
    assert.ok(spectrum.eigenvalues.every((v) => v > 0));
    const kfun1 = dotProductKernel(s)(1);
    assert.ok(Math.abs(diagonalSum(spectrum) - kfun1) < 1e-12 * kfun1);
    // b_l l!/d^l is the same to O(l^2/d).
    const b2 = spectrum.eigenvalues[2]! * spectrum.multiplicities[2]!;
    assert.ok(Math.abs(spectrum.eigenvalues[2]! / ((b2 * 2) / 18 ** 2) - 1) < 0.1);
  });
});
