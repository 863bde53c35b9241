/**
 * sgldRunAsync on every backend: the same run as sgldRun, progress in steps up to the total, and
 * cancellation at a step boundary with ERR_MFL_CANCELLED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SgldConfig } from '../../src/backend/types.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { backends } from '../helpers/backends.js';
import {
  assertSameRun,
  initialState,
  runSgld,
  sgldConfig,
  sgldData,
  skipUnlessSgld,
  type SgldRunOutcome,
} from '../helpers/sgld.js';

function isCancelled(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ERR_MFL_CANCELLED';
}

const VARIANTS: [string, Partial<SgldConfig>][] = [
  ['MALA with bias', { mala: true, bias: true }],
  ['minibatch', { batchSize: 16, activation: 'tanh' }],
];

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessSgld(backend);

  for (const [name, overrides] of VARIANTS) {
    test(
      `async equals sync, with monotone progress in steps up to the total: ${name} ${tag}`,
      { skip },
      async () => {
        const config = sgldConfig({ steps: 3000, ...overrides });
        const data = sgldData(config);
        const sync = runSgld(backend, config, data, [0, 100, 3000]);
        const state = initialState(config);
        const acc = createSgldAccumulators(config);
        backend.sgldRun(config, data, state, acc, 0, 100);
        const progress: [number, number][] = [];
        const result = await backend.sgldRunAsync(config, data, state, acc, 100, 3000, {
          onProgress: (done, total) => progress.push([done, total]),
        });
        assert.deepEqual(result, { stepsDone: 2900, divergedChain: -1, divergedStep: -1 });
        assertSameRun({ state, acc, results: [] }, { ...sync, results: [] });
        assert.ok(progress.length > 0, 'no progress reported');
        for (let i = 0; i < progress.length; i++) {
          const [done, total] = progress[i]!;
          assert.equal(total, 2900);
          assert.ok(done >= 0 && done <= total, `done = ${done}`);
          if (i > 0) assert.ok(done >= progress[i - 1]![0], 'progress went backwards');
        }
        assert.deepEqual(progress.at(-1), [2900, 2900]);
      },
    );
  }

  test(`async divergence resolves with the same result as sync ${tag}`, { skip }, async () => {
    const config = sgldConfig({ eta: 1e3 });
    const data = sgldData(config);
    const sync = runSgld(backend, config, data, [0, 1000]);
    const state = initialState(config);
    const acc = createSgldAccumulators(config);
    const result = await backend.sgldRunAsync(config, data, state, acc, 0, 1000);
    assert.ok(result.divergedChain >= 0, 'did not diverge');
    assert.deepEqual(result, sync.results[0]);
    assertSameRun({ state, acc, results: [] }, { ...sync, results: [] });
  });

  test(
    `an already aborted signal rejects with ERR_MFL_CANCELLED before any work ${tag}`,
    { skip },
    async () => {
      const config = sgldConfig();
      const state = initialState(config);
      const before = initialState(config);
      const acc = createSgldAccumulators(config);
      let calls = 0;
      const promise = backend.sgldRunAsync(config, sgldData(config), state, acc, 0, 1000, {
        signal: AbortSignal.abort(),
        onProgress: () => calls++,
      });
      await assert.rejects(promise, isCancelled);
      assert.equal(calls, 0, 'progress reported after abort');
      assert.deepEqual(state, before, 'state changed despite the abort');
      assert.ok(
        acc.nSamples.every((n) => n === 0),
        'samples recorded despite the abort',
      );
    },
  );

  test(
    `aborting mid-way rejects with ERR_MFL_CANCELLED at a step boundary ${tag}`,
    { skip },
    async () => {
      // MALA counts one proposal per chain-step, so malaProposed tells how many steps were done.
      // Long enough that neither backend finishes within one turn of the event loop.
      const config = sgldConfig({ mala: true, steps: 200000, burnIn: 100, thin: 10 });
      const data = sgldData(config);
      const state = initialState(config);
      const acc = createSgldAccumulators(config);
      const controller = new AbortController();
      const promise = backend.sgldRunAsync(config, data, state, acc, 0, config.steps, {
        signal: controller.signal,
        onProgress: (done, total) => done < total && controller.abort(),
      });
      setImmediate(() => controller.abort());
      await assert.rejects(promise, (error: Error) => {
        assert.ok(isCancelled(error), `unexpected error ${error}`);
        assert.match(error.message, /sgldRun/);
        return true;
      });
      const done = acc.malaProposed[0]!;
      assert.ok(done >= 0 && done < config.steps, `steps done: ${done}`);
      assert.equal(acc.malaProposed[1], done, 'chains stopped at different steps');
      const expected: SgldRunOutcome = runSgld(backend, config, data, [0, done]);
      assertSameRun({ state, acc, results: [] }, { ...expected, results: [] });
    },
  );
}
