/**
 * Run by leak.test.ts in a child process with --expose-gc: calls every native entry point
 * `calls` times (valid and invalid arguments alike) and prints RSS before and after as JSON.
 */
import { loadNative, type NativeNetworkOptions } from '../../src/binding.js';

const addon = loadNative().addon;
if (!addon) throw new Error(`native addon unavailable: ${loadNative().error}`);
const calls = Number(process.argv[2] ?? 100000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const shape: NativeNetworkOptions = { P: 8, d: 5, N: 6, gamma: 0.5, activation: 'erf', bias: true };
const X = new Float64Array(shape.P * shape.d).fill(0.3);
const y = new Float64Array(shape.P).fill(1);
const W = new Float64Array(shape.N * shape.d).fill(0.2);
const a = new Float64Array(shape.N).fill(0.5);
const b = new Float64Array(shape.N).fill(0.1);
const f = new Float64Array(shape.P);
const gW = new Float64Array(W.length);
const ga = new Float64Array(shape.N);
const gb = new Float64Array(shape.N);
const task = {
  kind: 'parity',
  d: 5,
  k: 2,
  labelNoise: 0.1,
  seed: 3,
  test: false,
  rowOffset: 0,
} as const;

const kernel = { kernel: 'relu', d: 5, sigmaW: 1, sigmaB: 0.5, bias: true } as const;
const K = new Float64Array(8 * 8);
const B = new Float64Array(2 * 8);
const C = new Float64Array(8 * 6);

function round(): void {
  const buf = new Float64Array(64);
  addon!.fillGaussian(1, 2, 3, buf);
  addon!.fillUniform(1, 2, 3, buf);
  addon!.generateTaskRows(task, new Float64Array(40), new Float64Array(8));
  addon!.forward(shape, X, W, a, b, f);
  addon!.lossGradient(shape, X, y, W, a, b, f, gW, ga, gb);
  addon!.nngpGram(kernel, X, K);
  addon!.cholesky(K, 8, 0.1);
  B.fill(1);
  addon!.choleskySolve(K, 8, B);
  addon!.gemm({ transA: false, transB: true, M: 8, N: 6, K: 5, alpha: 1, beta: 0 }, X, W, C);
  try {
    addon!.nngpGram({ ...kernel, d: 3 }, X, K);
  } catch {
    // expected: X's length is not a multiple of d
  }
  try {
    addon!.forward({ ...shape, d: 0 }, X, W, a, b, f);
  } catch {
    // expected: every error path must release what it allocated too
  }
  try {
    addon!.lossGradient(shape, X, new Float64Array(3), W, a, b, f, gW, ga, gb);
  } catch {
    // expected
  }
}

function rssAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  for (let i = 0; i < 2000; i++) round(); // warm up allocators and JIT
  const before = rssAfterGc();
  for (let i = 0; i < calls; i++) round();
  const mid = rssAfterGc();
  for (let i = 0; i < 200; i++) {
    const job = addon!.generateTaskRowsAsync(task, new Float64Array(40), new Float64Array(8), null);
    if (i % 2 === 0) job.cancel();
    await job.promise.catch(() => undefined);
  }
  const after = rssAfterGc();
  process.stdout.write(JSON.stringify({ calls, before, mid, after }));
}

await main();
