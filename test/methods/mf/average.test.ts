/**
 * The two averages of docs/mf.md ("Two averages"): the predictor of the time-averaged kernel
 * (solver.average 'kernel') and the mean of each sample's predictor ('predictor'). The kernel
 * gives the same particles either way; with one sample the two averages coincide; and in the
 * kernel limit the kernel average tends to KRR as the sampling window grows, while the step
 * average keeps the bias of random features at any window.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MfKernelConfig } from '../../../src/backend/types.js';
import { meanField } from '../../../src/methods/mf/index.js';
import { mfSampleCount } from '../../../src/methods/mf/layout.js';
import { kernelSpecOf } from '../../../src/methods/nngp/kernel.js';
import { fitKrr } from '../../../src/methods/nngp/krr.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { backends, nativeBackend } from '../../helpers/backends.js';
import { relativeError, relativeL2 } from '../../helpers/compare.js';
import { mfData, mfKernelConfig, runMf, skipUnlessMf } from '../../helpers/mf.js';

describe('the kernel average in the kernel', () => {
  for (const backend of backends) {
    const skip = skipUnlessMf(backend);
    for (const solve of ['cholesky', 'woodbury'] as const) {
      const label = `${backend.name}, ${solve}`;

      test(`one sample: the kernel average is that sample's predictor (${label})`, { skip }, () => {
        // burnIn = steps - 1: the only sample is the last step's (S = 1, Kbar = K_t).
        const config = mfKernelConfig({ solve, steps: 20, burnIn: 19, ardEma: 0.05 });
        assert.equal(mfSampleCount(config), 1);
        const { acc, results } = runMf(backend, config, mfData(config));
        assert.equal(results[0]!.failure, 'none');
        assert.equal(acc.nSamples[0], 1);
        const train = relativeError(acc.kernelFTrain, acc.sumFTrain);
        const testRows = relativeError(acc.kernelFTest, acc.sumFTest);
        assert.ok(train < 1e-12 && testRows < 1e-12, `train ${train}, test ${testRows}`);
      });

      test(`'predictor' moves the particles exactly as 'kernel' (${label})`, { skip }, () => {
        const kernel = mfKernelConfig({ solve, ardEma: 0.05 });
        const step: MfKernelConfig = { ...kernel, average: 'predictor' };
        const a = runMf(backend, kernel, mfData(kernel));
        const b = runMf(backend, step, mfData(step));
        assert.deepEqual(b.state, a.state);
        for (const key of Object.keys(a.acc) as (keyof typeof a.acc)[]) {
          if (key === 'sampleW' || key === 'kernelFTrain' || key === 'kernelFTest') {
            assert.equal(b.acc[key].length, 0, `${key} is empty for 'predictor'`);
          } else {
            assert.deepEqual(b.acc[key], a.acc[key], key);
          }
        }
        // The stored samples are the particles of the sample steps: the first is the state at
        // burnIn, the last the one before the final sample step's update.
        assert.equal(a.acc.sampleW.length, mfSampleCount(kernel) * kernel.M * kernel.d);
        assert.ok(a.acc.sampleW.every(Number.isFinite));
      });

      test(`a run cut at any step gives the same kernel average (${label})`, { skip }, () => {
        const config = mfKernelConfig({ solve });
        const data = mfData(config);
        const whole = runMf(backend, config, data);
        const cut = runMf(backend, config, data, [0, 23, 41, config.steps]);
        assert.deepEqual(cut.acc.kernelFTest, whole.acc.kernelFTest);
        assert.deepEqual(cut.acc.kernelFTrain, whole.acc.kernelFTrain);
        // Only the call that reaches the last step forms it.
        const partial = runMf(backend, config, data, [0, 41]);
        assert.ok(partial.acc.kernelFTest.every((v) => v === 0));
      });
    }
  }
});

describe('the kernel limit: the kernel average tends to KRR, the step average does not', () => {
  // Parity d = 8, k = 2, P = 60, 200 test points, kappa = 0.05, N = 1e8, M = 64 particles, dt =
  // 0.05, burn-in 200 steps, 200 samples. The particles sample the prior of the Euler scheme,
  // whose variance is 2 / (2 - dt) (docs/mf.md, step 8), so the reference is KRR with that
  // sigma_w^2 (it differs from sigma_w = 1's by 0.006-0.008). Relative L2 distance of the test
  // predictions to it, measured (seeds 1, 2, 3): kernel average 0.080, 0.112, 0.127 after 400
  // steps, 0.030, 0.031, 0.034 after 6400 (and 0.043, 0.044, 0.038 after 1600); step average
  // 0.147, 0.129, 0.240 after 400 and 0.143, 0.176, 0.197 after 6400.
  const dt = 0.05;
  const kappa = 0.05;
  const backend = nativeBackend() ?? backends[0]!;
  const run = (seed: number, steps: number, average: 'kernel' | 'predictor') =>
    meanField(
      {
        task: { task: 'parity', d: 8, k: 2, P: 60, PTest: 200, seed },
        network: { N: 1e8 },
        solver: { kappa, particles: 64, steps, dt, burnIn: 200, seed, average },
      },
      { backend },
    );

  test(`seed 1: 400 and 6400 steps (${backend.name})`, async (t) => {
    const data = await makeDataset(
      { task: 'parity', d: 8, k: 2, P: 60, PTest: 200, seed: 1 },
      { backend },
    );
    const sigmaW = Math.sqrt(2 / (2 - dt));
    const kernel = kernelSpecOf({ activation: 'relu', bias: false, sigmaW, sigmaB: 1 }, 8);
    const reference = fitKrr(data.X, data.y, kernel, kappa, backend).predict(data.XTest);
    const distance: Record<string, number> = {};
    for (const steps of [400, 6400]) {
      for (const average of ['kernel', 'predictor'] as const) {
        const r = await run(1, steps, average);
        distance[`${average} ${steps}`] = relativeL2(r.predictions(), reference);
        if (average === 'kernel') {
          // The result reports the step average beside it, from the same particles.
          const step = await run(1, steps, 'predictor');
          assert.equal(r.stepAverage.testMse, step.testMse);
          assert.equal(r.stepAverage.mS, step.mS);
        }
      }
    }
    t.diagnostic(JSON.stringify(distance));
    // Margins: the measured values over three seeds, with room for the backend's rounding.
    assert.ok(distance['kernel 6400']! < 0.05, 'kernel average far from KRR after 6400 steps');
    assert.ok(
      distance['kernel 6400']! < distance['kernel 400']! / 2,
      'kernel average did not fall',
    );
    assert.ok(distance['predictor 6400']! > 0.1, 'the step average lost its bias');
    assert.ok(distance['predictor 6400']! > 3 * distance['kernel 6400']!);
  });
});

test('a kernel average over the memory limit is refused, naming the step average that fits', async () => {
  // P = 2000 with the Woodbury solve: the averaged kernel alone is a 32 MB P x P matrix, the
  // step average's run about 3 MB.
  const spec = {
    task: { task: 'parity' as const, d: 10, k: 2, P: 2000, PTest: 10, seed: 1 },
    network: { N: 64 },
    solver: { kappa: 0.05, particles: 64, steps: 10, memoryLimitBytes: 10_000_000 },
  };
  await assert.rejects(
    meanField(spec, { backend: backends[0] }),
    /solver\.particles: must be .*even 1 particle does not fit: reduce P; solver\.average 'predictor' \(--average predictor\) fits with 64 particles/,
  );
  const step = await meanField(
    { ...spec, solver: { ...spec.solver, average: 'predictor' as const } },
    { backend: backends[0] },
  );
  assert.equal(step.spec.solver.average, 'predictor');
});
