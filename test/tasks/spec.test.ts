/**
 * Task spec validation: each class of bad input gives its own error class, a stable code and a
 * message naming the field and what is allowed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MflError, MflRangeError, MflTypeError } from '../../src/errors.js';
import { DEFAULT_P_TEST, parseTaskSpec } from '../../src/tasks/spec.js';

const base = { task: 'parity', d: 12, k: 4, P: 400 } as const;

function rejects(input: unknown, expected: { name: string; code: string; message: string }): void {
  assert.throws(
    () => parseTaskSpec(input),
    (err: Error & { code?: string }) => {
      assert.equal(err.name, expected.name);
      assert.equal(err.code, expected.code);
      assert.equal(err.message, expected.message);
      return true;
    },
  );
}

const range = (message: string) => ({
  name: 'MflRangeError',
  code: 'ERR_MFL_OUT_OF_RANGE',
  message,
});
const type = (message: string) => ({ name: 'MflTypeError', code: 'ERR_MFL_INVALID_TYPE', message });

describe('parseTaskSpec: valid specs', () => {
  test('fills the defaults of generated tasks', () => {
    assert.deepEqual(parseTaskSpec(base), {
      ...base,
      PTest: DEFAULT_P_TEST,
      labelNoise: 0,
      seed: 0,
    });
  });

  test('keeps explicit values, including P = 0 and PTest = 0', () => {
    const spec = {
      task: 'single-index',
      d: 5,
      k: 3,
      P: 0,
      PTest: 0,
      labelNoise: 0.1,
      seed: 2 ** 53 - 1,
    };
    assert.deepEqual(parseTaskSpec(spec), spec);
  });

  test('accepts k = 0 and k = d', () => {
    assert.equal(parseTaskSpec({ ...base, k: 0 }).task, 'parity');
    assert.equal(parseTaskSpec({ ...base, k: 12 }).task, 'parity');
  });

  test('custom specs with and without test data', () => {
    assert.deepEqual(parseTaskSpec({ task: 'custom', train: 'a.csv' }), {
      task: 'custom',
      train: 'a.csv',
    });
    assert.deepEqual(parseTaskSpec({ task: 'custom', train: 'a', test: 'b' }), {
      task: 'custom',
      train: 'a',
      test: 'b',
    });
  });
});

describe('parseTaskSpec: each class of bad input', () => {
  test('wrong type', () => {
    rejects({ ...base, d: '12' }, type('d: expected an integer in [1, 4096], got "12"'));
    rejects(
      { ...base, labelNoise: null },
      type('labelNoise: expected a finite number in [0, 1e+150], got null'),
    );
    rejects('parity', type('task spec: expected an object, got "parity"'));
  });

  test('NaN', () => {
    rejects({ ...base, P: NaN }, range('P: must be an integer in [0, 2147483647], got NaN'));
    rejects(
      { ...base, labelNoise: NaN },
      range('labelNoise: must be a finite number in [0, 1e+150], got NaN'),
    );
  });

  test('negative sizes', () => {
    rejects({ ...base, P: -1 }, range('P: must be an integer in [0, 2147483647], got -1'));
    rejects({ ...base, PTest: -5 }, range('PTest: must be an integer in [0, 2147483647], got -5'));
    rejects({ ...base, d: -3 }, range('d: must be an integer in [1, 4096], got -3'));
    rejects(
      { ...base, labelNoise: -0.1 },
      range('labelNoise: must be a finite number in [0, 1e+150], got -0.1'),
    );
  });

  test('k > d names k and d with their values', () => {
    rejects({ ...base, k: 13 }, range('k: must be an integer in [0, d] = [0, 12], got 13'));
  });

  test('single-index k is capped at 20', () => {
    rejects(
      { task: 'single-index', d: 30, k: 21, P: 10 },
      range('k: must be an integer in [0, min(d, 20)] = [0, 20], got 21'),
    );
  });

  test('non-integers and out-of-range seeds', () => {
    rejects({ ...base, d: 3.5 }, range('d: must be an integer in [1, 4096], got 3.5'));
    rejects(
      { ...base, seed: -1 },
      range('seed: must be an integer in [0, 9007199254740991], got -1'),
    );
    rejects(
      { ...base, seed: 2 ** 53 },
      range('seed: must be an integer in [0, 9007199254740991], got 9007199254740992'),
    );
  });

  test('P * d beyond the array limit', () => {
    rejects(
      { ...base, d: 4096, k: 0, P: 600_000 },
      range('P: must be an integer in [0, 524287] (P * d <= 2147483647 with d = 4096), got 600000'),
    );
  });

  test('missing required fields', () => {
    rejects(
      { task: 'parity', d: 12, k: 4 },
      type('P: expected an integer in [0, 2147483647], got undefined'),
    );
    rejects(
      { d: 12 },
      type('task: expected one of "parity", "single-index", "custom", got undefined'),
    );
    rejects({ task: 'custom' }, type('train: expected a non-empty string, got undefined'));
  });

  test('unknown task', () => {
    rejects(
      { ...base, task: 'xor' },
      range('task: must be one of "parity", "single-index", "custom", got "xor"'),
    );
  });

  test('unknown keys, with a suggestion', () => {
    assert.throws(
      () => parseTaskSpec({ ...base, Ptest: 10 }),
      (err: unknown) => {
        assert.ok(err instanceof MflError);
        assert.equal(err.code, 'ERR_MFL_UNKNOWN_OPTION');
        assert.equal(err.message, 'task spec: unknown option "Ptest"; did you mean "PTest"?');
        return true;
      },
    );
    assert.throws(() => parseTaskSpec({ ...base, label_noise: 0.1 }), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
      message: 'task spec: unknown option "label_noise"; did you mean "labelNoise"?',
    });
    // Keys of the other kind of task are unknown too.
    assert.throws(() => parseTaskSpec({ task: 'custom', train: 'a', d: 3 }), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
    });
  });

  test('error classes are the documented ones', () => {
    assert.throws(() => parseTaskSpec({ ...base, k: 13 }), MflRangeError);
    assert.throws(() => parseTaskSpec({ ...base, k: 'x' }), MflTypeError);
  });
});
