/** Task data semantics (THEORY.md section 1, native/core/tasks.hpp) on every backend. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend, TaskParams } from '../../src/backend/types.js';
import { backends } from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';
import { gaussianEvenMoment, meanOf } from '../helpers/stats.js';

function rows(backend: Backend, params: TaskParams, test: boolean, rowOffset: number, n: number) {
  const X = new Float64Array(n * params.d);
  const y = new Float64Array(n);
  backend.generateTaskRows(params, { test, rowOffset, X, y });
  return { X, y };
}

/** Coefficients (constant first) of He_k by He_{n+1} = x He_n - n He_{n-1}, exact integers. */
function hermiteCoefficients(k: number): number[] {
  let previous = [1];
  let current = [0, 1];
  if (k === 0) return previous;
  for (let n = 1; n < k; n++) {
    const next = [0, ...current].map((c, i) => c - n * (previous[i] ?? 0));
    previous = current;
    current = next;
  }
  return current;
}

function multiply(p: number[], q: number[]): number[] {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  p.forEach((a, i) => q.forEach((b, j) => (out[i + j]! += a * b)));
  return out;
}

/** E[He_k(x)^4] for x ~ N(0,1), from the exact coefficients and Gaussian moments. */
function hermiteFourthMoment(k: number): number {
  const square = multiply(hermiteCoefficients(k), hermiteCoefficients(k));
  return multiply(square, square).reduce(
    (sum, c, power) => (power % 2 === 0 ? sum + c * gaussianEvenMoment(power / 2) : sum),
    0,
  );
}

function factorial(k: number): number {
  let product = 1;
  for (let i = 2; i <= k; i++) product *= i;
  return product;
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;

  test(`parity: inputs are +-1 and the label is the product of the first k ${tag}`, () => {
    const d = 7;
    for (let k = 0; k <= d; k++) {
      const { X, y } = rows(
        backend,
        { kind: 'parity', d, k, labelNoise: 0, seed: 5 },
        false,
        3,
        500,
      );
      assert.ok(
        X.every((v) => v === 1 || v === -1),
        'an input is not +-1',
      );
      for (let mu = 0; mu < y.length; mu++) {
        let product = 1;
        for (let j = 0; j < k; j++) product *= X[mu * d + j]!;
        assert.equal(y[mu], product, `k = ${k}, row ${mu}`);
      }
      // Each input coordinate is a fair coin: mean 0 within 5 SE (SE = 1/sqrt(count)).
      assert.ok(Math.abs(meanOf(X)) < 5 / Math.sqrt(X.length), `input mean ${meanOf(X)}`);
    }
  });

  test(`single-index: y = He_k(x_0)/sqrt(k!) with E[y^2] = 1 within 5 SE for k = 1..4 ${tag}`, () => {
    const n = 200000;
    for (let k = 1; k <= 4; k++) {
      // d = k, the smallest input dimension the contract k <= d allows.
      const d = k;
      const { X, y } = rows(
        backend,
        { kind: 'single-index', d, k, labelNoise: 0, seed: 6 },
        false,
        0,
        n,
      );
      const coefficients = hermiteCoefficients(k);
      for (let mu = 0; mu < 100; mu++) {
        const x = X[mu * d]!;
        const want =
          coefficients.reduce((sum, c, p) => sum + c * x ** p, 0) / Math.sqrt(factorial(k));
        assert.ok(
          Math.abs(y[mu]! - want) <= 1e-12 * Math.max(1, Math.abs(want)),
          `k = ${k}: ${y[mu]} vs ${want}`,
        );
      }
      // SE of the mean of y^2: sqrt(Var(y^2)/n), Var(y^2) = E[He_k^4]/(k!)^2 - 1 (exact moments).
      const se = Math.sqrt((hermiteFourthMoment(k) / factorial(k) ** 2 - 1) / n);
      const second = meanOf(y, (v) => v * v);
      assert.ok(Math.abs(second - 1) < 5 * se, `k = ${k}: E[y^2] = ${second}, SE ${se}`);
    }
  });

  test(`label noise adds sigma_eps times a standard normal ${tag}`, () => {
    const n = 100000;
    const sigma = 0.5;
    const clean = rows(
      backend,
      { kind: 'parity', d: 3, k: 2, labelNoise: 0, seed: 8 },
      false,
      0,
      n,
    );
    const noisy = rows(
      backend,
      { kind: 'parity', d: 3, k: 2, labelNoise: sigma, seed: 8 },
      false,
      0,
      n,
    );
    assertBitIdentical(noisy.X, clean.X, 'inputs');
    const g = noisy.y.map((v, mu) => (v - clean.y[mu]!) / sigma);
    // Mean SE 1/sqrt(n); second-moment SE sqrt(2/n) (Var g^2 = 2).
    assert.ok(Math.abs(meanOf(g)) < 5 / Math.sqrt(n), `noise mean ${meanOf(g)}`);
    assert.ok(Math.abs(meanOf(g, (v) => v * v) - 1) < 5 * Math.sqrt(2 / n), 'noise variance');
  });

  test(`train and test data differ; P does not change the first rows ${tag}`, () => {
    for (const kind of ['parity', 'single-index'] as const) {
      const params: TaskParams = { kind, d: 6, k: 2, labelNoise: 0.3, seed: 12 };
      const train = rows(backend, params, false, 0, 200);
      const testSplit = rows(backend, params, true, 0, 200);
      const sameRows = train.y.filter((v, mu) => v === testSplit.y[mu]).length;
      assert.equal(sameRows, 0, `${kind}: ${sameRows} train labels equal test labels`);
      for (const test of [false, true]) {
        const ten = rows(backend, params, test, 0, 10);
        const twenty = rows(backend, params, test, 0, 20);
        assertBitIdentical(ten.X, twenty.X.subarray(0, 60), `${kind} test=${test} X`);
        assertBitIdentical(ten.y, twenty.y.subarray(0, 10), `${kind} test=${test} y`);
        // Any row window is the slice of the whole.
        const window = rows(backend, params, test, 7, 9);
        assertBitIdentical(window.X, twenty.X.subarray(42, 96), `${kind} test=${test} window X`);
        assertBitIdentical(window.y, twenty.y.subarray(7, 16), `${kind} test=${test} window y`);
      }
    }
  });

  test(`different seeds give different data ${tag}`, () => {
    const a = rows(
      backend,
      { kind: 'single-index', d: 4, k: 3, labelNoise: 0, seed: 1 },
      false,
      0,
      100,
    );
    const b = rows(
      backend,
      { kind: 'single-index', d: 4, k: 3, labelNoise: 0, seed: 2 },
      false,
      0,
      100,
    );
    assert.equal(a.X.filter((v, i) => v === b.X[i]).length, 0);
  });
}
