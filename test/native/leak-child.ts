/**
 * Run by leak.test.ts in a child process with --expose-gc: calls every native entry point
 * `calls` times (valid and invalid arguments alike) and prints RSS before and after as JSON.
 */
import { loadNative, type NativeMfConfig, type NativeNetworkOptions } from '../../src/binding.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { initialState, sgldConfig, sgldData } from '../helpers/sgld.js';

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

const mfConfig: NativeMfConfig = {
  P: 8,
  d: 5,
  PTest: 3,
  M: 4,
  N: 16,
  gamma: 0.5,
  kappa: 0.1,
  sigmaW: 1,
  sigmaA: 1,
  activation: 'tanh',
  dt: 0.01,
  seed: 1,
  branch: 0,
  steps: 2,
  burnIn: 0,
  sampleEvery: 1,
  observeEvery: 1,
  batches: 2,
  nRelevant: 2,
  ardAlpha0: 1,
  ardBeta0: 1,
  ardEma: 0.1,
  ardPrecisions: 'coordinate',
  histBins: 4,
  histRange: 3,
  solve: 'woodbury',
  average: 'kernel',
  threads: 2,
};
const mfData = { X, y, XTest: X.subarray(0, 15), yTest: y.subarray(0, 3), targetTest: null };
const mfStart = new Float64Array(20).fill(0.1);
// Reset in place each round: fresh arrays per round grow V8's young generation (RSS) by ~30 MiB.
const mfState = { W: mfStart.slice(), rho: new Float64Array(5), rPrev: new Float64Array(8) };
const mfAcc = {
  nSamples: new Float64Array(1),
  sumFTest: new Float64Array(3),
  sumFTrain: new Float64Array(8),
  sumFTrainBatch: new Float64Array(16),
  batchSums: new Float64Array(6),
  sumQ: new Float64Array(5),
  sumSpecialisation: new Float64Array(1),
  hist: new Float64Array(18),
  moments: new Float64Array(12),
  counts: new Float64Array(3),
  sumStepChange: new Float64Array(1),
  nStepChange: new Float64Array(1),
  series: new Float64Array(8),
  sampleW: new Float64Array(2 * 20),
  kernelFTrain: new Float64Array(8),
  kernelFTest: new Float64Array(3),
};

function mfRound(): void {
  mfState.W.set(mfStart);
  mfState.rho.fill(1);
  addon!.mfRun(mfConfig, mfData, mfState, mfAcc, 0, 2);
  try {
    addon!.mfRun({ ...mfConfig, kappa: NaN }, mfData, mfState, mfAcc, 0, 2);
  } catch {
    // expected
  }
}

const sgld = sgldConfig({ P: 8, d: 5, N: 4, PTest: 3, chains: 1, steps: 1, burnIn: 0, thin: 1 });
const sgldInputs = sgldData(sgld);
const sgldStart = initialState(sgld);
const sgldState = { W: sgldStart.W.slice(), a: sgldStart.a.slice(), b: null };
const sgldAcc = createSgldAccumulators(sgld);

function sgldRound(): void {
  sgldState.W.set(sgldStart.W);
  sgldState.a.set(sgldStart.a);
  addon!.sgldRun(sgld, sgldInputs, sgldState, sgldAcc, 0, 1);
}

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
  mfRound();
  sgldRound();
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
    mfState.W.set(mfStart);
    mfState.rho.fill(1);
    const mfJob = addon!.mfRunAsync(mfConfig, mfData, mfState, mfAcc, 0, 2, null);
    if (i % 2 === 0) mfJob.cancel();
    await mfJob.promise.catch(() => undefined);
  }
  const after = rssAfterGc();
  process.stdout.write(JSON.stringify({ calls, before, mid, after }));
}

await main();
