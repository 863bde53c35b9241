/**
 * Child side of test/native/blasThreads.test.ts (run with the OPENBLAS_NUM_THREADS under test):
 * four worker threads, each its own Node environment and so its own native calls, multiply the
 * two products of an SGLD step 30 times at once and must get the main thread's sequential bits;
 * then a float32 SGLD run with its 4 chains on 4 threads (concurrent sgemm) must equal the
 * one-thread run, 5 times. Prints "ok", else exits 1 with what differed.
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backend/types.js';
import { nativeBackend } from '../helpers/backends.js';
import { assertSameRun, runSgld, sgldConfig, sgldData } from '../helpers/sgld.js';

const P = 1024;
const d = 35;
const N = 256;

function fill(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
}

function products(backend: Backend): Float64Array[] {
  const X = fill(P * d, 1);
  const W = fill(N * d, 2);
  const G = fill(P * N, 3);
  const H = new Float64Array(P * N);
  const gW = new Float64Array(N * d);
  backend.gemm({ transA: false, transB: true, M: P, N, K: d, alpha: 0.17, beta: 0 }, X, W, H);
  backend.gemm({ transA: true, transB: false, M: N, N: d, K: P, alpha: 0.17, beta: 0 }, G, X, gW);
  return [H, gW];
}

function native(): Backend {
  const backend = nativeBackend();
  if (!backend) throw new Error('native backend unavailable');
  return backend;
}

function same(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

if (!isMainThread) {
  const out = Array.from({ length: 30 }, () => products(native()));
  parentPort!.postMessage(out);
} else {
  const expected = products(native());
  const self = fileURLToPath(import.meta.url);
  const runs = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<Float64Array[][]>((resolve, reject) => {
          const worker = new Worker(self);
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const mismatches = runs
    .flat()
    .filter((r) => !same(r[0]!, expected[0]!) || !same(r[1]!, expected[1]!));
  if (mismatches.length > 0) {
    console.error(`dgemm: ${mismatches.length} of ${runs.flat().length} concurrent results differ`);
    process.exit(1);
  }
  const config = sgldConfig({
    P: 512,
    d: 35,
    N: 128,
    PTest: 64,
    chains: 4,
    steps: 60,
    burnIn: 10,
    thin: 1,
    observeEvery: 5,
    precision: 'float32',
  });
  const data = sgldData(config);
  const one = runSgld(native(), config, data);
  for (let r = 0; r < 5; r++)
    assertSameRun(runSgld(native(), { ...config, threads: 4 }, data), one);
  console.log('ok');
}
