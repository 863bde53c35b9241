/**
 * Methods (ARCHITECTURE.md): each a function spec -> result with the observables of THEORY.md
 * section 4.
 */
export * from './sgld/index.js';
export * from './nngp/index.js';
export * from './mf/index.js';
export type { Marginal } from './marginal.js';
