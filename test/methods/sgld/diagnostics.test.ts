/**
 * Split R-hat and ESS on synthetic chains with known answers: AR(1) chains
 * x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t have integrated autocorrelation time
 * tau = (1 + phi) / (1 - phi), so ESS = M n / tau; chains with shifted means have R-hat > 1.1.
 * Tolerances use the standard error of the estimated tau (Sokal 1997: var(tau_hat) / tau^2 about
 * 2 (2 W + 1) / (M n) for a summation window W, W about 5 tau here), at 4 standard errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.js';
import {
  effectiveSampleSize,
  monteCarloStandardError,
  splitChains,
  splitRhat,
} from '../../../src/methods/sgld/diagnostics.js';

/** AR(1) chain of length n with coefficient phi and stationary N(mean, 1), from a fixed seed. */
function ar1(n: number, phi: number, seed: number, mean = 0): Float64Array {
  const e = new Float64Array(n);
  jsBackend.fillGaussian(seed, 7, 0, e);
  const x = new Float64Array(n);
  let prev = e[0]!;
  const scale = Math.sqrt(1 - phi * phi);
  for (let t = 0; t < n; t++) {
    prev = t === 0 ? e[0]! : phi * prev + scale * e[t]!;
    x[t] = prev + mean;
  }
  return x;
}

function chains(m: number, n: number, phi: number, means: number[] = []): Float64Array[] {
  return Array.from({ length: m }, (_, j) => ar1(n, phi, 100 + j, means[j] ?? 0));
}

describe('effectiveSampleSize', () => {
  for (const phi of [0, 0.5, 0.9]) {
    test(`AR(1) with phi = ${phi}: ESS = M n (1 - phi) / (1 + phi) within 4 SE`, () => {
      const m = 4;
      const n = 20_000;
      const tau = (1 + phi) / (1 - phi);
      const expected = (m * n) / tau;
      const window = Math.max(5 * tau, 5);
      const relSe = Math.sqrt((2 * (2 * window + 1)) / (m * n));
      const ess = effectiveSampleSize(chains(m, n, phi));
      assert.ok(ess !== null);
      const relErr = Math.abs(ess / expected - 1);
      assert.ok(
        relErr < 4 * relSe,
        `ESS ${ess.toFixed(0)} vs ${expected.toFixed(0)}: ${(relErr / relSe).toFixed(2)} SE`,
      );
    });
  }

  test('null with one chain, too few draws, unequal lengths or non-finite draws', () => {
    assert.equal(effectiveSampleSize(chains(1, 1000, 0.5)), null);
    assert.equal(effectiveSampleSize(chains(2, 7, 0.5)), null);
    assert.equal(effectiveSampleSize([ar1(100, 0.5, 1), ar1(99, 0.5, 2)]), null);
    const bad = ar1(100, 0.5, 1);
    bad[3] = NaN;
    assert.equal(effectiveSampleSize([bad, ar1(100, 0.5, 2)]), null);
  });
});

describe('monteCarloStandardError', () => {
  test('AR(1) with phi = 0.5: SE of the mean = sqrt(tau / (M n)) within 4 SE of tau', () => {
    const [m, n, phi] = [4, 20_000, 0.5];
    const tau = (1 + phi) / (1 - phi);
    const expected = Math.sqrt(tau / (m * n));
    // The SE scales as sqrt(tau): half the relative error of tau (see effectiveSampleSize above).
    const relSe = Math.sqrt((2 * (2 * 5 * tau + 1)) / (m * n)) / 2;
    const se = monteCarloStandardError(chains(m, n, phi));
    assert.ok(se !== null);
    const relErr = Math.abs(se / expected - 1);
    assert.ok(relErr < 4 * relSe, `SE ${se} vs ${expected}: ${(relErr / relSe).toFixed(2)} SE`);
  });

  test('null where the ESS is', () => {
    assert.equal(monteCarloStandardError(chains(1, 1000, 0.5)), null);
    assert.equal(monteCarloStandardError(chains(2, 7, 0.5)), null);
  });
});

describe('splitRhat', () => {
  test('mixed chains: R-hat below 1.01', () => {
    const rhat = splitRhat(chains(4, 5000, 0.5));
    assert.ok(rhat !== null && rhat < 1.01, `R-hat ${rhat}`);
  });

  test('chains with shifted means: R-hat above 1.1', () => {
    const rhat = splitRhat(chains(4, 2000, 0.5, [0, 0, 0, 2]));
    assert.ok(rhat !== null && rhat > 1.1, `R-hat ${rhat}`);
  });

  test('a drift within each chain raises split R-hat', () => {
    const drifting = chains(2, 2000, 0.5).map((c) => c.map((v, t) => v + (2 * t) / c.length));
    const rhat = splitRhat(drifting);
    assert.ok(rhat !== null && rhat > 1.1, `R-hat ${rhat}`);
  });

  test('R-hat of two half chains matches the formula sqrt(var+ / W)', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = Float64Array.from([2, 2, 4, 4, 6, 6, 8, 8]);
    // Half chains [1,2,3,4] [5,6,7,8] [2,2,4,4] [6,6,8,8]: means 2.5 6.5 3 7, variances
    // 5/3 5/3 4/3 4/3, so W = 1.5, B/n = var(means) = 16.25 / 3 and var+ = 3/4 W + B/n.
    const expected = Math.sqrt((0.75 * 1.5 + 16.25 / 3) / 1.5);
    assert.ok(Math.abs(splitRhat([a, b])! - expected) < 1e-12);
  });

  test('null with one chain', () => {
    assert.equal(splitRhat(chains(1, 100, 0)), null);
  });

  test('splitChains drops the middle draw of odd chains', () => {
    const halves = splitChains([Float64Array.from([1, 2, 3, 4, 5])]);
    assert.deepEqual(
      halves.map((h) => Array.from(h)),
      [
        [1, 2],
        [4, 5],
      ],
    );
  });
});
