/**
 * Sizes of the mean-field kernel's accumulators (docs/mf.md, "Kernel contract"), shared by both
 * backends and the driver.
 */
import type { MfAccumulators, MfKernelConfig } from '../../backend/types.js';

/** Histogram groups: relevant first-layer weights, irrelevant ones, the second-layer weight a. */
export const MF_HIST_GROUPS = 3;

/** Columns of a series row: step, trainMse, mS, stepChange. */
export const MF_SERIES_COLUMNS = 4;

/** Test rows per chunk of the test-set predictor (bounds the M x rows scratch). */
export const MF_TEST_CHUNK = 512;

/** Number of observe steps t in [0, steps) with t mod observeEvery == 0. */
export function mfObserveCount(config: Pick<MfKernelConfig, 'steps' | 'observeEvery'>): number {
  const { steps, observeEvery } = config;
  return steps > 0 ? Math.floor((steps - 1) / observeEvery) + 1 : 0;
}

/** The accumulator arrays, in the order the kernel contract lists them. */
export const MF_ACC_KEYS = [
  'nSamples',
  'sumFTest',
  'sumFTrain',
  'sumFTrainHalf',
  'nHalf',
  'sumQ',
  'sumSpecialisation',
  'hist',
  'moments',
  'counts',
  'sumStepChange',
  'nStepChange',
  'series',
] as const satisfies readonly (keyof MfAccumulators)[];

/** Zeroed accumulators for `config`. */
export function createMfAccumulators(config: MfKernelConfig): MfAccumulators {
  const { P, d, PTest, histBins } = config;
  return {
    nSamples: new Float64Array(1),
    sumFTest: new Float64Array(PTest),
    sumFTrain: new Float64Array(P),
    sumFTrainHalf: new Float64Array(2 * P),
    nHalf: new Float64Array(2),
    sumQ: new Float64Array(d),
    sumSpecialisation: new Float64Array(1),
    hist: new Float64Array(MF_HIST_GROUPS * (histBins + 2)),
    moments: new Float64Array(MF_HIST_GROUPS * 4),
    counts: new Float64Array(MF_HIST_GROUPS),
    sumStepChange: new Float64Array(1),
    nStepChange: new Float64Array(1),
    series: new Float64Array(mfObserveCount(config) * MF_SERIES_COLUMNS),
  };
}

/**
 * Doubles of the kernel's working memory for `config` (the native workspace; the js twin's scratch
 * is the same size): M x P features, pre-activations and kernel factors, the P x P (Cholesky) or
 * M x M (Woodbury) matrix, per-particle and per-coordinate vectors, one test chunk.
 */
export function mfWorkspaceDoubles(
  config: Pick<MfKernelConfig, 'P' | 'd' | 'M' | 'PTest' | 'solve'>,
): number {
  const { P, d, M, PTest } = config;
  const order = config.solve === 'woodbury' ? M : P;
  return (
    3 * M * P + order * order + 4 * M + P + 2 * M * d + M * Math.min(PTest, MF_TEST_CHUNK) + PTest
  );
}

/** Bytes a run holds besides the data: the workspace, the particles and the accumulators. */
export function mfRunBytes(config: MfKernelConfig): number {
  const { P, d, M, PTest, histBins } = config;
  // Neuron-wise precisions are one more M x d array (coordinate-wise: d, counted below).
  const neuronRho = config.ardPrecisions === 'neuron' ? M * d : 0;
  const accumulators =
    PTest +
    3 * P +
    d +
    MF_HIST_GROUPS * (histBins + 6) +
    mfObserveCount(config) * MF_SERIES_COLUMNS;
  return 8 * (mfWorkspaceDoubles(config) + M * d + neuronRho + accumulators);
}
