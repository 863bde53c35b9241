/**
 * Sweep warnings: each distinct warning once with the points it concerns, in point order (methods in SWEEP_METHODS order); and no
 * preset asks a network for a target it cannot represent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseSweepSpec,
  presetNames,
  readSweepInput,
  sweepPoints,
  sweepWarnings,
} from '../../src/experiments/index.js';

describe('sweepWarnings', () => {
  test('groups points by warning: parity k = 3 and 5 under relu, k = 2 under erf', () => {
    const spec = parseSweepSpec({
      name: 'w',
      base: { task: { task: 'parity', d: 6, k: 2, P: 20 }, network: { N: 8 }, kappa: 0.05 },
      methods: { krr: {}, sgld: { spec: { sampler: { steps: 10 } } } },
      grid: { 'task.k': [2, 3, 5], 'network.activation': ['relu', 'erf'] },
    });
    const points = sweepPoints(spec);
    const warnings = sweepWarnings(points);
    const concerned = warnings.map((w) =>
      w.points.map((p) => `${p.method} ${p.params['task.k']} ${p.params['network.activation']}`),
    );
    assert.deepEqual(concerned, [
      ['sgld 2 erf', 'krr 2 erf'],
      ['sgld 3 relu', 'krr 3 relu'],
      ['sgld 5 relu', 'krr 5 relu'],
    ]);
    assert.match(warnings[0]!.message, /order k = 2 .* \(erf, no bias\)/);
    assert.match(warnings[1]!.message, /order k = 3 .* \(relu, no bias\)/);
  });

  test('no preset, at either scale, has a target its network cannot represent', () => {
    for (const name of presetNames()) {
      const { input } = readSweepInput(name);
      for (const scale of ['small', 'paper'] as const) {
        const warnings = sweepWarnings(sweepPoints(parseSweepSpec(input, scale)));
        assert.deepEqual(
          warnings.map((w) => w.message),
          [],
          `${name} ${scale}`,
        );
      }
    }
  });
});
