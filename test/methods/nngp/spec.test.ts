/**
 * The NNGP spec: defaults, idempotence, the messages of invalid specs (each naming its field and
 * what is allowed), and the ridge of THEORY.md section 5 (kappa_eff N^(2 gamma - 1)/sigma_a^2,
 * kappa_eff = P kappa for loss "mean").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nngpRidge, parseNngpSpec, priorScale } from '../../../src/methods/nngp/spec.js';

const task = { task: 'parity', d: 12, k: 4, P: 400 } as const;

function throwsWith(input: unknown, code: string, message: string | RegExp): void {
  assert.throws(
    () => parseNngpSpec(input),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, code);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseNngpSpec', () => {
  test('defaults: network as SGLD with N null, loss sum, method krr, no variance, limit null', () => {
    const spec = parseNngpSpec({ task, kappa: 0.01 });
    assert.deepEqual(spec, {
      task: { ...task, PTest: 4000, labelNoise: 0, seed: 0 },
      network: {
        N: null,
        gamma: 0.5,
        activation: 'relu',
        bias: false,
        sigmaW: 1,
        sigmaA: 1,
        sigmaB: 1,
      },
      kappa: 0.01,
      loss: 'sum',
      method: 'krr',
      variance: false,
      memoryLimitBytes: null,
    });
    assert.deepEqual(parseNngpSpec(spec), spec, 'idempotent');
  });

  test('tanh is rejected naming the field and the allowed set', () => {
    throwsWith(
      { task, kappa: 0.01, network: { activation: 'tanh' } },
      'ERR_MFL_OUT_OF_RANGE',
      'network.activation: must be one of "relu", "erf", "linear" (activations with a ' +
        'closed-form NNGP kernel), got "tanh"',
    );
  });

  test('kappa is required and > 0; loss and method are enums; unknown keys suggested', () => {
    throwsWith({ task }, 'ERR_MFL_INVALID_TYPE', /^kappa: expected a finite number > 0/);
    throwsWith(
      { task, kappa: 0 },
      'ERR_MFL_OUT_OF_RANGE',
      'kappa: must be a finite number > 0, got 0',
    );
    throwsWith(
      { task, kappa: 1, loss: 'avg' },
      'ERR_MFL_OUT_OF_RANGE',
      /^loss: must be one of "sum", "mean"/,
    );
    throwsWith(
      { task, kappa: 1, method: 'gp' },
      'ERR_MFL_OUT_OF_RANGE',
      /^method: must be one of "krr", "eigen"/,
    );
    throwsWith(
      { task, kapa: 1 },
      'ERR_MFL_UNKNOWN_OPTION',
      /unknown option "kapa"; did you mean "kappa"\?/,
    );
    throwsWith(
      { task, kappa: 1, memoryLimitBytes: 1.5 },
      'ERR_MFL_OUT_OF_RANGE',
      /^memoryLimitBytes: must be an integer in \[1, /,
    );
  });

  test('gamma != 0.5 needs N; N may exceed the SGLD width limit (it is never allocated)', () => {
    throwsWith(
      { task, kappa: 1, network: { gamma: 1 } },
      'ERR_MFL_INVALID_TYPE',
      /^network\.N: expected an integer >= 1 when gamma != 0\.5/,
    );
    assert.equal(parseNngpSpec({ task, kappa: 1, network: { N: 1e8, gamma: 1 } }).network.N, 1e8);
  });

  test('eigen needs a generated task and no variance', () => {
    const custom = { task: 'custom', train: 'a.csv' };
    throwsWith(
      { task: custom, kappa: 1, method: 'eigen' },
      'ERR_MFL_OUT_OF_RANGE',
      /^method: must be "krr" for custom data/,
    );
    throwsWith(
      { task, kappa: 1, method: 'eigen', variance: true },
      'ERR_MFL_OUT_OF_RANGE',
      /^variance: must be false with method "eigen"/,
    );
  });
});

describe('ridge (THEORY.md section 5)', () => {
  test('kappa N^(2 gamma - 1) / sigma_a^2, kappa_eff = P kappa for the mean loss', () => {
    const base = parseNngpSpec({ task, kappa: 0.02, network: { sigmaA: 2 } });
    assert.equal(nngpRidge(base, 400), 0.005);
    const mean = parseNngpSpec({ task, kappa: 0.02, loss: 'mean', network: { sigmaA: 2 } });
    assert.equal(nngpRidge(mean, 400), 2);
    const wide = parseNngpSpec({ task, kappa: 0.02, network: { N: 100, gamma: 1 } });
    assert.ok(Math.abs(nngpRidge(wide, 400) - 2) < 1e-15);
    assert.ok(Math.abs(priorScale(wide.network) - 0.01) < 1e-15);
    assert.equal(priorScale(base.network), 4);
  });
});
