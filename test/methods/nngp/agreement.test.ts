/**
 * Theory against simulation of the theory: the eigenlearning curve (method "eigen", no P x P
 * solve) against explicit kernel ridge regression averaged over 20 datasets (THEORY.md
 * section 5). For parity the KRR test error of each dataset is exact: the predictor is evaluated
 * on all 2^d points of the hypercube, so the only noise is the spread over datasets.
 *
 * Measured (native, relu, 20 datasets; ratio = eigen / mean KRR): within 5% at kappa = 0.05 and
 * 0.1 for d = 10..14 and P = 100..4000; at kappa = 0.01 the theory underestimates by up to 15%
 * (d = 10, P = 1000), 12% (d = 12), 8% (d = 14), shrinking with d. Likely cause (not proven):
 * with little ridge the test error is a small residual of near-interpolation, where the
 * finite-size corrections to eigenlearning are largest (its derivation treats the eigenfunctions
 * as Gaussian features; Walsh functions are +-1). So the 10% check runs at kappa = 0.05 (full
 * table: src/methods/nngp/README.md).
 *
 * With the native backend: d = 12 at P = 100, 400, 1600 and d = 10 at P = 4000 (about a minute).
 * js only: a reduced version, d = 10 at P = 100, 400 and 1000.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../../../src/backend/types.js';
import { fitKrr } from '../../../src/methods/nngp/krr.js';
import { kernelSpecOf } from '../../../src/methods/nngp/kernel.js';
import { learningCurve, nngp } from '../../../src/methods/nngp/run.js';
import { parseNngpSpec } from '../../../src/methods/nngp/spec.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { jsBackend, nativeBackend } from '../../helpers/backends.js';
import { hypercube, meanAndError } from './helpers.js';

const DATASETS = 20;
const TOLERANCE = 0.1;
const KAPPA = 0.05;
const native = nativeBackend();
const backend: Backend = native ?? jsBackend;
const plan: readonly (readonly [number, readonly number[]])[] = native
  ? [
      [12, [100, 400, 1600]],
      [10, [4000]],
    ]
  : [[10, [100, 400, 1000]]];

/** Mean over datasets of the exact population test error of KRR on parity(d, k). */
async function krrPopulationError(d: number, k: number, P: number, kappa: number) {
  const spec = parseNngpSpec({ task: { task: 'parity', d, k, P }, kappa });
  const kernel = kernelSpecOf(spec.network, d);
  const cube = hypercube(d, k);
  const errors: number[] = [];
  for (let seed = 0; seed < DATASETS; seed++) {
    const data = await makeDataset({ task: 'parity', d, k, P, PTest: 0, seed }, { backend });
    const fit = fitKrr(data.X, data.y, kernel, kappa, backend);
    const f = fit.predict(cube.X);
    let sum = 0;
    for (let i = 0; i < f.length; i++) sum += (f[i]! - cube.target[i]!) ** 2;
    errors.push(sum / f.length);
  }
  return meanAndError(errors);
}

describe(`eigenlearning vs KRR averaged over ${DATASETS} datasets (parity, k = 2, kappa = ${KAPPA}, ${backend.name})`, () => {
  for (const [d, Ps] of plan) {
    const curve = learningCurve({ task: { task: 'parity', d, k: 2, P: 0 }, kappa: KAPPA }, Ps);
    for (const [i, P] of Ps.entries()) {
      test(`d = ${d}, P = ${P}: within 10%`, async () => {
        const krr = await krrPopulationError(d, 2, P, KAPPA);
        const theory = curve[i]!.testMse;
        const ratio = theory / krr.mean;
        assert.ok(
          Math.abs(ratio - 1) < TOLERANCE,
          `eigen ${theory} vs KRR ${krr.mean} +- ${krr.se} (ratio ${ratio.toFixed(3)})`,
        );
      });
    }
  }
});

describe('k = 4 plateau, eigen and KRR (d = 35, kappa = 0.01: P << C(35, 4) = 52360)', () => {
  for (const P of [300, 1000]) {
    test(`P = ${P}: both near or above 1 (the E0 bump), within 10%`, async () => {
      const errors: number[] = [];
      const mS: number[] = [];
      for (let seed = 0; seed < 8; seed++) {
        const r = await nngp(
          { task: { task: 'parity', d: 35, k: 4, P, PTest: 2000, seed }, kappa: 0.01 },
          { backend },
        );
        errors.push(r.testMse ?? NaN);
        mS.push(r.mS ?? NaN);
      }
      const krr = meanAndError(errors);
      const theory = await nngp({
        task: { task: 'parity', d: 35, k: 4, P },
        kappa: 0.01,
        method: 'eigen',
      });
      assert.ok(krr.mean > 0.95 && (theory.testMse ?? 0) > 0.95);
      assert.ok(Math.abs((theory.testMse ?? 0) / krr.mean - 1) < TOLERANCE);
      assert.ok(Math.abs(meanAndError(mS).mean) < 0.05 && (theory.mS ?? 1) < 0.05);
    });
  }
});
