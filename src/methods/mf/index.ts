/** Mean-field theory solvers: plain MF and MF-ARD (THEORY.md sections 6-7, docs/mf.md). */
export { meanField, mfConfig } from './run.js';
export type { MfDataShape, MfOptions } from './run.js';
export { parseMfSpec, defaultParticles, DEFAULT_DT, DEFAULT_STEPS, INITS, SOLVES } from './spec.js';
export type { MfSpec, MfSpecInput, MfSolverSpec, MfNetworkSpec, ArdSpec } from './spec.js';
export type { MfResult, MfBranch, MfSeriesRow, MfConvergence } from './result.js';
export { BRANCH_INDEX, initialState, divergedError, instantPredictor, mfRun } from './particles.js';
export {
  createMfAccumulators as createAccumulators,
  MF_HIST_GROUPS,
  MF_SERIES_COLUMNS,
  mfObserveCount,
} from './layout.js';
export type { MfConfig, MfData, MfState, MfAccumulators } from './particles.js';
export {
  criticalKappa,
  parseCriticalSpec,
  plainEquilibrium,
  symmetricBranch,
  targetCorrelation,
  DEFAULT_CROSSOVER_MS,
  MAX_CRITICAL_K,
} from './critical.js';
export type {
  BranchPoint,
  CriticalResult,
  CriticalSpec,
  CriticalSpecInput,
  PlainEquilibrium,
  SymmetricBranch,
} from './critical.js';
