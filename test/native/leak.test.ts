/**
 * Memory stays flat over 100k calls of every native entry point (valid and failing calls, sync
 * and async). Measured in a child process so other tests' allocations do not interfere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/binding.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('native calls do not leak memory (RSS flat over 100k rounds)', (t) => {
  if (!loadNative().addon) {
    t.skip(`native addon unavailable: ${loadNative().error}`);
    return;
  }
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(here, 'leak-child.js'), '100000'],
    { encoding: 'utf8', env: { ...process.env } },
  );
  const { before, mid, after } = JSON.parse(out) as { before: number; mid: number; after: number };
  const mib = (x: number): number => x / 2 ** 20;
  // Each round allocates ~1.5 KiB of typed arrays and throws two errors: a leak of even one
  // small object per call would add > 10 MiB over 100k rounds (a dozen calls each).
  assert.ok(
    mib(mid - before) < 10,
    `RSS grew by ${mib(mid - before).toFixed(1)} MiB over 100k rounds (${mib(before).toFixed(1)} -> ${mib(mid).toFixed(1)} MiB)`,
  );
  assert.ok(
    mib(after - mid) < 10,
    `RSS grew by ${mib(after - mid).toFixed(1)} MiB over 200 async jobs`,
  );
});
