/**
 * mfRunAsync on every backend: the same run as mfRun, progress in steps up to the total,
 * failures resolved (not rejected) as mfRun reports them, and cancellation at a step boundary
 * with ERR_MFL_CANCELLED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { backends } from '../helpers/backends.js';
import {
  assertSameMfRun,
  mfData,
  mfInitialState,
  mfKernelConfig,
  runMf,
  skipUnlessMf,
} from '../helpers/mf.js';

function isCancelled(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ERR_MFL_CANCELLED';
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessMf(backend);

  test(
    `async equals sync, with monotone progress in steps up to the total ${tag}`,
    { skip },
    async () => {
      const config = mfKernelConfig({ steps: 600, burnIn: 100, ardEma: 0.05, solve: 'woodbury' });
      const data = mfData(config);
      const sync = runMf(backend, config, data, [0, 50, 600]);
      const state = mfInitialState(config);
      const acc = createMfAccumulators(config);
      backend.mfRun(config, data, state, acc, 0, 50);
      const progress: [number, number][] = [];
      const result = await backend.mfRunAsync(config, data, state, acc, 50, 600, {
        onProgress: (done, total) => progress.push([done, total]),
      });
      assert.deepEqual(result, { stepsDone: 550, failure: 'none', failedStep: -1, info: 0 });
      assertSameMfRun({ state, acc, results: [] }, { ...sync, results: [] });
      assert.ok(progress.length > 0, 'no progress reported');
      for (let i = 0; i < progress.length; i++) {
        const [done, total] = progress[i]!;
        assert.equal(total, 550);
        assert.ok(done >= 0 && done <= total, `done = ${done}`);
        if (i > 0) assert.ok(done >= progress[i - 1]![0], 'progress went backwards');
      }
      assert.deepEqual(progress.at(-1), [550, 550]);
    },
  );

  test(`async failure resolves with the same result as sync ${tag}`, { skip }, async () => {
    const config = mfKernelConfig({ dt: 1e4, steps: 200, burnIn: 150 });
    const data = mfData(config);
    const sync = runMf(backend, config, data);
    const state = mfInitialState(config);
    const acc = createMfAccumulators(config);
    const result = await backend.mfRunAsync(config, data, state, acc, 0, 200);
    assert.equal(result.failure, 'nonFinite');
    assert.deepEqual(result, sync.results[0]);
    assertSameMfRun({ state, acc, results: [] }, { ...sync, results: [] });
  });

  test(
    `an already aborted signal rejects with ERR_MFL_CANCELLED before any work ${tag}`,
    { skip },
    async () => {
      const config = mfKernelConfig();
      const state = mfInitialState(config);
      const before = mfInitialState(config);
      const acc = createMfAccumulators(config);
      let calls = 0;
      const promise = backend.mfRunAsync(config, mfData(config), state, acc, 0, 60, {
        signal: AbortSignal.abort(),
        onProgress: () => calls++,
      });
      await assert.rejects(promise, isCancelled);
      assert.equal(calls, 0, 'progress reported after abort');
      assert.deepEqual(state, before, 'state changed despite the abort');
      assert.deepEqual(acc, createMfAccumulators(config), 'accumulators changed despite the abort');
    },
  );

  test(
    `aborting mid-way rejects with ERR_MFL_CANCELLED at a step boundary ${tag}`,
    { skip },
    async () => {
      // Every step is a sample, so nSamples tells how many steps were done. Long enough that
      // neither backend finishes within one turn of the event loop.
      const config = mfKernelConfig({
        steps: 200000,
        burnIn: 0,
        sampleEvery: 1,
        observeEvery: 1000,
      });
      const data = mfData(config);
      const state = mfInitialState(config);
      const acc = createMfAccumulators(config);
      const controller = new AbortController();
      const promise = backend.mfRunAsync(config, data, state, acc, 0, config.steps, {
        signal: controller.signal,
        onProgress: (done, total) => done < total && controller.abort(),
      });
      setImmediate(() => controller.abort());
      await assert.rejects(promise, (error: Error) => {
        assert.ok(isCancelled(error), `unexpected error ${error}`);
        assert.match(error.message, /mfRun/);
        return true;
      });
      const done = acc.nSamples[0]!;
      assert.ok(done >= 0 && done < config.steps, `steps done: ${done}`);
      const expected = runMf(backend, config, data, [0, done]);
      assertSameMfRun({ state, acc, results: [] }, { ...expected, results: [] });
    },
  );
}
