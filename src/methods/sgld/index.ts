/**
 * SGLD (THEORY.md sections 2-4, docs/sgld.md): spec, driver, result and diagnostics.
 */
export { sgld, prepareSgld, DEFAULT_CHECKPOINTS_PER_RUN } from './run.js';
export type { SgldOptions, SgldSetup } from './run.js';
export {
  DEFAULT_OBSERVE_ROWS,
  DEFAULT_SAMPLES_PER_CHAIN,
  LOSSES,
  MAX_CHAINS,
  MAX_STEPS,
  parseSgldSpec,
  weightDecayOf,
} from './spec.js';
export type { SamplerSpec, SamplerSpecInput, SgldSpec, SgldSpecInput } from './spec.js';
export type { SeriesRow, SgldDiagnostics, SgldResult } from './result.js';
export { effectiveSampleSize, splitRhat } from './diagnostics.js';
export { ETA_PRIOR_STEP, ETA_SAFETY, defaultEta, ntkTrace } from './eta.js';
export type { EtaEstimate } from './eta.js';
export { readCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointHeader } from './checkpoint.js';
export {
  HIST_GROUPS,
  createSgldAccumulators,
  sgldObserveCount,
  sgldSampleCount,
} from './layout.js';
