/** Mean-field theory solvers: plain MF and MF-ARD (THEORY.md sections 6-7, docs/mf.md). */
export { meanField, mfConfig } from './run.js';
export type { MfOptions } from './run.js';
export { parseMfSpec, defaultParticles, DEFAULT_DT, INITS } from './spec.js';
export type { MfSpec, MfSpecInput, MfSolverSpec, MfNetworkSpec, ArdSpec } from './spec.js';
export type { MfResult, MfBranch, MfSeriesRow, MfConvergence } from './result.js';
export {
  BRANCH_INDEX,
  createAccumulators,
  initialState,
  instantPredictor,
  mfRun,
} from './particles.js';
export type { MfConfig, MfData, MfState, MfAccumulators } from './particles.js';
