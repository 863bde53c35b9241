/**
 * nngp() end to end on every backend: the krr result (observables, predictions, variance, custom
 * data, the kappa-worded not-PD error, the memory refusal naming P), the eigen result (fields,
 * stated approximation, single-index), and cancellation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { learningCurve, nngp } from '../../../src/methods/nngp/run.js';
import type { EigenResult, KrrResult } from '../../../src/methods/nngp/run.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { writeData } from '../../../src/tasks/io/index.js';
import { backends } from '../../helpers/backends.js';
import { tempDir } from '../../tasks/tmp.js';

const dir = tempDir('mfl-nngp-run-');
const task = { task: 'parity', d: 8, k: 2, P: 120, PTest: 300, seed: 3 } as const;

for (const backend of backends) {
  describe(`nngp krr on ${backend.name}`, () => {
    test('observables: testMse, trainMse, mS from the predictions; JSON without arrays', async () => {
      const r = (await nngp({ task, kappa: 0.05, variance: true }, { backend })) as KrrResult;
      assert.equal(r.method, 'krr');
      assert.equal(r.backend, backend.name);
      assert.equal(r.ridge, 0.05);
      assert.deepEqual(r.kernel, { kernel: 'relu', d: 8, sigmaW: 1, sigmaB: 1, bias: false });
      const data = await makeDataset(task, { backend });
      const f = r.predictions();
      assert.equal(f.length, 300);
      let mse = 0;
      let mS = 0;
      for (let i = 0; i < 300; i++) {
        mse += (f[i]! - data.yTest[i]!) ** 2;
        mS += f[i]! * data.XTest[i * 8]! * data.XTest[i * 8 + 1]!;
      }
      assert.ok(Math.abs(r.testMse! - mse / 300) < 1e-12);
      assert.ok(Math.abs(r.mS! - mS / 300) < 1e-12);
      const train = r.predictions('train');
      let trainMse = 0;
      for (let i = 0; i < 120; i++) trainMse += (train[i]! - data.y[i]!) ** 2;
      assert.ok(Math.abs(r.trainMse! - trainMse / 120) < 1e-12);
      const variance = r.variance();
      assert.ok(variance && variance.length === 300 && variance.every((v) => v >= 0));
      assert.ok(r.meanVariance! > 0);
      const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
      assert.equal(json.predictions, undefined);
      assert.equal(json.variance, undefined);
      assert.equal(json.testMse, r.testMse);
    });

    test('custom data: mS null; the same numbers as the generated task', async () => {
      const data = await makeDataset(task, { backend });
      await writeData(dir, 'train', { X: data.X, y: data.y, P: 120, d: 8 }, 'npy');
      await writeData(dir, 'test', { X: data.XTest, y: data.yTest, P: 300, d: 8 }, 'csv');
      const custom = await nngp(
        {
          task: {
            task: 'custom',
            train: path.join(dir, 'train'),
            test: path.join(dir, 'test.csv'),
          },
          kappa: 0.05,
        },
        { backend },
      );
      const generated = await nngp({ task, kappa: 0.05 }, { backend });
      assert.equal(custom.mS, null);
      assert.equal(custom.testMse, generated.testMse);
      assert.equal(custom.trainMse, generated.trainMse);
    });

    test('loss "mean": ridge = P kappa', async () => {
      const r = await nngp({ task, kappa: 0.001, loss: 'mean' }, { backend });
      assert.ok(Math.abs(r.ridge - 0.12) < 1e-15);
      assert.equal(r.kappaEffective, r.ridge);
    });

    test('not positive definite: the message names kappa and the smallest kappa that works', async () => {
      const file = path.join(dir, 'same.csv');
      fs.writeFileSync(file, `x1,x2,y\n${'1,1,1\n'.repeat(20)}`);
      await assert.rejects(
        nngp(
          {
            task: { task: 'custom', train: file },
            kappa: 1e-300,
            network: { activation: 'linear' },
          },
          { backend },
        ),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'ERR_MFL_OUT_OF_RANGE');
          assert.match(
            err.message,
            /^kappa: K \+ ridge I is not positive definite at ridge = 1e-300/,
          );
          assert.match(
            err.message,
            /the smallest ridge that works is about 1e-12, i\.e\. kappa >= 1e-12/,
          );
          return true;
        },
      );
    });

    test('memory: refused before allocating, naming P', async () => {
      await assert.rejects(
        nngp({ task: { ...task, P: 5000 }, kappa: 0.1, memoryLimitBytes: 1e6 }, { backend }),
        {
          code: 'ERR_MFL_OUT_OF_RANGE',
          message: /^task\.P: must be at most 353 for kernel ridge regression/,
        },
      );
    });
  });
}

describe('nngp eigen', () => {
  test('parity: fields, exact spectrum, mS = L_k, no backend', async () => {
    const r = (await nngp({
      task: { ...task, d: 12, k: 4, P: 400 },
      kappa: 0.01,
      method: 'eigen',
    })) as EigenResult;
    assert.equal(r.method, 'eigen');
    assert.equal(r.backend, null);
    assert.equal(r.inputs, 'hypercube');
    assert.equal(r.targetDegree, 4);
    assert.equal(r.spectrum.length, 13);
    assert.equal(r.mS, r.spectrum[4]!.learnability);
    assert.match(r.approximation, /eigenlearning.*exact hypercube spectrum/);
    const [point] = learningCurve({ task: { ...task, d: 12, k: 4 }, kappa: 0.01 }, [400]);
    assert.equal(point!.testMse, r.testMse);
    assert.ok(r.seconds < 1);
  });

  test('single-index: Gaussian spectrum, the approximation stated', async () => {
    const r = (await nngp({
      task: { task: 'single-index', d: 18, k: 2, P: 500 },
      kappa: 0.01,
      method: 'eigen',
    })) as EigenResult;
    assert.equal(r.inputs, 'gaussian');
    assert.match(r.approximation, /Gaussian inputs at leading order in 1\/d/);
    assert.ok(r.mS! > 0.5 && r.mS! < 1);
    assert.ok(r.spectrum.length > 3);
  });

  test('P = 0: the prior mean (testMse 1 + noise^2, trainMse null)', async () => {
    const r = await nngp({
      task: { ...task, P: 0, labelNoise: 0.5 },
      kappa: 0.01,
      method: 'eigen',
    });
    assert.equal(r.testMse, 1.25);
    assert.equal(r.trainMse, null);
  });
});

test('an aborted signal cancels', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(nngp({ task, kappa: 0.05 }, { signal: controller.signal }), {
    code: 'ERR_MFL_CANCELLED',
  });
});

test('krr with P = 0 predicts the prior mean 0 (testMse = E y^2, trainMse null)', async () => {
  const r = (await nngp({ task: { ...task, P: 0 }, kappa: 0.1, loss: 'mean' })) as KrrResult;
  assert.equal(r.trainMse, null);
  assert.ok(r.predictions().every((v) => v === 0));
  assert.equal(r.testMse, 1);
});

describe('learningCurve checks Ps', () => {
  const spec = { task: { ...task, P: 0 }, kappa: 0.01 };
  test('Ps that is not an array is a type error naming Ps', () => {
    for (const Ps of [5, 'x', null, { length: 1, 0: 3 }]) {
      assert.throws(() => learningCurve(spec, Ps as never), {
        name: 'MflTypeError',
        code: 'ERR_MFL_INVALID_TYPE',
        message: /^Ps: expected an array of integers >= 0, got /,
      });
    }
  });

  test('a hole or a non-number in Ps names its index', () => {
    // eslint-disable-next-line no-sparse-arrays
    assert.throws(() => learningCurve(spec, [10, , 30] as never), {
      name: 'MflTypeError',
      message: 'Ps[1]: expected an integer >= 0, got undefined',
    });
    assert.throws(() => learningCurve(spec, [10, '20'] as never), {
      name: 'MflTypeError',
      message: 'Ps[1]: expected an integer >= 0, got "20"',
    });
    assert.throws(() => learningCurve(spec, [10, -1]), {
      name: 'MflRangeError',
      message: 'Ps[1]: must be an integer >= 0, got -1',
    });
  });
});
