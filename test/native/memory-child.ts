/**
 * Run by memory.test.ts in a child process with --expose-gc: 100 large native calls (sgldRun on a
 * 2000 x 200 dataset, the KRR Gram matrix, Cholesky and solve at P = 1000, each with fresh
 * arrays of several MB), 100 async SGLD jobs on the same data cancelled while they run, and
 * 100,000 small calls (one native call each, arrays reused), in a warm-up batch of a tenth and
 * then the rest. Prints RSS after each batch (after a full GC) and
 * the time taken as JSON.
 */
import { loadNative } from '../../src/binding.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { initialState, sgldConfig, sgldData } from '../helpers/sgld.js';

const addon = loadNative().addon;
if (!addon) throw new Error(`native addon unavailable: ${loadNative().error}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const native = addon;

// ---- large calls ----------------------------------------------------------------------------

const big = sgldConfig({ P: 2000, d: 200, N: 64, PTest: 500, chains: 1, steps: 2, burnIn: 0 });
const bigData = sgldData({ ...big, thin: 1, observeEvery: 1 }); // X: 3.2 MB, XTest: 0.8 MB
const bigConfig = { ...big, thin: 1, observeEvery: 1 };

/** One SGLD run with a fresh state and fresh accumulators. */
function largeSgld(): void {
  const state = initialState(bigConfig);
  native.sgldRun(bigConfig, bigData, state, createSgldAccumulators(bigConfig), 0, 2);
}

const KRR_P = 1000;
const KRR_D = 20;
const kernel = { kernel: 'relu', d: KRR_D, sigmaW: 1, sigmaB: 1, bias: true } as const;
const krrX = new Float64Array(KRR_P * KRR_D);
native.fillGaussian(5, 1, 0, krrX);
const krrY = new Float64Array(KRR_P);
native.fillGaussian(5, 2, 0, krrY);

/** K(X, X) + ridge I = L L^T and alpha = (K + ridge I)^-1 y on fresh arrays (8 MB of K). */
function largeKrr(): void {
  const K = new Float64Array(KRR_P * KRR_P);
  native.nngpGram(kernel, krrX, K);
  const info = native.cholesky(K, KRR_P, 1e-3);
  if (info !== 0) throw new Error(`cholesky failed at minor ${info}`);
  const alpha = krrY.slice();
  native.choleskySolve(K, KRR_P, alpha);
}

/** An async SGLD job of many steps with fresh state and accumulators, cancelled as soon as it
 *  has started: everything it holds must be released when its promise settles. */
async function cancelledSgld(): Promise<void> {
  const config = { ...bigConfig, steps: 1000 };
  const job = native.sgldRunAsync(
    config,
    bigData,
    initialState(config),
    createSgldAccumulators(config),
    0,
    1000,
    null,
  );
  await new Promise((resolve) => setTimeout(resolve, 1));
  job.cancel();
  await job.promise.catch(() => {});
}

// ---- small calls ----------------------------------------------------------------------------

const shape = { P: 8, d: 5, N: 6, gamma: 0.5, activation: 'erf', bias: true } as const;
const X = new Float64Array(shape.P * shape.d).fill(0.3);
const y = new Float64Array(shape.P).fill(1);
const W = new Float64Array(shape.N * shape.d).fill(0.2);
const a = new Float64Array(shape.N).fill(0.5);
const b = new Float64Array(shape.N).fill(0.1);
const f = new Float64Array(shape.P);
const gW = new Float64Array(W.length);
const ga = new Float64Array(shape.N);
const gb = new Float64Array(shape.N);
const buf = new Float64Array(64);
const task = {
  kind: 'parity',
  d: 5,
  k: 2,
  labelNoise: 0.1,
  seed: 3,
  test: false,
  rowOffset: 0,
} as const;
const tiny = sgldConfig({ P: 8, d: 5, N: 4, PTest: 3, chains: 1, steps: 1, burnIn: 0, thin: 1 });
const tinyData = sgldData(tiny);
const tinyStart = initialState(tiny);
const tinyState = { W: tinyStart.W.slice(), a: tinyStart.a.slice(), b: null };
const tinyAcc = createSgldAccumulators(tiny);
const K = new Float64Array(64);

/** One small native call, the i-th of a rotation over several entry points and an error path. */
function small(i: number): void {
  switch (i % 6) {
    case 0:
      native.forward(shape, X, W, a, b, f);
      return;
    case 1:
      native.lossGradient(shape, X, y, W, a, b, f, gW, ga, gb);
      return;
    case 2:
      native.generateTaskRows(task, buf.subarray(0, 40), buf.subarray(40, 48));
      return;
    case 3:
      tinyState.W.set(tinyStart.W);
      tinyState.a.set(tinyStart.a);
      native.sgldRun(tiny, tinyData, tinyState, tinyAcc, 0, 1);
      return;
    case 4:
      native.nngpGram({ ...kernel, d: 5 }, X, K);
      native.cholesky(K, 8, 0.1);
      return;
    default:
      try {
        native.forward({ ...shape, d: 0 }, X, W, a, b, f);
      } catch {
        // expected: the error path must release what it allocated too
      }
  }
}

async function batch(large: number, smallCalls: number): Promise<void> {
  for (let i = 0; i < large; i++) {
    if (i % 2 === 0) largeSgld();
    else largeKrr();
    await cancelledSgld();
  }
  for (let i = 0; i < smallCalls; i++) small(i);
}

function rssAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().rss;
}

const started = performance.now();
await batch(10, 10_000);
const warm = rssAfterGc();
await batch(90, 90_000);
const after = rssAfterGc();
process.stdout.write(
  JSON.stringify({ warm, after, seconds: (performance.now() - started) / 1000 }),
);
