/**
 * The OpenBLAS kernel choice (src/binding.ts, chooseOpenBlasKernels): the CPU flags map to the
 * kernel set they support, and loading the addon with OPENBLAS_CORETYPE unset names that set
 * before OpenBLAS reads it (visible in the library's own configuration string), unless
 * MFL_OPENBLAS_CORETYPE=keep.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openBlasCoreTypeFor, packageRoot } from '../../src/binding.js';
import { skipUnlessNative } from '../helpers/backends.js';

describe('OpenBLAS kernel choice', () => {
  test('CPU flags -> kernel set', () => {
    const skx = ['avx512f', 'avx512dq', 'avx512bw', 'avx512vl', 'avx2', 'fma'];
    assert.equal(openBlasCoreTypeFor(new Set(skx)), 'SkylakeX');
    assert.equal(openBlasCoreTypeFor(new Set(['avx512f', 'avx2', 'fma'])), 'Haswell');
    assert.equal(openBlasCoreTypeFor(new Set(['avx2', 'fma', 'sse3'])), 'Haswell');
    assert.equal(openBlasCoreTypeFor(new Set(['avx2'])), null);
    assert.equal(openBlasCoreTypeFor(new Set(['sse3', 'avx'])), null);
  });

  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  test(
    'loading the addon sets OPENBLAS_CORETYPE when unset, and OpenBLAS uses it',
    { skip: skipUnlessNative() || (!linuxX64 && 'Linux x86-64 only') },
    () => {
      const flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
      const expected = openBlasCoreTypeFor(new Set(flags ? flags[1]!.trim().split(/\s+/) : []));
      const probe = (extra: Record<string, string>) => {
        const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
        delete env.OPENBLAS_CORETYPE;
        const index = path.join(packageRoot, 'dist', 'src', 'index.js');
        const r = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(index)});
             const info = m.getBackend('native').info();
             console.log(JSON.stringify([process.env.OPENBLAS_CORETYPE ?? null, info.blas.config]));`,
          ],
          { env, encoding: 'utf8' },
        );
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as [string | null, string];
      };
      const [chosen, config] = probe({});
      assert.equal(chosen, expected);
      // Only DYNAMIC_ARCH builds read the variable; a fixed-target build names its own core.
      if (expected && config.includes('DYNAMIC_ARCH')) {
        assert.ok(config.split(/\s+/).includes(expected), config);
      }
      const [kept] = probe({ MFL_OPENBLAS_CORETYPE: 'keep' });
      assert.equal(kept, null);
    },
  );
});
