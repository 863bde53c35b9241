/**
 * Experiments (ARCHITECTURE.md): sweeps over a grid of specs for several methods, run in parallel
 * worker processes, resumable, shardable across machines; presets that reproduce the paper's
 * figures. docs/experiments.md describes the spec format and the output folder.
 */
export * from './types.js';
export {
  SCALES,
  mergePatch,
  parseSweepSpec,
  presetNames,
  presetsDir,
  readSweepInput,
} from './spec.js';
export type { Scale, SweepSpecInput } from './spec.js';
export {
  canonicalJson,
  methodSpec,
  parseShard,
  shardPoints,
  sweepHash,
  sweepPoints,
} from './points.js';
export type { Shard } from './points.js';
export { runPoint, RHAT_CONVERGED } from './run-point.js';
export type { RunPointOptions } from './run-point.js';
export { sweep, missingPoints } from './sweep.js';
export type { SweepEvent, SweepOptions, SweepSummary } from './sweep.js';
export { merge, numbersOf } from './merge.js';
export type { MergeSummary } from './merge.js';
export { emitSlurm } from './slurm.js';
export { pointWarnings, sweepWarnings } from './warnings.js';
export type { SweepWarning } from './warnings.js';
export type { SlurmFiles, SlurmOptions } from './slurm.js';
export {
  CHECKPOINT_DIR,
  FAILURES_FILE,
  RESULTS_FILE,
  SWEEP_FILE,
  readFailures,
  readManifest,
  readResults,
  readSweepDir,
} from './results.js';
export type { FailureRecord, SweepDir, SweepManifest } from './results.js';
