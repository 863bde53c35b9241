/**
 * RSS stays flat over 100 large native calls (SGLD on a few-MB dataset, the KRR Gram matrix and
 * Cholesky at P = 1000) and 100 async SGLD jobs cancelled mid-run: the growth after a warm-up
 * batch of a tenth of them is bounded. 100,000 small calls of every entry point are leak.test.ts's.
 * Measured in a child process so other tests' allocations do not interfere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/binding.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Allowed RSS growth from the end of the warm-up to the end of the run. */
const MAX_GROWTH_MIB = 20;

test('100 large and 100 cancelled async native calls keep RSS flat', { timeout: 120_000 }, (t) => {
  if (!loadNative().addon) {
    t.skip(`native addon unavailable: ${loadNative().error}`);
    return;
  }
  // glibc's malloc raises its mmap threshold (up to 32 MiB) after the first free of an mmapped
  // block, so later multi-MB arrays come from the heap and may stay resident after they are
  // freed: RSS then jumps by tens of MiB at random (12 runs: -12 to +28 MiB without a leak). A
  // fixed threshold keeps every large block mmapped and returned on free (12 runs: 0 to 1.5 MiB),
  // and a leaked one still counts. Other C libraries ignore the variable.
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(here, 'memory-child.js')], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(128 * 1024) },
  });
  const { warm, after, seconds } = JSON.parse(out) as {
    warm: number;
    after: number;
    seconds: number;
  };
  const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
  // A leak of one 8 MB Gram matrix or one few-MB SGLD workspace per large call would add
  // hundreds of MiB over the 90 calls after the warm-up.
  assert.ok(
    after - warm < MAX_GROWTH_MIB * 2 ** 20,
    `RSS grew by ${mib(after - warm)} MiB (allowed: < ${MAX_GROWTH_MIB} MiB) from the warm-up ` +
      `(${mib(warm)} MiB) to the end (${mib(after)} MiB) of 90 large and 90 cancelled calls ` +
      `(${seconds.toFixed(1)} s)`,
  );
});
