/**
 * BLAS called from several threads at once, as the SGLD kernel's chain threads call it
 * (test/native/blas-threads-child.ts): concurrent dgemm on an SGLD step's shapes, and a float32
 * SGLD run (sgemm) with its chains on 4 threads, give the bits of sequential calls. Checked in
 * child processes with OPENBLAS_NUM_THREADS = 1 (what the `mfl` command sets) and 2 (OpenBLAS's
 * own threads inside each caller's call).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipUnlessNative } from '../helpers/backends.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'blas-threads-child.js');

for (const blasThreads of ['1', '2']) {
  test(
    `concurrent dgemm and sgemm give sequential bits (OPENBLAS_NUM_THREADS=${blasThreads})`,
    { skip: skipUnlessNative() },
    () => {
      const r = spawnSync(process.execPath, [child], {
        env: { ...process.env, OPENBLAS_NUM_THREADS: blasThreads },
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout.trim(), 'ok');
    },
  );
}
