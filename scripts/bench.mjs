#!/usr/bin/env node
// `npm run bench`: compiles, then runs bench/index.ts with one BLAS thread and OpenBLAS's own
// kernel choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset), unless MFL_BENCH_KEEP_ENV=1.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const env = { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' };
if (process.env.MFL_BENCH_KEEP_ENV !== '1') {
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
}
const r = spawnSync(
  process.execPath,
  [path.join(root, 'dist', 'bench', 'index.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env,
  },
);
process.exit(r.status ?? 1);
