/**
 * makeDataset: deterministic from the seed, row-addressed (P and PTest never change each other's
 * rows), identical across backends and between the sync and async paths; custom data from files.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeDataset, makeDatasetSync } from '../../src/tasks/dataset.js';
import { writeData } from '../../src/tasks/io/index.js';
import { backends } from '../helpers/backends.js';
import { tempDir } from './tmp.js';

const dir = tempDir();
const parity = { task: 'parity', d: 12, k: 4, P: 50, PTest: 30, seed: 7 } as const;
const singleIndex = {
  task: 'single-index',
  d: 6,
  k: 3,
  P: 40,
  PTest: 20,
  labelNoise: 0.1,
  seed: 3,
} as const;

for (const backend of backends) {
  describe(`makeDataset on the ${backend.name} backend`, () => {
    test('shapes and the normalised spec', async () => {
      const ds = await makeDataset({ task: 'parity', d: 12, k: 4, P: 5 }, { backend });
      assert.deepEqual(ds.spec, {
        task: 'parity',
        d: 12,
        k: 4,
        P: 5,
        PTest: 4000,
        labelNoise: 0,
        seed: 0,
      });
      assert.equal(ds.X.length, 5 * 12);
      assert.equal(ds.y.length, 5);
      assert.equal(ds.XTest.length, 4000 * 12);
      assert.equal(ds.yTest.length, 4000);
    });

    test('parity data: x in {-1, +1}, y the product of the first k coordinates', async () => {
      const ds = await makeDataset(parity, { backend });
      for (let mu = 0; mu < ds.P; mu++) {
        const row = ds.X.subarray(mu * 12, mu * 12 + 12);
        assert.ok(row.every((v) => v === 1 || v === -1));
        assert.equal(ds.y[mu], row[0]! * row[1]! * row[2]! * row[3]!);
      }
    });

    test('same seed, same data; another seed, other data', async () => {
      const a = await makeDataset(singleIndex, { backend });
      const b = await makeDataset(singleIndex, { backend });
      const c = await makeDataset({ ...singleIndex, seed: 4 }, { backend });
      assert.deepEqual(a, b);
      assert.notDeepEqual(a.X, c.X);
    });

    test('P does not change the first rows, PTest does not change the training data', async () => {
      const small = await makeDataset(singleIndex, { backend });
      const large = await makeDataset({ ...singleIndex, P: 100, PTest: 5 }, { backend });
      assert.deepEqual(large.X.subarray(0, small.X.length), small.X);
      assert.deepEqual(large.y.subarray(0, small.P), small.y);
      assert.deepEqual(small.XTest.subarray(0, large.XTest.length), large.XTest);
    });

    test('train and test splits differ', async () => {
      const ds = await makeDataset(parity, { backend });
      assert.notDeepEqual(ds.X.subarray(0, 12 * 30), ds.XTest);
    });

    test('sync and async agree', async () => {
      assert.deepEqual(
        makeDatasetSync(singleIndex, { backend }),
        await makeDataset(singleIndex, { backend }),
      );
    });

    test('the backend may be given by name', async () => {
      assert.deepEqual(
        await makeDataset(parity, { backend: backend.name }),
        await makeDataset(parity, { backend }),
      );
    });

    test('progress covers both splits; P = 0 is allowed', async () => {
      const seen: Array<[number, number]> = [];
      await makeDataset(parity, { backend, onProgress: (done, total) => seen.push([done, total]) });
      assert.ok(seen.length > 0);
      assert.ok(seen.every(([, total]) => total === 80));
      assert.deepEqual(seen[seen.length - 1], [80, 80]);
      const empty = await makeDataset({ ...parity, P: 0 }, { backend });
      assert.equal(empty.X.length, 0);
    });

    test('an aborted signal cancels with ERR_MFL_CANCELLED', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(makeDataset(parity, { backend, signal: controller.signal }), {
        code: 'ERR_MFL_CANCELLED',
      });
    });
  });
}

describe('makeDataset across backends', () => {
  test('every backend generates the same data, bit for bit', async () => {
    const [first, ...rest] = await Promise.all(
      backends.map((backend) => makeDataset(singleIndex, { backend })),
    );
    for (const other of rest) assert.deepEqual(other, first);
  });
});

describe('makeDataset with custom data', () => {
  test('loads train and test files', async () => {
    const source = await makeDataset(parity);
    await writeData(dir, 'train', { X: source.X, y: source.y, P: source.P, d: 12 }, 'csv');
    await writeData(
      dir,
      'test',
      { X: source.XTest, y: source.yTest, P: source.PTest, d: 12 },
      'npy',
    );
    const spec = {
      task: 'custom',
      train: path.join(dir, 'train.csv'),
      test: path.join(dir, 'test'),
    } as const;
    const ds = await makeDataset(spec);
    assert.deepEqual({ ...ds, spec: source.spec }, source);
    assert.deepEqual(ds.spec, spec);
    assert.deepEqual(makeDatasetSync(spec), ds);
  });

  test('without test data PTest is 0', async () => {
    const ds = await makeDataset({ task: 'custom', train: path.join(dir, 'train.csv') });
    assert.equal(ds.PTest, 0);
    assert.equal(ds.XTest.length, 0);
    assert.equal(ds.d, 12);
  });

  test('train and test of different d: the error names both files', async () => {
    const other = await makeDataset({ task: 'parity', d: 5, k: 2, P: 3, PTest: 0 });
    await writeData(path.join(dir, 'other'), 'test', { X: other.X, y: other.y, P: 3, d: 5 }, 'csv');
    const train = path.join(dir, 'train.csv');
    const test = path.join(dir, 'other', 'test.csv');
    await assert.rejects(makeDataset({ task: 'custom', train, test }), {
      code: 'ERR_MFL_FORMAT',
      message: `${test}: test data has d = 5 columns but train data (${train}) has d = 12`,
    });
  });

  test('a bad spec is rejected before any work', async () => {
    await assert.rejects(makeDataset({ task: 'parity', d: 12, k: 13, P: 4 }), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: 'k: must be an integer in [0, d] = [0, 12], got 13',
    });
  });
});
