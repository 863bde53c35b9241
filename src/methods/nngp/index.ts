/**
 * NNGP (THEORY.md section 5): the infinite-width kernel, kernel ridge regression (the N -> infinity
 * posterior mean) and population learning curves from the kernel's spectrum.
 */
export { nngp, learningCurve, taskSpectrum } from './run.js';
export type {
  EigenResult,
  KrrResult,
  LearningCurvePoint,
  NngpOptions,
  NngpResult,
  SpectrumRow,
} from './run.js';
export { NNGP_METHODS, effectiveKappa, nngpRidge, parseNngpSpec, priorScale } from './spec.js';
export type { NngpNetworkSpec, NngpSpec, NngpSpecInput } from './spec.js';
export {
  DEFAULT_MEMORY_FRACTION,
  NotPositiveDefiniteError,
  checkMemory,
  defaultMemoryLimit,
  fitKrr,
} from './krr.js';
export type { KrrFit, KrrOptions } from './krr.js';
export {
  KERNELS,
  dotProductKernel,
  hasKernel,
  kernelSpecOf,
  kernelTaylorCoefficients,
  kernelValue,
} from './kernel.js';
export {
  FULL_SPECTRUM_MAX_D,
  GAUSSIAN_APPROXIMATION,
  TAIL_MULTIPLICITY,
  gaussianSpectrum,
  hermiteMultiplicity,
  hypercubeSpectrum,
} from './spectrum.js';
export type { Spectrum, SpectrumOptions } from './spectrum.js';
export { eigenlearning, solveKt } from './eigen.js';
export type { EigenProblem, EigenSolution } from './eigen.js';
