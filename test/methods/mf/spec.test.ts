/**
 * parseMfSpec names the field inside solver.ard (a union of an object, a boolean and null): a
 * wrong value in the object names solver.ard.<key>; a value of no allowed type lists the types.
 * An aligned start without a target set is refused by the parser, naming solver.init.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMfSpec } from '../../../src/methods/mf/spec.js';

const withArd = (ard: unknown) => ({
  task: { task: 'parity', d: 3, k: 1, P: 2 },
  network: { N: 2 },
  solver: { kappa: 1, ard },
});

test('a wrong value inside solver.ard names the inner field', () => {
  assert.throws(() => parseMfSpec(withArd({ alpha0: 'x' })), {
    name: 'MflTypeError',
    code: 'ERR_MFL_INVALID_TYPE',
    message: 'solver.ard.alpha0: expected a finite number > 0, got "x"',
  });
  assert.throws(() => parseMfSpec(withArd({ ema: 2 })), {
    name: 'MflRangeError',
    code: 'ERR_MFL_OUT_OF_RANGE',
    message: 'solver.ard.ema: must be a number in [0, 1], got 2',
  });
  assert.throws(() => parseMfSpec(withArd({ alpa0: 1 })), {
    code: 'ERR_MFL_UNKNOWN_OPTION',
    message: /^mf spec: unknown option "solver\.ard\.alpa0"; did you mean "solver\.ard\.alpha0"\?$/,
  });
});

test('solver.ard of no allowed type lists the allowed types', () => {
  for (const [ard, got] of [
    ['yes', '"yes"'],
    [1, '1'],
    [[true], 'an array of length 1'],
  ] as const) {
    assert.throws(() => parseMfSpec(withArd(ard)), {
      name: 'MflTypeError',
      code: 'ERR_MFL_INVALID_TYPE',
      message: `solver.ard: expected a boolean, null or an object {alpha0, beta0, ema, precisions}, got ${got}`,
    });
  }
  assert.equal(parseMfSpec(withArd(true)).solver.ard?.alpha0, 1);
  assert.equal(parseMfSpec(withArd(null)).solver.ard, null);
  assert.equal(parseMfSpec(withArd({ alpha0: 2 })).solver.ard?.beta0, 2);
});

test('solver.ard.precisions: coordinate (default) or neuron, else an error naming it', () => {
  assert.equal(parseMfSpec(withArd(true)).solver.ard?.precisions, 'coordinate');
  assert.equal(parseMfSpec(withArd({ ema: 0.1 })).solver.ard?.precisions, 'coordinate');
  assert.equal(parseMfSpec(withArd({ precisions: 'neuron' })).solver.ard?.precisions, 'neuron');
  assert.throws(() => parseMfSpec(withArd({ precisions: 'layer' })), {
    code: 'ERR_MFL_OUT_OF_RANGE',
    message: /^solver\.ard\.precisions: must be one of "coordinate", "neuron", got "layer"/,
  });
});

test('init "aligned" or "both" needs a target set: refused for k = 0 and custom data', () => {
  for (const init of ['aligned', 'both']) {
    assert.throws(
      () =>
        parseMfSpec({
          task: { task: 'parity', d: 3, k: 0, P: 2 },
          network: { N: 2 },
          solver: { kappa: 1, init },
        }),
      {
        name: 'MflRangeError',
        code: 'ERR_MFL_OUT_OF_RANGE',
        message:
          'solver.init: must be "prior" when k = 0 (an aligned start needs a non-empty target ' +
          `set S, k >= 1), got "${init}"`,
      },
    );
    assert.throws(
      () =>
        parseMfSpec({
          task: { task: 'custom', train: 'x.csv' },
          network: { N: 2 },
          solver: { kappa: 1, init },
        }),
      { name: 'MflRangeError', message: /^solver\.init: must be "prior" for custom data/ },
    );
  }
  const spec = { task: { task: 'single-index', d: 3, k: 1, P: 2 }, network: { N: 2 } };
  assert.equal(parseMfSpec({ ...spec, solver: { kappa: 1, init: 'both' } }).solver.init, 'both');
});
