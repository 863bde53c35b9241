/**
 * Sizes of the SGLD kernel's accumulators (docs/sgld.md), shared by both backends and the driver.
 */
import type { SgldAccumulators, SgldConfig } from '../../backend/types.js';

/** Histogram groups: relevant first-layer weights, irrelevant ones, second-layer weights. */
export const HIST_GROUPS = 3;

/** Number of sample steps t in [burnIn, steps) with (t - burnIn) mod thin == 0. */
export function sgldSampleCount(config: Pick<SgldConfig, 'steps' | 'burnIn' | 'thin'>): number {
  const { steps, burnIn, thin } = config;
  return steps > burnIn ? Math.floor((steps - burnIn - 1) / thin) + 1 : 0;
}

/** Number of observe steps t in [0, steps) with t mod observeEvery == 0. */
export function sgldObserveCount(config: Pick<SgldConfig, 'steps' | 'observeEvery'>): number {
  const { steps, observeEvery } = config;
  return observeEvery > 0 && steps > 0 ? Math.floor((steps - 1) / observeEvery) + 1 : 0;
}

/** Zeroed accumulators for `config`. */
export function createSgldAccumulators(config: SgldConfig): SgldAccumulators {
  const C = config.chains;
  const S = sgldSampleCount(config);
  const O = sgldObserveCount(config);
  return {
    nSamples: new Float64Array(C),
    sumFTest: new Float64Array(C * config.PTest),
    sumFTrain: new Float64Array(C * config.P),
    sumSampleTestMse: new Float64Array(C),
    sumSampleTrainMse: new Float64Array(C),
    traceMS: new Float64Array(C * S),
    traceTestMse: new Float64Array(C * S),
    sumQ: new Float64Array(C * config.d),
    hist: new Float64Array(C * HIST_GROUPS * (config.histBins + 2)),
    moments: new Float64Array(C * HIST_GROUPS * 4),
    sumSpecialisation: new Float64Array(C),
    series: new Float64Array(C * O * 3),
    malaProposed: new Float64Array(C),
    malaAccepted: new Float64Array(C),
  };
}

/** The accumulator arrays, in the order checkpoints store them. */
export const SGLD_ACC_KEYS = [
  'nSamples',
  'sumFTest',
  'sumFTrain',
  'sumSampleTestMse',
  'sumSampleTrainMse',
  'traceMS',
  'traceTestMse',
  'sumQ',
  'hist',
  'moments',
  'sumSpecialisation',
  'series',
  'malaProposed',
  'malaAccepted',
] as const satisfies readonly (keyof SgldAccumulators)[];
