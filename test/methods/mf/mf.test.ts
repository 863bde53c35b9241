/**
 * The Rao-Blackwellised MF solver (docs/mf.md): the NNGP limit (N = 1e8, gamma = 1/2: fbar equals
 * kernel ridge regression's posterior mean within Monte Carlo error), MF-ARD with rho frozen
 * (ema 0) equal to plain MF bit for bit, chunk invariance, backend agreement, and the spec.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MflRangeError } from '../../../src/errors.js';
import {
  createAccumulators,
  initialState,
  meanField,
  mfConfig,
  mfRun,
  parseMfSpec,
} from '../../../src/methods/mf/index.js';
import type { MfData } from '../../../src/methods/mf/index.js';
import { kernelSpecOf } from '../../../src/methods/nngp/kernel.js';
import { fitKrr } from '../../../src/methods/nngp/krr.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { backends, jsBackend } from '../../helpers/backends.js';
import { relativeL2 } from '../../helpers/compare.js';

describe('meanField: NNGP limit', () => {
  // d = 8, k = 2, P = 60, M = 1024, N = 1e8, gamma = 1/2, kappa = 0.05, 200 steps of dt = 0.05,
  // fbar (the kernel average) over 40 samples. Measured relative L2 error of fbar on 200 test
  // points against KRR: 0.019, 0.020, 0.023, 0.028 (data/solver seeds 1-4; the step average's
  // 0.017, 0.019, 0.023, 0.023; the Euler bias of the prior variance, 2 / (2 - dt) = 1.026, is
  // most of it). Tolerance 0.05; training-set error measured <= 0.014.
  const task = { task: 'parity' as const, d: 8, k: 2, P: 60, PTest: 200, seed: 1 };
  const kappa = 0.05;
  const runs = new Map<string, Float64Array>();
  for (const backend of backends) {
    test(`fbar equals the KRR posterior mean within Monte Carlo error (${backend.name})`, async () => {
      const data = await makeDataset(task, { backend });
      const kernel = kernelSpecOf(
        { activation: 'relu', bias: false, sigmaW: 1, sigmaB: 1 },
        task.d,
      );
      const fit = fitKrr(data.X, data.y, kernel, kappa, backend);
      const reference = fit.predict(data.XTest);
      const result = await meanField(
        {
          task,
          network: { N: 1e8 },
          solver: {
            kappa,
            particles: 1024,
            steps: 200,
            dt: 0.05,
            burnIn: 0,
            sampleEvery: 5,
            seed: 1,
          },
        },
        { backend },
      );
      const fbar = result.predictions();
      runs.set(backend.name, fbar);
      assert.ok(relativeL2(fbar, reference) < 0.05, `test error ${relativeL2(fbar, reference)}`);
      const train = relativeL2(result.predictions('train'), fit.trainPredictions);
      assert.ok(train < 0.03, `train error ${train}`);
      assert.equal(result.method, 'mf');
      assert.equal(result.rho, null);
      // q stays at the prior (1 up to the Euler bias 2 / (2 - dt) and Monte Carlo error).
      for (const qj of result.q) assert.ok(Math.abs(qj - 1.026) < 0.05, `q_j ${qj}`);
    });
  }
  test('backends agree to BLAS rounding', { skip: backends.length < 2 }, () => {
    const [a, b] = [...runs.values()];
    if (!a || !b) return;
    assert.ok(relativeL2(a, b) < 1e-9);
  });
});

describe('meanField: MF-ARD', () => {
  const base = {
    task: { task: 'parity' as const, d: 8, k: 2, P: 40, PTest: 100, seed: 2 },
    network: { N: 64 },
  };
  const solver = { kappa: 0.05, particles: 128, steps: 60, dt: 0.01, seed: 3 };

  test('rho frozen at 1/sigmaW^2 (ema 0) reproduces plain MF exactly', async () => {
    const plain = await meanField({ ...base, solver }, { backend: jsBackend });
    const frozen = await meanField(
      { ...base, solver: { ...solver, ard: { alpha0: 2, ema: 0 } } },
      { backend: jsBackend },
    );
    assert.equal(frozen.method, 'mf-ard');
    assert.deepEqual(frozen.rho, new Array(8).fill(1));
    assert.deepEqual(frozen.predictions(), plain.predictions());
    assert.deepEqual(frozen.predictions('train'), plain.predictions('train'));
    assert.deepEqual(frozen.q, plain.q);
    assert.deepEqual(frozen.series, plain.series);
    assert.equal(frozen.testMse, plain.testMse);
    assert.equal(frozen.mS, plain.mS);
  });

  test('rho moves with ema > 0', async () => {
    const ard = await meanField(
      { ...base, solver: { ...solver, ard: { ema: 0.5 } } },
      { backend: jsBackend },
    );
    assert.ok(ard.rho !== null);
    assert.ok(ard.rho.some((r) => Math.abs(r - 1) > 1e-6));
  });
});

describe('mfRun', () => {
  // PTest = 600 > 512 also exercises a partial last chunk of the test-set predictor.
  for (const backend of backends) {
    test(`chunking changes nothing (${backend.name})`, async () => {
      const spec = parseMfSpec({
        task: { task: 'parity', d: 6, k: 2, P: 30, PTest: 600, seed: 1 },
        network: { N: 32 },
        solver: { kappa: 0.1, particles: 64, steps: 40, burnIn: 10, seed: 5 },
      });
      const dataset = await makeDataset(spec.task, { backend: backend });
      const data: MfData = {
        X: dataset.X,
        y: dataset.y,
        XTest: dataset.XTest,
        yTest: dataset.yTest,
        targetTest: null,
      };
      const config = mfConfig(spec, 'prior', { ...dataset, nRelevant: 2 });
      const whole = initialState(config, backend);
      const accWhole = createAccumulators(config);
      mfRun(backend, config, data, whole, accWhole, 0, 40);
      const parts = initialState(config, backend);
      const accParts = createAccumulators(config);
      mfRun(backend, config, data, parts, accParts, 0, 17);
      mfRun(backend, config, data, parts, accParts, 17, 40);
      assert.deepEqual(parts.W, whole.W);
      assert.deepEqual(accParts.sumFTest, accWhole.sumFTest);
    });
  }
});

describe('parseMfSpec', () => {
  const input = {
    task: { task: 'parity', d: 12, k: 4, P: 200 },
    network: { N: 1e8 },
    solver: { kappa: 0.01, steps: 1000, ard: true },
  };
  test('defaults, beta0 = alpha0 sigmaW^2, idempotent, N beyond the sgld width cap', () => {
    const spec = parseMfSpec(input);
    assert.equal(spec.solver.particles, 2048);
    assert.equal(spec.solver.dt, 0.0025);
    assert.equal(spec.solver.burnIn, 500);
    assert.deepEqual(spec.solver.ard, { alpha0: 1, beta0: 1, ema: 0.01, precisions: 'coordinate' });
    assert.deepEqual(parseMfSpec(spec), spec);
    const small = parseMfSpec({ ...input, network: { N: 16, sigmaW: 2 } });
    assert.equal(small.solver.particles, 256);
    assert.equal(small.solver.ard?.beta0, 4);
    assert.equal(parseMfSpec({ ...input, solver: { kappa: 1, steps: 10 } }).solver.ard, null);
    const defaults = parseMfSpec({ ...input, solver: { kappa: 1 } }).solver;
    assert.equal(defaults.steps, 8000);
    assert.equal(defaults.burnIn, 4000);
  });
  test('rejects burnIn >= steps naming the field', () => {
    assert.throws(
      () => parseMfSpec({ ...input, solver: { kappa: 1, steps: 10, burnIn: 10 } }),
      (err: Error) => err instanceof MflRangeError && err.message.includes('solver.burnIn'),
    );
  });
});
