/**
 * The options shared by the public functions and the backends, checked at the boundary: the
 * `backend` option (a name or a Backend object), AsyncOptions of the backends' long-running calls,
 * and the object arguments of the native adapter (a coded error naming the argument, never a bare
 * TypeError).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveBackend } from '../../src/backend/index.js';
import { isBackend, parseAsyncOptions } from '../../src/backend/options.js';
import type { TaskParams, TaskRows } from '../../src/backend/types.js';
import { backends, jsBackend, nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { spyBackend } from '../methods/nngp/helpers.js';

const params: TaskParams = { kind: 'parity', d: 3, k: 2, labelNoise: 0, seed: 1 };
const rows = (): TaskRows => ({
  test: false,
  rowOffset: 0,
  X: new Float64Array(6),
  y: new Float64Array(2),
});

describe('backend option', () => {
  test('a Backend object is one with a name and every method', () => {
    for (const backend of backends) assert.ok(isBackend(backend));
    assert.ok(isBackend(spyBackend(jsBackend).backend));
    assert.ok(!isBackend({ name: 'js' }));
    assert.ok(!isBackend({ ...jsBackend, name: 'gpu' }));
    assert.ok(!isBackend({ ...jsBackend, sgldRun: 1 }));
    assert.ok(!isBackend(null));
  });

  test('names resolve to backends; a Backend object is used as is', () => {
    assert.equal(resolveBackend('js'), jsBackend);
    assert.equal(resolveBackend(jsBackend), jsBackend);
    const native = nativeBackend();
    if (native) assert.equal(resolveBackend('native'), native);
  });
});

describe('AsyncOptions', () => {
  test('undefined and empty options are none; null onProgress is no callback', () => {
    assert.deepEqual(parseAsyncOptions(undefined), {});
    assert.deepEqual(parseAsyncOptions({}), {});
    assert.deepEqual(parseAsyncOptions({ onProgress: null }), {});
    const signal = new AbortController().signal;
    assert.equal(parseAsyncOptions({ signal }).signal, signal);
  });

  for (const backend of backends) {
    test(`${backend.name}: a bad signal, onProgress or key rejects naming it`, async () => {
      const cases: [unknown, RegExp, string][] = [
        [{ signal: 'x' }, /^options\.signal: expected an AbortSignal, got "x"$/, 'MflTypeError'],
        [
          { signal: {} },
          /^options\.signal: expected an AbortSignal, got an object$/,
          'MflTypeError',
        ],
        [
          { onProgress: 3 },
          /^options\.onProgress: expected a function \(done, total\) => void, got 3$/,
          'MflTypeError',
        ],
        [null, /^options: expected a plain object .*got null$/, 'MflTypeError'],
        [
          { sigal: null },
          /unknown option "options\.sigal"; did you mean "options\.signal"\?$/,
          'MflError',
        ],
      ];
      for (const [options, message, name] of cases) {
        await assert.rejects(backend.generateTaskRowsAsync(params, rows(), options as never), {
          name,
          message,
        });
      }
    });
  }
});

describe('native adapter', { skip: skipUnlessNative() }, () => {
  test('null or undefined in place of an object argument is a coded error naming it', async () => {
    const native = nativeBackend()!;
    const f = new Float64Array(1);
    const shape = { P: 1, d: 1, N: 1, gamma: 0.5, activation: 'relu', bias: false } as const;
    const cases: [() => unknown, string][] = [
      [() => native.generateTaskRows(null as never, rows()), 'params'],
      [() => native.generateTaskRows(params, undefined as never), 'rows'],
      [() => native.forward(null as never, f, { W: f, a: f, b: null }, f), 'shape'],
      [() => native.forward(shape, f, null as never, f), 'params'],
      [() => native.lossGradient(shape, f, f, { W: f, a: f, b: null }, null as never), 'out'],
      [() => native.gemm(null as never, f, f, f), 'options'],
      [() => native.nngpGram(undefined as never, f, f), 'spec'],
      [
        () => native.sgldRun(null as never, null as never, null as never, null as never, 0, 1),
        'config',
      ],
      [
        () => native.mfRun(null as never, null as never, null as never, null as never, 0, 1),
        'config',
      ],
    ];
    for (const [call, field] of cases) {
      assert.throws(call, {
        name: 'MflTypeError',
        code: 'ERR_MFL_INVALID_TYPE',
        message: new RegExp(`^${field}: expected an object, got (null|undefined)$`),
      });
    }
    await assert.rejects(
      native.sgldRunAsync({} as never, null as never, {} as never, {} as never, 0, 1),
      {
        name: 'MflTypeError',
        message: /^data: expected an object, got null$/,
      },
    );
  });
});
