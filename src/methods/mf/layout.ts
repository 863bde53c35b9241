/**
 * Sizes of the mean-field kernel's accumulators (docs/mf.md, "Kernel contract"), shared by both
 * backends and the driver.
 */
import type { MfAccumulators, MfKernelConfig } from '../../backend/types.js';

/** Histogram groups: relevant first-layer weights, irrelevant ones, the second-layer weight a. */
export const MF_HIST_GROUPS = 3;

/** Columns of a series row: step, trainMse, mS, stepChange. */
export const MF_SERIES_COLUMNS = 4;

/** Columns of a batch's sums: samples, mS, trainMse. */
export const MF_BATCH_COLUMNS = 3;

/** Test rows per chunk of the test-set predictor (bounds the M x rows scratch). */
export const MF_TEST_CHUNK = 512;

/** Number of observe steps t in [0, steps) with t mod observeEvery == 0. */
export function mfObserveCount(config: Pick<MfKernelConfig, 'steps' | 'observeEvery'>): number {
  const { steps, observeEvery } = config;
  return steps > 0 ? Math.floor((steps - 1) / observeEvery) + 1 : 0;
}

/**
 * Samples whose particles average 'kernel' keeps: the sample steps t in [burnIn, steps) with
 * (t - burnIn) mod sampleEvery == 0; 0 for average 'predictor'.
 */
export function mfSampleCount(
  config: Pick<MfKernelConfig, 'steps' | 'burnIn' | 'sampleEvery' | 'average'>,
): number {
  const { steps, burnIn, sampleEvery } = config;
  if (config.average !== 'kernel') return 0;
  return Math.floor((steps - 1 - burnIn) / sampleEvery) + 1;
}

/** The accumulator arrays, in the order the kernel contract lists them. */
export const MF_ACC_KEYS = [
  'nSamples',
  'sumFTest',
  'sumFTrain',
  'sumFTrainBatch',
  'batchSums',
  'sumQ',
  'sumSpecialisation',
  'hist',
  'moments',
  'counts',
  'sumStepChange',
  'nStepChange',
  'series',
  'sampleW',
  'kernelFTrain',
  'kernelFTest',
] as const satisfies readonly (keyof MfAccumulators)[];

/** Zeroed accumulators for `config`. */
export function createMfAccumulators(config: MfKernelConfig): MfAccumulators {
  const { P, d, PTest, histBins, batches } = config;
  const kernel = config.average === 'kernel';
  return {
    nSamples: new Float64Array(1),
    sumFTest: new Float64Array(PTest),
    sumFTrain: new Float64Array(P),
    sumFTrainBatch: new Float64Array(batches * P),
    batchSums: new Float64Array(batches * MF_BATCH_COLUMNS),
    sumQ: new Float64Array(d),
    sumSpecialisation: new Float64Array(1),
    hist: new Float64Array(MF_HIST_GROUPS * (histBins + 2)),
    moments: new Float64Array(MF_HIST_GROUPS * 4),
    counts: new Float64Array(MF_HIST_GROUPS),
    sumStepChange: new Float64Array(1),
    nStepChange: new Float64Array(1),
    series: new Float64Array(mfObserveCount(config) * MF_SERIES_COLUMNS),
    sampleW: new Float64Array(mfSampleCount(config) * config.M * d),
    kernelFTrain: new Float64Array(kernel ? P : 0),
    kernelFTest: new Float64Array(kernel ? PTest : 0),
  };
}

/** A second n x n matrix for the half sums of K while it fits this (native/core/mf.cpp). */
const MF_PARTIAL_DOUBLES = 8 * 2 ** 20;

/**
 * Doubles of the kernel's working memory for `config` (the native workspace, at most; the js
 * twin's scratch is the same size without the threads' parts): M x P features, pre-activations
 * and kernel factors, the P x P (Cholesky) or M x M (Woodbury) matrix and, while it fits 64 MiB,
 * a second one for the half sums of K (docs/mf.md, "Threads"), per-particle and per-coordinate
 * vectors, one test chunk, each further thread's block of gradient factors (a block of
 * particle rows: at most 65536 / P and M / 8 rows, at least 8; blockRows of native/core/mf.cpp),
 * and for average 'kernel' with the Woodbury solve the P x P averaged kernel (the Cholesky solve
 * forms it in its own P x P matrix).
 */
export function mfWorkspaceDoubles(
  config: Pick<MfKernelConfig, 'P' | 'd' | 'M' | 'PTest' | 'solve' | 'threads' | 'average'>,
): number {
  const { P, d, M, PTest } = config;
  const order = config.solve === 'woodbury' ? M : P;
  const inner = config.solve === 'woodbury' ? P : M;
  const partial = order * order <= MF_PARTIAL_DOUBLES && inner >= 2 ? order * order : 0;
  const rows = Math.min(M, Math.max(8, Math.min(Math.floor(65536 / P), Math.ceil(M / 8))));
  const threadBlocks = (Math.min(config.threads, M) - 1) * rows * P;
  const averagedKernel = config.average === 'kernel' && order !== P ? P * P : 0;
  return (
    3 * M * P +
    order * order +
    partial +
    4 * M +
    P +
    2 * M * d +
    M * Math.min(PTest, MF_TEST_CHUNK) +
    PTest +
    threadBlocks +
    averagedKernel
  );
}

/** Bytes a run holds besides the data: the workspace, the particles and the accumulators. */
export function mfRunBytes(config: MfKernelConfig): number {
  const { P, d, M, PTest, histBins, batches } = config;
  // Neuron-wise precisions are one more M x d array (coordinate-wise: d, counted below).
  const neuronRho = config.ardPrecisions === 'neuron' ? M * d : 0;
  const accumulators =
    PTest +
    P +
    batches * (P + MF_BATCH_COLUMNS) +
    d +
    MF_HIST_GROUPS * (histBins + 6) +
    mfObserveCount(config) * MF_SERIES_COLUMNS +
    mfSampleCount(config) * M * d +
    (config.average === 'kernel' ? P + PTest : 0);
  return 8 * (mfWorkspaceDoubles(config) + M * d + neuronRho + accumulators);
}
