/**
 * .npy reading and writing: every supported dtype and format version, Fortran order, and a clear
 * ERR_MFL_FORMAT naming the file for anything else.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encodeNpy, parseNpy, readNpy, readNpySync, writeNpy } from '../../src/tasks/io/npy.js';
import { TestRng } from '../helpers/random.js';
import { DTYPES, encode, headerDict, npyFile } from './npyBytes.js';
import { tempDir } from './tmp.js';

const dir = tempDir();

/** Values every dtype represents exactly (booleans: 0/1). */
function valuesFor(descr: string): number[] {
  if (descr.endsWith('b1')) return [1, 0, 1, 1, 0, 0];
  if (descr.includes('u')) return [0, 1, 2, 7, 100, 255];
  if (descr.endsWith('f4')) return [0.5, -1.25, 3, 1024, -0, 2 ** -10];
  return [0, -1, 2, -7, 100, 127];
}

function formatErrorOf(buf: Buffer): string {
  try {
    parseNpy(buf, 'bad.npy');
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ERR_MFL_FORMAT');
    return (err as Error).message;
  }
  assert.fail('expected a format error');
}

describe('npy round trip', () => {
  test('float64 write then read is exact, 1-D and 2-D', async () => {
    const rng = new TestRng(11);
    const X = rng.gaussian(7 * 3);
    const y = rng.gaussian(7);
    await writeNpy(path.join(dir, 'X.npy'), X, [7, 3]);
    await writeNpy(path.join(dir, 'y.npy'), y, [7]);
    assert.deepEqual(await readNpy(path.join(dir, 'X.npy')), { shape: [7, 3], data: X });
    assert.deepEqual(readNpySync(path.join(dir, 'y.npy')), { shape: [7], data: y });
  });

  test('written header is version 1.0, <f8, C order, data 64-byte aligned', () => {
    const [header, data] = encodeNpy(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    assert.ok(header && data);
    assert.equal(header.length % 64, 0);
    assert.deepEqual([...header.subarray(6, 8)], [1, 0]);
    const text = Buffer.from(header.subarray(10)).toString('latin1');
    assert.match(text, /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  });

  test('empty arrays (P = 0) round trip', async () => {
    const file = path.join(dir, 'empty.npy');
    await writeNpy(file, new Float64Array(0), [0, 5]);
    assert.deepEqual(await readNpy(file), { shape: [0, 5], data: new Float64Array(0) });
  });

  for (const descr of DTYPES) {
    for (const major of [1, 2, 3]) {
      test(`reads ${descr} in format ${major}.0 as float64`, () => {
        const values = valuesFor(descr);
        const buf = npyFile(headerDict(descr, [2, 3]), encode(descr, values), major);
        assert.deepEqual(parseNpy(buf, 'f.npy'), {
          shape: [2, 3],
          data: Float64Array.from(values),
        });
      });
    }
  }

  test('fortran_order True is transposed to C order', () => {
    // Column-major storage of [[1, 2, 3], [4, 5, 6]].
    const buf = npyFile(headerDict('<f8', [2, 3], true), encode('<f8', [1, 4, 2, 5, 3, 6]));
    assert.deepEqual(parseNpy(buf, 'f.npy').data, Float64Array.from([1, 2, 3, 4, 5, 6]));
  });

  test('an empty fortran_order array of a long dimension returns at once', () => {
    for (const shape of [
      [0, 2 ** 31 - 1],
      [2 ** 31 - 1, 0],
    ]) {
      const buf = npyFile(headerDict('<f8', shape, true), new Uint8Array(0));
      assert.deepEqual(parseNpy(buf, 'f.npy'), { shape, data: new Float64Array(0) });
    }
  });

  test('fortran_order is a no-op for 1-D arrays', () => {
    const buf = npyFile(headerDict('<i4', [3], true), encode('<i4', [1, 2, 3]));
    assert.deepEqual(parseNpy(buf, 'f.npy'), { shape: [3], data: Float64Array.from([1, 2, 3]) });
  });

  test('headers with double quotes, a list shape and padding parse', () => {
    const header = `{"descr": "<f8", "shape": [2], "fortran_order": False}      `;
    assert.deepEqual(
      parseNpy(npyFile(header, encode('<f8', [1, 2])), 'f.npy').data,
      Float64Array.from([1, 2]),
    );
  });

  test('a utf8 header in version 3.0', () => {
    const header = `${headerDict('<f8', [1])} `;
    assert.deepEqual(
      parseNpy(npyFile(header, encode('<f8', [7]), 3), 'f.npy').data,
      Float64Array.from([7]),
    );
  });
});

describe('npy errors name the file and the problem', () => {
  const ok = encode('<f8', [1, 2]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bad magic', Buffer.from('hello world, not numpy'), /^bad\.npy: not a \.npy file/],
    ['too short', Buffer.from([0x93, 0x4e]), /^bad\.npy: not a \.npy file/],
    [
      'unsupported version',
      (() => {
        const b = npyFile(headerDict('<f8', [2]), ok);
        b[6] = 4;
        return b;
      })(),
      /unsupported \.npy format version 4\.0 \(supported: 1\.0, 2\.0, 3\.0\)/,
    ],
    ['truncated header', npyFile(headerDict('<f8', [2]), ok).subarray(0, 20), /truncated header/],
    [
      'header syntax',
      npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2,", ok),
      /malformed header/,
    ],
    ['header not a dict', npyFile('(1, 2)', ok), /malformed header \(expected a dict\)/],
    [
      'missing key',
      npyFile("{'descr': '<f8', 'shape': (2,)}", ok),
      /exactly the keys descr, fortran_order, shape; has descr, shape/,
    ],
    [
      'unsupported dtype',
      npyFile(headerDict('<f2', [2]), new Uint8Array(4)),
      /unsupported dtype '<f2'/,
    ],
    [
      'complex dtype',
      npyFile(headerDict('<c16', [1]), new Uint8Array(16)),
      /unsupported dtype '<c16'/,
    ],
    [
      'structured dtype',
      npyFile("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", ok),
      /structured dtypes are not supported/,
    ],
    [
      '3-D shape',
      npyFile(headerDict('<f8', [1, 1, 2]), ok),
      /unsupported shape \(1, 1, 2\): only 1-D and 2-D/,
    ],
    [
      '0-D shape',
      npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", ok.subarray(0, 8)),
      /unsupported shape/,
    ],
    [
      'a dimension over 2^31 - 1, even of an empty array',
      npyFile(headerDict('<f8', [0, 2 ** 40], true), new Uint8Array(0)),
      /shape \(0, 1099511627776\) is too large: each dimension and their product must be at most 2147483647/,
    ],
    [
      'a product over 2^31 - 1',
      npyFile(headerDict('<f8', [2 ** 16, 2 ** 16]), ok),
      /shape \(65536, 65536\) is too large/,
    ],
    [
      'negative shape',
      npyFile(headerDict('<f8', [-2]), ok),
      /shape must be a tuple of non-negative integers/,
    ],
    [
      'bad fortran_order',
      npyFile("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }", ok),
      /fortran_order must be True or False/,
    ],
    [
      'truncated data',
      npyFile(headerDict('<f8', [3]), ok),
      /data has 16 bytes but shape \(3\) of f8 needs 24/,
    ],
    [
      'trailing data',
      npyFile(headerDict('<f8', [1]), ok),
      /data has 16 bytes but shape \(1\) of f8 needs 8/,
    ],
  ];
  for (const [name, buf, pattern] of cases) {
    test(name, () => assert.match(formatErrorOf(buf), pattern));
  }

  test('int64 values beyond float64 precision are rejected', () => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
    assert.match(formatErrorOf(npyFile(headerDict('<i8', [1]), bytes)), /is not exactly a float64/);
  });

  test('missing files are ERR_MFL_IO naming the path', async () => {
    const file = path.join(dir, 'nope.npy');
    await assert.rejects(readNpy(file), {
      code: 'ERR_MFL_IO',
      message: `cannot read ${file}: no such file or directory`,
    });
  });
});

/** Interoperability with numpy itself, when python3 with numpy is installed. */
const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
describe(
  'npy interoperability with numpy',
  { skip: numpy.status === 0 ? false : 'python3 with numpy not installed' },
  () => {
    test("numpy reads our files and we read numpy's", async () => {
      const ours = path.join(dir, 'ours.npy');
      const theirs = path.join(dir, 'theirs.npy');
      const X = new TestRng(5).gaussian(12);
      await writeNpy(ours, X, [4, 3]);
      const script =
        'import numpy as np, sys\n' +
        'a = np.load(sys.argv[1])\n' +
        'assert a.dtype == np.float64 and a.shape == (4, 3), (a.dtype, a.shape)\n' +
        'np.save(sys.argv[2], np.asfortranarray(a.astype(">f8") * 2))\n';
      const r = spawnSync('python3', ['-c', script, ours, theirs], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(theirs));
      assert.deepEqual(
        (await readNpy(theirs)).data,
        X.map((v) => v * 2),
      );
    });
  },
);
