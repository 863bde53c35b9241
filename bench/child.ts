/**
 * A benchmark workload in a process of its own, for the throughput comparisons of bench/runs.ts
 * (parallel processes, BLAS threads: both are fixed when a process starts). Prints one JSON line.
 *
 *   node dist/bench/child.js sgld STEPS      the README's SGLD run with STEPS steps (sgldSpec)
 *   node dist/bench/child.js cholesky P RUNS relu NNGP Gram at P (d = 35), then RUNS timed
 *                                            Cholesky factorisations of copies of it
 *
 * BLAS threads come from OPENBLAS_NUM_THREADS in the environment the parent sets.
 */
import { performance } from 'node:perf_hooks';
import { getBackend } from '../src/backend/index.js';
import type { KernelSpec } from '../src/backend/types.js';
import { sgld } from '../src/methods/sgld/run.js';
import { median, parityInputs } from './harness.js';
import { sgldSpec } from './runs.js';

async function main(argv: string[]): Promise<unknown> {
  const [kind, ...rest] = argv;
  const numbers = rest.map(Number);
  const backend = getBackend('native');
  if (kind === 'sgld') {
    const started = performance.now();
    const r = await sgld(sgldSpec(numbers[0]!), { backend });
    return { seconds: (performance.now() - started) / 1e3, testMse: r.testMse };
  }
  if (kind === 'cholesky') {
    const [P, runs] = numbers as [number, number];
    const spec: KernelSpec = { kernel: 'relu', d: 35, sigmaW: 1, sigmaB: 1, bias: false };
    const K = new Float64Array(P * P);
    backend.nngpGram(spec, parityInputs(backend, P, 35), K);
    const A = new Float64Array(P * P);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      A.set(K);
      const started = performance.now();
      const info = backend.cholesky(A, P, 0.01);
      times.push((performance.now() - started) / 1e3);
      if (info !== 0) throw new Error(`Cholesky failed: leading minor ${info}`);
    }
    return { seconds: median(times), threads: backend.info().blas?.threads ?? null };
  }
  throw new Error(`unknown workload ${kind}: sgld STEPS | cholesky P RUNS`);
}

console.log(JSON.stringify(await main(process.argv.slice(2))));
