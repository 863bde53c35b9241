/**
 * CSV data: exact round trips, flexible headers, and errors naming file, row and column.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  csvChunks,
  formatNumber,
  parseCsvData,
  readCsv,
  readCsvSync,
  writeCsv,
} from '../../src/tasks/io/csv.js';
import { TestRng } from '../helpers/random.js';
import { tempDir } from './tmp.js';

const dir = tempDir();

/** Doubles spanning many magnitudes, plus the awkward ones (-0, subnormals, extremes). */
function awkwardDoubles(n: number): Float64Array {
  const rng = new TestRng(3);
  const g = rng.gaussian(n);
  const scale = rng.uniform(n);
  const out = g.map((v, i) => v * 10 ** Math.round(((scale[i] ?? 0) - 0.5) * 600));
  out.set(
    [-0, 0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, 1e21, 1e-7],
    0,
  );
  return out;
}

function parseError(text: string): Error & { code?: string } {
  try {
    parseCsvData(text, 'data.csv');
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected a format error');
}

describe('CSV round trip', () => {
  test('every double survives write then read bit for bit', async () => {
    const P = 257;
    const d = 5;
    const all = awkwardDoubles(P * (d + 1));
    const data = { X: all.subarray(0, P * d), y: all.subarray(P * d), P, d };
    const file = path.join(dir, 'round.csv');
    await writeCsv(file, data);
    const back = await readCsv(file);
    assert.equal(back.P, P);
    assert.equal(back.d, d);
    for (let i = 0; i < P * d; i++) assert.ok(Object.is(back.X[i], data.X[i]), `X[${i}]`);
    for (let i = 0; i < P; i++) assert.ok(Object.is(back.y[i], data.y[i]), `y[${i}]`);
    assert.deepEqual(readCsvSync(file), back);
  });

  test('the header is x1..xd,y and rows end with the label', () => {
    const text = [
      ...csvChunks({
        X: Float64Array.from([1, 2, 3, 4]),
        y: Float64Array.from([-1, 1]),
        P: 2,
        d: 2,
      }),
    ].join('');
    assert.equal(text, 'x1,x2,y\n1,2,-1\n3,4,1\n');
  });

  test('chunking does not change the text', () => {
    const rng = new TestRng(4);
    const data = { X: rng.gaussian(30), y: rng.gaussian(10), P: 10, d: 3 };
    assert.equal([...csvChunks(data, 3)].join(''), [...csvChunks(data, 1000)].join(''));
  });

  test('formatNumber keeps the sign of -0', () => {
    assert.equal(formatNumber(-0), '-0');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(0.1), '0.1');
  });

  test('no temp files are left behind', () => {
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});

describe('CSV reading', () => {
  test('any feature names, label column y anywhere, whitespace, CRLF and a BOM', () => {
    const data = parseCsvData('\ufeffa, y ,b\r\n1, 2 ,3\r\n\r\n4,5,6\r\n', 'data.csv');
    assert.deepEqual(data, {
      X: Float64Array.from([1, 3, 4, 6]),
      y: Float64Array.from([2, 5]),
      P: 2,
      d: 2,
    });
  });

  test('a header-only file is P = 0 data', () => {
    assert.deepEqual(parseCsvData('x1,x2,y\n', 'data.csv'), {
      X: new Float64Array(0),
      y: new Float64Array(0),
      P: 0,
      d: 2,
    });
  });

  test('quoted numbers are numbers', () => {
    assert.deepEqual(parseCsvData('x1,y\n"1.5","-2"\n', 'data.csv').X, Float64Array.from([1.5]));
  });
});

describe('CSV errors', () => {
  test('a non-numeric cell names the file, row, line and column', () => {
    const err = parseError('x1,x2,y\n1,2,3\n4,abc,6\n');
    assert.equal(err.code, 'ERR_MFL_FORMAT');
    assert.equal(
      err.message,
      'data.csv: row 2 (line 3), column "x2": expected a finite number, got "abc"',
    );
  });

  test('an empty cell is named as such', () => {
    assert.equal(
      parseError('x1,y\n1,\n').message,
      'data.csv: row 1 (line 2), column "y": expected a finite number, got an empty value',
    );
  });

  test('NaN, Infinity and trailing garbage are rejected', () => {
    for (const cell of ['NaN', 'Infinity', '1e999', '12abc', '0x1']) {
      assert.match(
        parseError(`x1,y\n${cell},1\n`).message,
        /row 1 \(line 2\), column "x1": expected a finite number/,
      );
    }
  });

  test('ragged rows name the row and line', () => {
    assert.equal(
      parseError('x1,x2,y\n1,2,3\n4,5\n').message,
      'data.csv: row 2 (line 3) has 2 values, expected 3 as in the header',
    );
    assert.match(parseError('x1,y\n1,2,3\n').message, /row 1 \(line 2\) has 3 values, expected 2/);
  });

  test('a missing or duplicate y column', () => {
    assert.match(parseError('x1,x2\n1,2\n').message, /^data\.csv: header has no column named "y"/);
    assert.match(parseError('y,y\n1,2\n').message, /header has 2 columns named "y"/);
    assert.match(parseError('y\n1\n').message, /header has no feature columns/);
  });

  test('an empty file', () => {
    assert.match(parseError('').message, /^data\.csv: empty file/);
  });

  test('unbalanced quotes are reported as invalid CSV', () => {
    assert.match(parseError('x1,y\n"1,2\n').message, /^data\.csv: not valid CSV/);
  });

  test('unreadable files are ERR_MFL_IO naming the path', async () => {
    await assert.rejects(readCsv(dir), {
      code: 'ERR_MFL_IO',
      message: `cannot read ${dir}: is a directory`,
    });
  });
});
