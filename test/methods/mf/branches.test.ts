/**
 * MF branches (docs/mf.md, "Branches and hysteresis"): init "both" carries the prior and aligned
 * branches, the top level is the prior branch, the aligned start is anisotropic, and the result
 * is plain JSON; unsupported settings are refused naming the field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanField } from '../../../src/methods/mf/index.js';
import type { MfBranch } from '../../../src/methods/mf/index.js';
import { hysteresisOf } from '../../../src/methods/mf/run.js';
import { jsBackend } from '../../helpers/backends.js';

const task = { task: 'parity' as const, d: 6, k: 2, P: 30, PTest: 60, seed: 4 };
const solver = { kappa: 0.1, particles: 64, steps: 40, dt: 0.002, seed: 2 };

describe('meanField: branches', () => {
  test('init both: prior then aligned, top level = prior, hysteresis flag', async () => {
    const both = await meanField(
      { task, network: { N: 16 }, solver: { ...solver, init: 'both' } },
      { backend: jsBackend },
    );
    const prior = await meanField({ task, network: { N: 16 }, solver }, { backend: jsBackend });
    assert.ok(both.branches);
    assert.deepEqual(
      both.branches.map((b) => b.init),
      ['prior', 'aligned'],
    );
    assert.equal(both.init, 'both');
    assert.equal(both.mS, prior.mS);
    assert.deepEqual(both.q, prior.q);
    assert.equal(both.branches[0]!.testMse, prior.testMse);
    assert.ok(both.hysteresis === null || typeof both.hysteresis === 'boolean');
    assert.equal(prior.branches, null);
    assert.equal(prior.hysteresis, null);
    // The aligned start puts sigma_w^2 d / k = 3 on S and 0.01 elsewhere; 40 steps of 0.002 keep it.
    const aligned = both.branches[1]!;
    assert.ok(aligned.anisotropy !== null && aligned.anisotropy > 10, `${aligned.anisotropy}`);
    const text = JSON.stringify(both);
    assert.ok(!text.includes('predictions'));
    assert.equal(JSON.parse(text).branches.length, 2);
  });

  test('refuses a bias, naming network.bias', async () => {
    await assert.rejects(
      meanField({ task, network: { N: 16, bias: true }, solver }, { backend: jsBackend }),
      /network\.bias/,
    );
  });

  test('hysteresis: claimed only for converged branches that differ', () => {
    const branch = (mS: number | null, converged: boolean) => ({ mS, converged }) as MfBranch;
    assert.equal(hysteresisOf(branch(0.1, true), branch(0.6, true), 0.1), true);
    assert.equal(hysteresisOf(branch(0.1, true), branch(0.15, false), 0.1), false);
    assert.equal(hysteresisOf(branch(0.1, false), branch(0.6, true), 0.1), null);
    assert.equal(hysteresisOf(branch(0.1, true), branch(0.6, false), 0.1), null);
    assert.equal(hysteresisOf(branch(null, true), branch(null, true), 0.1), null);
  });
});
