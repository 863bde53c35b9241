/**
 * The meanField driver on the backend kernel (docs/mf.md, "Kernel contract"): solve 'auto' takes
 * the Woodbury form when P > M and gives the Cholesky result, kernel failures become
 * ERR_MFL_DIVERGED naming step, branch and a smaller dt, progress covers every branch, and an
 * abort rejects with ERR_MFL_CANCELLED.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanField, mfConfig, parseMfSpec } from '../../../src/methods/mf/index.js';
import { backends } from '../../helpers/backends.js';
import { relativeError } from '../../helpers/compare.js';

const task = { task: 'parity' as const, d: 6, k: 2, P: 80, PTest: 50, seed: 3 };
const solver = { kappa: 0.1, particles: 32, steps: 30, dt: 0.01, seed: 4 };

describe('meanField on the kernel', () => {
  test('solve auto: woodbury when P > M, cholesky otherwise', () => {
    const spec = parseMfSpec({ task, network: { N: 16 }, solver });
    assert.equal(spec.solver.solve, 'auto');
    const shape = { P: 80, d: 6, PTest: 50, nRelevant: 2 };
    assert.equal(mfConfig(spec, 'prior', shape).solve, 'woodbury');
    assert.equal(mfConfig(spec, 'prior', { ...shape, P: 32 }).solve, 'cholesky');
    const fixed = parseMfSpec({
      task,
      network: { N: 16 },
      solver: { ...solver, solve: 'cholesky' },
    });
    assert.equal(mfConfig(fixed, 'prior', shape).solve, 'cholesky');
  });

  for (const backend of backends) {
    const tag = `(${backend.name})`;

    test(`auto (woodbury here) and cholesky give the same result ${tag}`, async () => {
      const auto = await meanField({ task, network: { N: 16 }, solver }, { backend });
      const cholesky = await meanField(
        { task, network: { N: 16 }, solver: { ...solver, solve: 'cholesky' } },
        { backend },
      );
      assert.ok(relativeError(auto.predictions(), cholesky.predictions()) < 1e-9);
      assert.ok(Math.abs(auto.testMse! - cholesky.testMse!) < 1e-9);
    });

    test(`a diverging run rejects with ERR_MFL_DIVERGED naming step and branch ${tag}`, async () => {
      await assert.rejects(
        meanField(
          { task, network: { N: 16 }, solver: { ...solver, dt: 1e4, steps: 300, init: 'both' } },
          { backend },
        ),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'ERR_MFL_DIVERGED');
          assert.match(
            error.message,
            /^mf diverged at step \d+ \(branch prior\): a particle became non-finite with dt = 10000; try a smaller step, e.g. dt: 2500$/,
          );
          return true;
        },
      );
    });

    test(`progress covers both branches; abort rejects with ERR_MFL_CANCELLED ${tag}`, async () => {
      const spec = { task, network: { N: 16 }, solver: { ...solver, init: 'both' as const } };
      const progress: [number, number][] = [];
      await meanField(spec, { backend, onProgress: (done, total) => progress.push([done, total]) });
      assert.deepEqual(progress.at(-1), [60, 60]);
      assert.ok(
        progress.some(([done]) => done === 30),
        'no progress at the end of branch 1',
      );
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] >= progress[i - 1]![0]);
      const isCancelled = (error: Error & { code?: string }): boolean =>
        error.code === 'ERR_MFL_CANCELLED';
      await assert.rejects(meanField(spec, { backend, signal: AbortSignal.abort() }), isCancelled);
      const controller = new AbortController();
      const long = { ...spec, solver: { ...spec.solver, steps: 100000 } };
      const running = meanField(long, {
        backend,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(running, isCancelled);
    });
  }
});
