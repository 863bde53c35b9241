/**
 * parseSpec: zod failures become mfl errors with stable codes and messages naming the field and
 * what is allowed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as z from 'zod';
import { MflError, MflRangeError, MflTypeError } from '../src/errors.js';
import { parseMfSpec } from '../src/methods/mf/spec.js';
import { parseNngpSpec } from '../src/methods/nngp/spec.js';
import { parseSgldSpec } from '../src/methods/sgld/spec.js';
import {
  closest,
  editDistance,
  finite,
  int,
  nonEmptyString,
  oneOf,
  parseDecimal,
  parseSpec,
} from '../src/validate.js';

const schema = z.strictObject({
  d: int(1, 4096),
  kappa: finite(0),
  activation: oneOf(['relu', 'erf']).default('relu'),
  name: nonEmptyString().optional(),
  network: z.strictObject({ N: int(1), gamma: finite(0.5, 1).default(0.5) }).optional(),
});

function errorOf(input: unknown, options = {}): Error & { code?: string } {
  try {
    parseSpec(schema, input, 'spec', options);
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected parseSpec to throw');
}

describe('parseSpec', () => {
  test('returns the parsed value with defaults', () => {
    assert.deepEqual(parseSpec(schema, { d: 3, kappa: 0.1, network: { N: 8 } }, 'spec'), {
      d: 3,
      kappa: 0.1,
      activation: 'relu',
      network: { N: 8, gamma: 0.5 },
    });
  });

  test('range failures name the field and the allowed range', () => {
    const err = errorOf({ d: 0, kappa: 1 });
    assert.ok(err instanceof MflRangeError);
    assert.equal(err.code, 'ERR_MFL_OUT_OF_RANGE');
    assert.equal(err.message, 'd: must be an integer in [1, 4096], got 0');
  });

  test('a fraction where an integer is required is a range error', () => {
    assert.equal(
      errorOf({ d: 2.5, kappa: 1 }).message,
      'd: must be an integer in [1, 4096], got 2.5',
    );
  });

  test('NaN and infinities are range errors', () => {
    const nan = errorOf({ d: 3, kappa: NaN });
    assert.ok(nan instanceof MflRangeError);
    assert.equal(nan.message, 'kappa: must be a finite number >= 0, got NaN');
    assert.equal(
      errorOf({ d: Infinity, kappa: 1 }).message,
      'd: must be an integer in [1, 4096], got Infinity',
    );
  });

  test('wrong types are type errors naming the field', () => {
    const err = errorOf({ d: '12', kappa: 1 });
    assert.ok(err instanceof MflTypeError);
    assert.equal(err.code, 'ERR_MFL_INVALID_TYPE');
    assert.equal(err.message, 'd: expected an integer in [1, 4096], got "12"');
  });

  test('a missing field is a type error', () => {
    const err = errorOf({ d: 3 });
    assert.ok(err instanceof MflTypeError);
    assert.equal(err.message, 'kappa: expected a finite number >= 0, got undefined');
  });

  test('enum failures list the allowed values', () => {
    const err = errorOf({ d: 3, kappa: 1, activation: 'gelu' });
    assert.ok(err instanceof MflRangeError);
    assert.equal(err.message, 'activation: must be one of "relu", "erf", got "gelu"');
  });

  test('nested fields use the dotted path', () => {
    assert.equal(
      errorOf({ d: 3, kappa: 1, network: { N: 0 } }).message,
      'network.N: must be an integer >= 1, got 0',
    );
    assert.equal(
      errorOf({ d: 3, kappa: 1, network: { N: 4, gamma: 2 } }).message,
      'network.gamma: must be a finite number in [0.5, 1], got 2',
    );
  });

  test('unknown keys are ERR_MFL_UNKNOWN_OPTION with the closest key', () => {
    const err = errorOf({ d: 3, kappa: 1, kapa: 2 });
    assert.ok(err instanceof MflError);
    assert.equal(err.code, 'ERR_MFL_UNKNOWN_OPTION');
    assert.equal(err.message, 'spec: unknown option "kapa"; did you mean "kappa"?');
  });

  test('an unknown key is reported before the missing field it explains', () => {
    assert.equal(
      errorOf({ dd: 3, kappa: 1 }).message,
      'spec: unknown option "dd"; did you mean "d"?',
    );
  });

  test('unknown nested keys use the dotted path, also in the suggestion', () => {
    assert.equal(
      errorOf({ d: 3, kappa: 1, network: { n: 4 } }).message,
      'spec: unknown option "network.n"; did you mean "network.N"?',
    );
  });

  test('without a close key, the known keys are listed', () => {
    assert.equal(
      errorOf({ d: 3, kappa: 1, zzzzzz: 1 }).message,
      'spec: unknown option "zzzzzz"; known options: d, kappa, activation, name, network',
    );
  });

  test('a wrong input type names `what`', () => {
    const err = errorOf(42);
    assert.ok(err instanceof MflTypeError);
    assert.equal(err.message, 'spec: expected an object, got 42');
  });

  test('the label option renames fields', () => {
    const label = (path: readonly PropertyKey[]) => `--${path.join('-')}`;
    assert.equal(
      errorOf({ d: 0, kappa: 1 }, { label }).message,
      '--d: must be an integer in [1, 4096], got 0',
    );
  });

  test('schemas without the builders still get readable messages', () => {
    const plain = z.strictObject({ n: z.number().int().min(2), s: z.string() });
    assert.throws(() => parseSpec(plain, { n: 1, s: 'x' }, 'p'), {
      name: 'MflRangeError',
      message: 'n: must be a number >= 2, got 1',
    });
    assert.throws(() => parseSpec(plain, { n: 3, s: 4 }, 'p'), {
      name: 'MflTypeError',
      message: 's: expected a string, got 4',
    });
  });
});

describe('parseSpec options', () => {
  test('options and options.label are checked before they are used', () => {
    const input = { d: 0, kappa: 1 };
    for (const options of [null, 5, 'x', [], new ArrayBuffer(8)]) {
      assert.throws(() => parseSpec(schema, input, 'spec', options as never), {
        name: 'MflTypeError',
        code: 'ERR_MFL_INVALID_TYPE',
        message: /^options: expected an object \{label\}, got /,
      });
    }
    for (const label of [null, 'x', Symbol('s'), {}]) {
      assert.throws(() => parseSpec(schema, input, 'spec', { label } as never), {
        name: 'MflTypeError',
        message: /^options\.label: expected a function \(path\) => string, got /,
      });
    }
    assert.throws(() => parseSpec(schema, input, 'spec', { label: () => 'D' }), {
      message: 'D: must be an integer in [1, 4096], got 0',
    });
  });
});

describe('closest / editDistance', () => {
  test('edit distance counts transpositions as one edit', () => {
    assert.equal(editDistance('lableNoise', 'labelNoise'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('closest ignores case and rejects implausible matches', () => {
    assert.equal(closest('ptest', ['P', 'PTest', 'seed']), 'PTest');
    assert.equal(closest('seeed', ['P', 'PTest', 'seed']), 'seed');
    assert.equal(closest('x', ['d', 'k', 'P']), null);
    assert.equal(closest('banana', ['d', 'k', 'P']), null);
  });
});

describe('parseDecimal', () => {
  test('accepts plain decimal literals', () => {
    for (const [text, value] of [
      ['12', 12],
      ['-0.5', -0.5],
      ['+3', 3],
      ['.5', 0.5],
      ['5.', 5],
      ['1e3', 1000],
      ['2.5E-3', 0.0025],
    ] as const) {
      assert.equal(parseDecimal(text), value, text);
    }
  });

  test('rejects anything else', () => {
    for (const text of [
      '',
      ' 1',
      '1 ',
      '12abc',
      '0x10',
      'Infinity',
      'NaN',
      '1e',
      '--1',
      '1,5',
      'e3',
    ]) {
      assert.equal(parseDecimal(text), null, JSON.stringify(text));
    }
  });
});

describe('objects whose keys are all optional take plain objects only', () => {
  const task = { task: 'parity', d: 3, k: 1, P: 2 } as const;
  const notPlain = [new ArrayBuffer(8), new Float64Array(0), [], new Uint8Array(2)];
  const type = (field: string) => ({
    name: 'MflTypeError',
    code: 'ERR_MFL_INVALID_TYPE',
    message: new RegExp(`^${field.replace('.', '\\.')}: expected a plain object`),
  });

  test('nngp network and sgld sampler.weightDecay', () => {
    for (const value of notPlain) {
      assert.throws(() => parseNngpSpec({ task, network: value, kappa: 1 }), type('network'));
      assert.throws(
        () =>
          parseSgldSpec({
            task,
            network: { N: 2 },
            sampler: { kappa: 1, steps: 3, weightDecay: value },
          }),
        type('sampler.weightDecay'),
      );
    }
    assert.equal(parseNngpSpec({ task, kappa: 1 }).network.sigmaW, 1);
    assert.equal(parseNngpSpec({ task, network: {}, kappa: 1 }).network.sigmaW, 1);
  });

  test('mf solver.ard', () => {
    for (const value of notPlain) {
      assert.throws(
        () => parseMfSpec({ task, network: { N: 2 }, solver: { kappa: 1, ard: value } }),
        { name: 'MflTypeError', message: /^solver\.ard: expected a boolean, null or an object/ },
      );
    }
    const ard = parseMfSpec({ task, network: { N: 2 }, solver: { kappa: 1, ard: {} } }).solver.ard;
    assert.deepEqual(ard, { alpha0: 1, beta0: 1, ema: 0.01, precisions: 'coordinate' });
  });
});
