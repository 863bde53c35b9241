/**
 * The options objects of the public functions are checked like specs, before any work: unknown
 * keys are ERR_MFL_UNKNOWN_OPTION with a did-you-mean hint, and a bad value is a coded error
 * naming options.<key> and what is allowed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanField } from '../../src/methods/mf/run.js';
import { learningCurve, nngp } from '../../src/methods/nngp/run.js';
import { sgld } from '../../src/methods/sgld/run.js';
import { forward, lossGradient, sampleNetworkPrior } from '../../src/network/network.js';
import { makeDataset, makeDatasetSync } from '../../src/tasks/dataset.js';
import { jsBackend } from '../helpers/backends.js';

const task = { task: 'parity', d: 4, k: 2, P: 8, PTest: 4, seed: 1 } as const;
const network = { N: 4 };

/** Every public function taking options, as `(options) => result or promise`. */
const calls: Record<string, (options: unknown) => unknown> = {
  makeDataset: (o) => makeDataset(task, o as never),
  makeDatasetSync: (o) => makeDatasetSync(task, o as never),
  sgld: (o) => sgld({ task, network, sampler: { steps: 4, seed: 1, kappa: 0.1 } }, o as never),
  nngp: (o) => nngp({ task, kappa: 0.1 }, o as never),
  meanField: (o) =>
    meanField({ task, network, solver: { steps: 4, seed: 1, kappa: 0.1 } }, o as never),
  sampleNetworkPrior: (o) => sampleNetworkPrior(network, 4, 1, 0, o as never),
  forward: (o) => forward(sampleNetworkPrior(network, 4, 1), new Float64Array(8), o as never),
  lossGradient: (o) =>
    lossGradient(
      sampleNetworkPrior(network, 4, 1),
      new Float64Array(8),
      new Float64Array(2),
      o as never,
    ),
};

/** The error `call(options)` throws or rejects with. */
async function failure(call: (options: unknown) => unknown, options: unknown): Promise<Error> {
  try {
    await call(options);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`accepted ${String(options)}`);
}

describe('options of the public functions', () => {
  for (const [name, call] of Object.entries(calls)) {
    test(`${name}: backend is "native", "js" or a Backend object`, async () => {
      for (const backend of ['gpu', 'JS', null, 1, {}, { name: 'js' }]) {
        const err = await failure(call, { backend });
        assert.equal(err.name, 'MflTypeError');
        assert.equal((err as { code?: string }).code, 'ERR_MFL_INVALID_TYPE');
        assert.match(
          err.message,
          /^options\.backend: expected "native", "js" or a Backend object \(getBackend\(\)\), got /,
        );
      }
      await call({ backend: 'js' });
      await call({ backend: jsBackend });
      await call(undefined);
    });

    test(`${name}: a misspelled key is an unknown option with a hint`, async () => {
      const err = await failure(call, { backnd: 'js' });
      assert.equal((err as { code?: string }).code, 'ERR_MFL_UNKNOWN_OPTION');
      assert.equal(
        err.message,
        'options: unknown option "options.backnd"; did you mean "options.backend"?',
      );
    });

    test(`${name}: options that are not an object are a type error`, async () => {
      for (const options of [null, 'js', [], new Float64Array(1)]) {
        const err = await failure(call, options);
        assert.equal(err.name, 'MflTypeError');
        assert.match(err.message, /^options: expected a plain object/);
      }
    });
  }

  test('signal must be an AbortSignal, onProgress a function', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['makeDataset', { signal: 'x' }, /^options\.signal: expected an AbortSignal, got "x"$/],
      ['sgld', { signal: {} }, /^options\.signal: expected an AbortSignal, got an object$/],
      ['nngp', { signal: true }, /^options\.signal: expected an AbortSignal, got true$/],
      ['meanField', { onProgress: 'x' }, /^options\.onProgress: expected a function /],
      ['sgld', { onProgress: 1 }, /^options\.onProgress: expected a function /],
    ];
    for (const [name, options, message] of cases) {
      await assert.rejects(
        Promise.resolve().then(() => calls[name]!(options)),
        {
          name: 'MflTypeError',
          message,
        },
      );
    }
  });

  test('options a function does not take are unknown, not ignored', async () => {
    const cases: [string, unknown, string][] = [
      ['makeDatasetSync', { signal: new AbortController().signal }, 'options.signal'],
      ['nngp', { onProgress: () => undefined }, 'options.onProgress'],
      ['forward', { signal: new AbortController().signal }, 'options.signal'],
    ];
    for (const [name, options, key] of cases) {
      const err = await failure(calls[name]!, options);
      assert.equal((err as { code?: string }).code, 'ERR_MFL_UNKNOWN_OPTION');
      assert.match(err.message, new RegExp(`^options: unknown option "${key}"; known options: `));
    }
    assert.throws(() => learningCurve({ task, kappa: 0.1 }, [4], { backend: 'js' } as never), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
      message: 'options: unknown option "options.backend"; known options: options.labels',
    });
  });

  test('sgld: checkpoint, resume and labels are checked', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ checkpoint: 'run.ckpt' }, 'MflTypeError', /^options\.checkpoint: expected an object/],
      [{ checkpoint: {} }, 'MflTypeError', /^options\.checkpoint\.path: expected a non-empty str/],
      [{ checkpoint: { path: '' } }, 'MflRangeError', /^options\.checkpoint\.path: must be a non-/],
      [
        { checkpoint: { path: 'x', every: 0.5 } },
        'MflRangeError',
        /^options\.checkpoint\.every: must be an integer >= 1, got 0\.5$/,
      ],
      [
        { checkpoint: { path: 'x', evry: 2 } },
        'MflError',
        /did you mean "options\.checkpoint\.every"\?$/,
      ],
      [{ resume: 'yes' }, 'MflTypeError', /^options\.resume: expected a boolean, got "yes"$/],
      [{ labels: { label: 1 } }, 'MflTypeError', /^options\.labels\.label: expected a function/],
      [{ labels: { lable: String } }, 'MflError', /did you mean "options\.labels\.label"\?$/],
    ];
    for (const [options, name, message] of cases) {
      await assert.rejects(calls.sgld!(options) as Promise<unknown>, { name, message });
    }
  });

  test('an accessor on options is read once', async () => {
    let reads = 0;
    const options = {
      get backend() {
        reads++;
        return reads === 1 ? 'js' : 'gpu';
      },
    };
    await makeDataset(task, options as never);
    assert.equal(reads, 1);
  });
});
