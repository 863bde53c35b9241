/**
 * loadData / writeData: path forms (.csv, .npy prefix, either half of a pair), shape checks and
 * errors naming the files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  dataFiles,
  loadData,
  loadDataSync,
  resolveDataPath,
  writeData,
  writeNpy,
} from '../../src/tasks/io/index.js';
import { writeCsv } from '../../src/tasks/io/csv.js';
import { TestRng } from '../helpers/random.js';
import { tempDir } from './tmp.js';

const dir = tempDir();
const rng = new TestRng(21);
const data = { X: rng.gaussian(6 * 4), y: rng.gaussian(6), P: 6, d: 4 };

describe('writeData', () => {
  test('csv writes DIR/split.csv, creating DIR', async () => {
    const out = path.join(dir, 'new', 'nested');
    const files = await writeData(out, 'train', data, 'csv');
    assert.deepEqual(files, [path.join(out, 'train.csv')]);
    assert.equal(fs.readFileSync(files[0]!, 'utf8').split('\n')[0], 'x1,x2,x3,x4,y');
  });

  test('npy writes DIR/split_X.npy and DIR/split_y.npy', async () => {
    const files = await writeData(dir, 'test', data, 'npy');
    assert.deepEqual(files, dataFiles(dir, 'test', 'npy'));
    assert.deepEqual(files, [path.join(dir, 'test_X.npy'), path.join(dir, 'test_y.npy')]);
  });

  test('a file where the directory should be is ERR_MFL_IO', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'x');
    await assert.rejects(writeData(blocker, 'train', data, 'csv'), {
      code: 'ERR_MFL_IO',
      message: `cannot create directory ${blocker}: not a directory`,
    });
  });
});

describe('loadData', () => {
  test('reads a .csv file', async () => {
    await writeData(dir, 'train', data, 'csv');
    assert.deepEqual(await loadData(path.join(dir, 'train.csv')), data);
  });

  test('reads an npy pair by prefix or by either half, sync and async', async () => {
    await writeData(dir, 'train', data, 'npy');
    const prefix = path.join(dir, 'train');
    for (const p of [prefix, `${prefix}_X.npy`, `${prefix}_y.npy`]) {
      assert.deepEqual(await loadData(p), data, p);
      assert.deepEqual(loadDataSync(p), data, p);
    }
  });

  test('a prefix with only a .csv file loads the csv', async () => {
    const sub = path.join(dir, 'csvonly');
    await writeData(sub, 'train', data, 'csv');
    assert.deepEqual(resolveDataPath(path.join(sub, 'train')), {
      format: 'csv',
      file: path.join(sub, 'train.csv'),
    });
    assert.deepEqual(await loadData(path.join(sub, 'train')), data);
  });

  test('dir/X.npy + dir/y.npy', async () => {
    const sub = path.join(dir, 'plain');
    fs.mkdirSync(sub);
    await writeNpy(path.join(sub, 'X.npy'), data.X, [6, 4]);
    await writeNpy(path.join(sub, 'y.npy'), data.y, [6, 1]);
    assert.deepEqual(await loadData(path.join(sub, 'X.npy')), data);
  });

  test('a missing prefix is ERR_MFL_IO naming what was looked for', async () => {
    const p = path.join(dir, 'nothing');
    await assert.rejects(loadData(p), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_MFL_IO');
      assert.ok(err.message.includes(`${p}_X.npy + ${p}_y.npy and ${p}.csv`), err.message);
      return true;
    });
  });

  test('a missing half of the pair is ERR_MFL_IO naming it', async () => {
    const p = path.join(dir, 'half');
    await writeNpy(`${p}_X.npy`, data.X, [6, 4]);
    await assert.rejects(loadData(p), {
      code: 'ERR_MFL_IO',
      message: `cannot read ${p}_y.npy: no such file or directory`,
    });
  });

  test('mismatched X and y name both files', async () => {
    const p = path.join(dir, 'mismatch');
    await writeNpy(`${p}_X.npy`, data.X, [6, 4]);
    await writeNpy(`${p}_y.npy`, data.y.subarray(0, 5), [5]);
    await assert.rejects(loadData(p), {
      code: 'ERR_MFL_FORMAT',
      message: `${p}_y.npy: y has 5 values but X (${p}_X.npy) has 6 rows`,
    });
  });

  test('X must be 2-D and y a column', async () => {
    const p = path.join(dir, 'shapes');
    await writeNpy(`${p}_X.npy`, data.X, [24]);
    await writeNpy(`${p}_y.npy`, data.y, [6]);
    await assert.rejects(loadData(p), {
      code: 'ERR_MFL_FORMAT',
      message: /X must be a 2-D array \(P, d\), got shape \(24,\)/,
    });
    await writeNpy(`${p}_X.npy`, data.X, [6, 4]);
    await writeNpy(`${p}_y.npy`, data.X, [6, 4]);
    await assert.rejects(loadData(p), {
      code: 'ERR_MFL_FORMAT',
      message: /y must be 1-D \(P,\) or \(P, 1\), got shape \(6, 4\)/,
    });
  });

  test('non-finite values are rejected with their position', async () => {
    const p = path.join(dir, 'nan');
    const X = Float64Array.from(data.X);
    X[9] = NaN;
    await writeNpy(`${p}_X.npy`, X, [6, 4]);
    await writeNpy(`${p}_y.npy`, data.y, [6]);
    await assert.rejects(loadData(p), {
      code: 'ERR_MFL_FORMAT',
      message: `${p}_X.npy: X[2, 1] is NaN (data must be finite)`,
    });
  });

  test('unknown extensions and lone .npy names are ERR_MFL_FORMAT', async () => {
    const txt = path.join(dir, 'data.txt');
    fs.writeFileSync(txt, 'x1,y\n1,2\n');
    await assert.rejects(loadData(txt), { code: 'ERR_MFL_FORMAT', message: /unknown data format/ });
    await assert.rejects(loadData(path.join(dir, 'lone.npy')), {
      code: 'ERR_MFL_FORMAT',
      message: /PREFIX_X\.npy or PREFIX_y\.npy/,
    });
  });
});

describe('file functions check their arguments before touching the disk', () => {
  const type = (message: string | RegExp) => ({
    name: 'MflTypeError',
    code: 'ERR_MFL_INVALID_TYPE',
    message,
  });

  test('a path that is not a non-empty string names the argument', async () => {
    for (const file of [42, null, '', Symbol('x')]) {
      await assert.rejects(loadData(file as never), type(/^file: expected a non-empty string/));
      assert.throws(() => loadDataSync(file as never), type(/^file: /));
      await assert.rejects(writeData(file as never, 'train', data, 'csv'), type(/^dir: /));
    }
    await assert.rejects(
      loadData(42 as never),
      type('file: expected a non-empty string (a path), got 42'),
    );
  });

  test('writeData: split and format must be known names', async () => {
    const out = path.join(dir, 'bad-args');
    await assert.rejects(
      writeData(out, 'train', data, 21 as never),
      type('format: expected one of "csv", "npy", got 21'),
    );
    await assert.rejects(writeData(out, 'train', data, 'npz' as never), {
      name: 'MflRangeError',
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: 'format: must be one of "csv", "npy", got "npz"',
    });
    await assert.rejects(writeData(out, 'val' as never, data, 'csv'), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^split: /,
    });
    assert.equal(fs.existsSync(out), false);
  });

  test('data whose X, y, P and d disagree is refused, not written', async () => {
    const out = path.join(dir, 'bad-data');
    for (const [bad, field] of [
      [{ ...data, P: 7 }, 'data.X'],
      [{ ...data, y: data.y.subarray(0, 5) }, 'data.y'],
      [{ ...data, d: 0 }, 'data.d'],
      [{ ...data, X: Array.from(data.X) }, 'data.X'],
    ] as const) {
      for (const format of ['csv', 'npy'] as const) {
        await assert.rejects(writeData(out, 'train', bad as never, format), {
          message: new RegExp(`^${field.replace('.', '\\.')}: `),
        });
      }
    }
    await assert.rejects(
      writeCsv(path.join(out, 'a.csv'), { ...data, P: 7 }),
      type(
        /^data\.X: expected a Float64Array of length 28 \(P\*d = 7\*4\), got Float64Array of length 24$/,
      ),
    );
    assert.equal(fs.existsSync(out), false);
  });

  test('writeNpy: a shape that does not fit the values names data, a malformed one names shape', async () => {
    const file = path.join(dir, 'shape_X.npy');
    await assert.rejects(
      writeNpy(file, new Float64Array(5), [2, 3]),
      type(
        'data: expected a Float64Array of length 6 (the product of shape (2, 3)), got Float64Array of length 5',
      ),
    );
    await assert.rejects(
      writeNpy(file, new Float64Array(6), [1, 2, 3]),
      type(/^shape: expected an array of 1 or 2 integers/),
    );
    await assert.rejects(writeNpy(file, new Float64Array(6), 6 as never), type(/^shape: /));
    assert.equal(fs.existsSync(file), false);
  });
});
