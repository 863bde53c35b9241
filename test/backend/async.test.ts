/** generateTaskRowsAsync on every backend: same data as the sync call, progress, cancellation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskParams } from '../../src/backend/types.js';
import { backends } from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';

const PARAMS: TaskParams = { kind: 'single-index', d: 10, k: 3, labelNoise: 0.2, seed: 77 };

function buffers(n: number, d: number) {
  return { X: new Float64Array(n * d), y: new Float64Array(n) };
}

function isCancelled(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ERR_MFL_CANCELLED';
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;

  test(`async results equal the sync call, with monotone progress up to the total ${tag}`, async () => {
    const n = 30011;
    const sync = buffers(n, PARAMS.d);
    backend.generateTaskRows(PARAMS, { test: true, rowOffset: 5, ...sync });
    const async = buffers(n, PARAMS.d);
    const progress: [number, number][] = [];
    await backend.generateTaskRowsAsync(
      PARAMS,
      { test: true, rowOffset: 5, ...async },
      { onProgress: (done, total) => progress.push([done, total]) },
    );
    assertBitIdentical(async.X, sync.X, 'X');
    assertBitIdentical(async.y, sync.y, 'y');
    assert.ok(progress.length > 0, 'no progress reported');
    for (let i = 0; i < progress.length; i++) {
      const [done, total] = progress[i]!;
      assert.equal(total, n);
      assert.ok(done >= 0 && done <= n, `done = ${done}`);
      if (i > 0) assert.ok(done >= progress[i - 1]![0], 'progress went backwards');
    }
    assert.deepEqual(progress.at(-1), [n, n]);
  });

  test(`an already aborted signal rejects with ERR_MFL_CANCELLED before any work ${tag}`, async () => {
    const out = buffers(1000, PARAMS.d);
    let calls = 0;
    const promise = backend.generateTaskRowsAsync(
      PARAMS,
      { test: false, rowOffset: 0, ...out },
      { signal: AbortSignal.abort(), onProgress: () => calls++ },
    );
    await assert.rejects(promise, isCancelled);
    assert.equal(calls, 0, 'progress reported after abort');
    assert.ok(
      out.y.every((v) => v === 0),
      'rows written despite the abort',
    );
  });

  test(`aborting mid-way rejects with ERR_MFL_CANCELLED ${tag}`, async () => {
    // Large enough that neither backend finishes within one turn of the event loop.
    const n = 400000;
    const out = buffers(n, PARAMS.d);
    const controller = new AbortController();
    const promise = backend.generateTaskRowsAsync(
      PARAMS,
      { test: false, rowOffset: 0, ...out },
      {
        signal: controller.signal,
        onProgress: (done, total) => done < total && controller.abort(),
      },
    );
    setImmediate(() => controller.abort());
    await assert.rejects(promise, (error: Error) => {
      assert.ok(isCancelled(error), `unexpected error ${error}`);
      assert.match(error.message, /generateTaskRows/);
      return true;
    });
  });
}
