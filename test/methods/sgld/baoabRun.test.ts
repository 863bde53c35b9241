/**
 * `sgld()` with integrator 'baoab' (docs/sgld.md, "Integrators"): the spec's new fields and their
 * errors, the default friction recorded in the result, checkpoints (the momentum is part of the
 * state: chunking and resuming give bitwise the uninterrupted run; an Euler checkpoint resumes only
 * as Euler) and float32.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Backend } from '../../../src/backend/types.js';
import { readCheckpoint } from '../../../src/methods/sgld/checkpoint.js';
import { defaultFriction } from '../../../src/methods/sgld/eta.js';
import type { SgldResult } from '../../../src/methods/sgld/result.js';
import { sgld } from '../../../src/methods/sgld/run.js';
import { parseSgldSpec } from '../../../src/methods/sgld/spec.js';
import type { SgldSpecInput } from '../../../src/methods/sgld/spec.js';
import { backends } from '../../helpers/backends.js';
import { tempDir } from '../../tasks/tmp.js';

const dir = tempDir('mfl-baoab-');

function small(sampler: Partial<SgldSpecInput['sampler']> = {}): SgldSpecInput {
  return {
    task: { task: 'parity', d: 6, k: 2, P: 60, PTest: 50, seed: 1 },
    network: { N: 16, bias: true, sigmaA: 1.5 },
    sampler: { kappa: 0.05, steps: 600, seed: 2, integrator: 'baoab', ...sampler },
  };
}

function numbers(r: SgldResult): unknown {
  const rest = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  for (const key of ['seconds', 'stepsPerSecond', 'resumedFromStep']) delete rest[key];
  return rest;
}

describe('the BAOAB spec fields', () => {
  test('defaults, normal form and idempotence', () => {
    const euler = parseSgldSpec({ ...small(), sampler: { kappa: 0.05, steps: 600 } });
    assert.ok(!('integrator' in euler.sampler) && !('friction' in euler.sampler));
    assert.deepEqual(
      parseSgldSpec({ ...small(), sampler: { ...euler.sampler, integrator: 'euler' } }),
      euler,
    );
    const baoab = parseSgldSpec(small());
    assert.equal(baoab.sampler.integrator, 'baoab');
    assert.equal(baoab.sampler.friction, null);
    assert.deepEqual(parseSgldSpec(baoab), baoab);
    assert.equal(parseSgldSpec(small({ friction: 0.3 })).sampler.friction, 0.3);
  });

  test('errors name the field', () => {
    const cases: [Partial<SgldSpecInput['sampler']>, RegExp][] = [
      [
        { integrator: 'euler', friction: 1 },
        /^sampler\.friction: must be null \(omitted\) unless integrator is "baoab"/,
      ],
      [{ friction: 0 }, /^sampler\.friction: must be a finite number > 0, got 0$/],
      [{ friction: Infinity }, /^sampler\.friction: /],
      [{ mala: true }, /^sampler\.mala: must be false when integrator is "baoab"/],
      [
        { integrator: 'leapfrog' as 'baoab' },
        /^sampler\.integrator: must be one of "euler", "baoab"/,
      ],
    ];
    for (const [sampler, message] of cases) {
      assert.throws(() => parseSgldSpec(small(sampler)), { message }, JSON.stringify(sampler));
    }
  });
});

for (const backend of backends) {
  const opts = { backend } as { backend: Backend };

  describe(`sgld() with BAOAB on ${backend.name}`, () => {
    test('the default friction is resolved into the result spec', async () => {
      const r = await sgld(small({ steps: 200 }), opts);
      const spec = parseSgldSpec(small());
      const expected = defaultFriction({ ...spec.network, kappa: 0.05, freezeW: false });
      assert.equal(r.spec.sampler.friction, expected);
      assert.equal(expected, (2 * Math.sqrt(0.05)) / 1.5);
      assert.ok(Number.isFinite(r.testMse) && r.testMse! < 1.5, `testMse ${r.testMse}`);
    });

    test('checkpoint chunks and a resume give the uninterrupted run bitwise', async () => {
      for (const precision of ['float64', 'float32'] as const) {
        const spec = { ...small({ steps: 600, observeEvery: 10 }), precision };
        const whole = await sgld(spec, opts);
        const file = path.join(dir, `${backend.name}-${precision}.ckpt`);
        const chunked = await sgld(spec, { ...opts, checkpoint: { path: file, every: 37 } });
        assert.deepEqual(numbers(chunked), numbers(whole));
        const stored = await readCheckpoint(file);
        assert.equal(stored.state.momentum?.length, 2 * (16 * 6 + 2 * 16));
        // Resume from an intermediate checkpoint: write one at 222 steps of the same run.
        const part = path.join(dir, `${backend.name}-${precision}-part.ckpt`);
        const controller = new AbortController();
        await assert.rejects(
          sgld(spec, {
            ...opts,
            checkpoint: { path: part, every: 222 },
            signal: controller.signal,
            onProgress: (done) => {
              if (done >= 222) controller.abort();
            },
          }),
          { code: 'ERR_MFL_CANCELLED' },
        );
        assert.equal((await readCheckpoint(part)).header.step, 222);
        const resumed = await sgld(spec, { ...opts, checkpoint: { path: part }, resume: true });
        assert.equal(resumed.resumedFromStep, 222);
        assert.deepEqual(numbers(resumed), numbers(whole));
      }
    });

    test('an Euler checkpoint resumes as Euler only', async () => {
      const file = path.join(dir, `${backend.name}-euler.ckpt`);
      const euler = { ...small({ steps: 60 }), sampler: { kappa: 0.05, steps: 60, seed: 2 } };
      await sgld(euler, { ...opts, checkpoint: { path: file, every: 30 } });
      assert.equal((await readCheckpoint(file)).state.momentum, null);
      await assert.rejects(
        sgld(small({ steps: 60 }), { ...opts, checkpoint: { path: file }, resume: true }),
        { message: /^sampler\.integrator: must be absent as in the checkpoint/ },
      );
      const again = await sgld(euler, { ...opts, checkpoint: { path: file }, resume: true });
      assert.equal(again.resumedFromStep, 60);
    });
  });
}
