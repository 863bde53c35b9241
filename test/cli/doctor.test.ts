/**
 * The doctor's performance hints: OpenBLAS falling back to pre-AVX2 kernels, and the prebuilt
 * addon on a CPU where a local build is faster.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/binding.js';
import type { BackendInfo } from '../../src/backend/types.js';
import { performanceHints } from '../../src/cli/commands/doctor.js';

function info(config: string, cpuFeatures: string[]): BackendInfo {
  return {
    backend: 'native',
    version: '0',
    blas: { vendor: 'OpenBLAS', config, threads: 1 },
    lapack: null,
    compiler: null,
    buildSystem: null,
    cpuFeatures,
  };
}

test('hints at OPENBLAS_CORETYPE when OpenBLAS runs Prescott kernels on an AVX2 CPU', () => {
  const prescott = info('OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64', [
    'avx',
    'avx2',
  ]);
  const hints = performanceHints(prescott, {});
  assert.equal(hints.length, 1);
  assert.match(hints[0]!, /Prescott kernels on a CPU with AVX2; export OPENBLAS_CORETYPE=Haswell/);
  assert.deepEqual(performanceHints(prescott, { OPENBLAS_CORETYPE: 'Haswell' }), []);
  assert.deepEqual(performanceHints(info('OpenBLAS 0.3.21 Haswell', ['avx2']), {}), []);
  assert.deepEqual(performanceHints(info('OpenBLAS 0.3.21 Prescott', ['sse4.2']), {}), []);
  assert.deepEqual(performanceHints(null, {}), []);
});

test('hints at a local build when the prebuild runs on an AVX-512 CPU', () => {
  const haswell = info('OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell (linked statically)', ['avx2']);
  const skylake = info('OpenBLAS 0.3.21 DYNAMIC_ARCH SkylakeX (linked statically)', [
    'avx2',
    'avx512f',
  ]);
  const hints = performanceHints(skylake, {}, 'prebuild');
  assert.equal(hints.length, 1);
  assert.match(hints[0]!, /MFL_BUILD_FROM_SOURCE=1 npm rebuild mfl/);
  assert.deepEqual(performanceHints(skylake, {}, 'local build'), []);
  assert.deepEqual(performanceHints(haswell, {}, 'prebuild'), []);
});

test('the CLI uses one BLAS thread unless OPENBLAS_NUM_THREADS says otherwise', (t) => {
  const threads = (env: Record<string, string | undefined>): number | undefined => {
    const childEnv = { ...process.env, ...env } as Record<string, string>;
    if (env.OPENBLAS_NUM_THREADS === undefined) delete childEnv.OPENBLAS_NUM_THREADS;
    const r = spawnSync(
      process.execPath,
      [path.join(packageRoot, 'bin', 'mfl.js'), 'doctor', '--json'],
      {
        encoding: 'utf8',
        env: childEnv,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { blas: { threads: number } | null }).blas?.threads;
  };
  const unset = threads({ OPENBLAS_NUM_THREADS: undefined });
  if (unset === undefined) {
    t.skip('native backend unavailable: no BLAS to ask');
    return;
  }
  assert.equal(unset, 1);
  assert.equal(threads({ OPENBLAS_NUM_THREADS: '2' }), 2);
});
