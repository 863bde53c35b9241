/**
 * The eigenlearning equations (THEORY.md section 5): kt solves P = sum m L + (delta + T)/kt to
 * full precision, limits (P = 0, huge ridge, pure noise), E0 >= 1, any P up to 1e9 in
 * milliseconds, and the k = 4 parity plateau (testMse ~ 1 while P << C(d, 4)).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eigenlearning, solveKt } from '../../../src/methods/nngp/eigen.js';
import { learningCurve } from '../../../src/methods/nngp/run.js';
import { hypercubeSpectrum } from '../../../src/methods/nngp/spectrum.js';
import type { Spectrum } from '../../../src/methods/nngp/spectrum.js';

const relu12 = hypercubeSpectrum({ kernel: 'relu', d: 12, sigmaW: 1, sigmaB: 1, bias: false });
const parity2 = [0, 0, 1];

function modeCount(s: Spectrum, ridge: number, kt: number): number {
  let sum = (ridge + s.tailTrace) / kt;
  for (let l = 0; l < s.eigenvalues.length; l++) {
    sum += (s.multiplicities[l]! * s.eigenvalues[l]!) / (s.eigenvalues[l]! + kt);
  }
  return sum;
}

describe('eigenlearning', () => {
  test('kt solves the mode-count equation to ~1e-14 for P from 1 to 1e9', () => {
    const big = hypercubeSpectrum({ kernel: 'relu', d: 35, sigmaW: 1, sigmaB: 1, bias: true });
    for (const s of [relu12, big]) {
      for (const P of [1, 10, 100, 1e3, 1e5, 1e7, 1e9]) {
        for (const ridge of [1e-6, 0.01, 10]) {
          const kt = solveKt(s, ridge, P);
          assert.ok(kt > 0);
          assert.ok(Math.abs(modeCount(s, ridge, kt) / P - 1) < 1e-13, `P = ${P}, ridge ${ridge}`);
        }
      }
    }
  });

  test('P = 0 is the prior mean 0: testMse = target power + noise^2, no train error', () => {
    const r = eigenlearning(relu12, { P: 0, ridge: 0.01, targetPower: parity2, noise: 0.5 });
    assert.equal(r.testMse, 1.25);
    assert.equal(r.trainMse, null);
    assert.equal(r.E0, 1);
    assert.ok(r.learnabilities.every((v) => v === 0));
  });

  test('E0 >= 1, learnabilities in [0, 1), errors positive; trainMse < testMse', () => {
    for (const P of [10, 100, 1000, 1e6]) {
      const r = eigenlearning(relu12, { P, ridge: 0.01, targetPower: parity2, noise: 0.1 });
      assert.ok(r.E0 >= 1);
      assert.ok(r.learnabilities.every((v) => v >= 0 && v < 1));
      assert.ok(r.testMse > 0 && r.trainMse !== null && r.trainMse < r.testMse);
      // Noise floor: testMse -> sigma^2 as P -> infinity.
      if (P === 1e6) assert.ok(Math.abs(r.testMse - 0.01) < 1e-3);
    }
  });

  test('a huge ridge learns nothing: testMse -> target power (+ noise)', () => {
    const r = eigenlearning(relu12, { P: 100, ridge: 1e12, targetPower: parity2, noise: 0 });
    assert.ok(Math.abs(r.testMse - 1) < 1e-6);
  });

  test('target beyond the listed degrees counts as unlearned', () => {
    const s = hypercubeSpectrum(
      { kernel: 'relu', d: 12, sigmaW: 1, sigmaB: 1, bias: false },
      { maxDegree: 2 },
    );
    const r = eigenlearning(s, { P: 1000, ridge: 0.01, targetPower: [0, 0, 0, 0, 1], noise: 0 });
    assert.ok(r.testMse >= 1);
  });

  // How fast is for the benchmarks; here, that no P x P object is needed even at P = 1e9.
  test('P up to 1e9 (one spectrum, then each P)', () => {
    const spec = { task: { task: 'parity' as const, d: 35, k: 4, P: 0 }, kappa: 0.01 };
    const Ps = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    const curve = learningCurve(spec, Ps);
    // kt falls with P, so mS = L_k rises; testMse need not fall (the E0 bump where P crosses
    // the number of low-degree modes, 1 + 35 + C(35, 2) = 631 here: also seen in explicit KRR).
    for (let i = 1; i < curve.length; i++) {
      assert.ok(curve[i]!.kt < curve[i - 1]!.kt);
      assert.ok(curve[i]!.mS >= curve[i - 1]!.mS, 'mS = L_k rises with P');
    }
    assert.ok(curve[curve.length - 1]!.testMse < 1e-3);
  });
});

/**
 * "Near 1" from above: at kappa = 0.01 the low degrees are fitted with little ridge, so E0 lifts
 * the unlearned target's error above 1 where P passes their mode count (1.6 at d = 35,
 * P = 1000; explicit KRR gives the same, agreement.test.ts).
 */
describe('k = 4 parity plateau: testMse >= 0.9 and mS < 0.1 for P << C(d, 4)', () => {
  for (const [d, plateau, learned] of [
    [12, [10, 30, 60], 20_000],
    [20, [10, 100, 300], 1e6],
    [35, [10, 100, 1000, 3000], 1e7],
  ] as const) {
    test(`d = ${d}: testMse > 0.9 at P = ${plateau.join(', ')}; learned by P = ${learned}`, () => {
      const spec = { task: { task: 'parity' as const, d, k: 4, P: 0 }, kappa: 0.01 };
      const curve = learningCurve(spec, [...plateau, learned]);
      for (const point of curve.slice(0, -1)) {
        assert.ok(point.testMse > 0.9 && point.mS < 0.1, `P = ${point.P}: ${point.testMse}`);
      }
      assert.ok(curve[curve.length - 1]!.testMse < 0.1);
    });
  }
});
