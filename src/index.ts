/**
 * mfl: Bayesian two-layer networks trained by SGLD, side by side with their kernel (NNGP) and
 * mean-field theories. Public API; THEORY.md (docs/THEORY.md) defines every symbol used here.
 */
export { availableBackends, getBackend, nativeUnavailableReason } from './backend/index.js';
export type * from './backend/types.js';
export * from './errors.js';
export { Purpose, streamId } from './rng/streams.js';
export * from './tasks/index.js';
export { ACTIVATIONS, MAX_WIDTH, networkSpecSchema, parseNetworkSpec } from './network/spec.js';
export type { NetworkSpec, NetworkSpecInput } from './network/spec.js';
export { forward, lossGradient, sampleNetworkPrior } from './network/network.js';
export type { BackendOption, LossGradient, Network } from './network/network.js';
export { parseSpec } from './validate.js';
export type { ParseSpecOptions } from './validate.js';
export * from './methods/index.js';
export * from './experiments/index.js';
export * from './report/index.js';
