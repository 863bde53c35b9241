/**
 * Run by memory.test.ts in a child process with --expose-gc: 100 large native calls (sgldRun on a
 * 2000 x 200 dataset, the KRR Gram matrix, Cholesky and solve at P = 1000, each with fresh
 * arrays of several MB) and 100 async SGLD jobs on the same data cancelled while they run, in a
 * warm-up batch of a tenth and then the rest. Small calls are leak-child.ts's (100k rounds of
 * every entry point). Prints RSS after each batch (after a full GC) and
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

async function batch(large: number): Promise<void> {
  for (let i = 0; i < large; i++) {
    if (i % 2 === 0) largeSgld();
    else largeKrr();
    await cancelledSgld();
  }
}

function rssAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().rss;
}

const started = performance.now();
await batch(10);
const warm = rssAfterGc();
await batch(90);
const after = rssAfterGc();
process.stdout.write(
  JSON.stringify({ warm, after, seconds: (performance.now() - started) / 1000 }),
);
