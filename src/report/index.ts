/**
 * The report layer: seed means, kappa_c and phase boundaries from a sweep's records
 * (analysis.ts), Vega-Lite specs of its figures (charts.ts), the figures as spec, SVG and PNG
 * files (render.ts), one self-contained HTML page (html.ts), and the claims a learning curve is
 * drawn to show, checked on its numbers (findings.ts).
 */
export {
  AGGREGATED_OBSERVABLES,
  aggregate,
  estimate,
  kappaC,
  methodRatios,
  phaseBoundary,
  poolHistograms,
  pooledMarginals,
  powerLawFit,
} from './analysis.js';
export type {
  AggregateRow,
  AggregatedObservable,
  Estimate,
  KappaCOptions,
  KappaCPoint,
  KappaCSeries,
  MethodMarginals,
  PhaseBoundaryOptions,
  PhaseBoundarySeries,
  PooledHistogram,
  PooledMarginals,
  PowerLawFit,
  RatioOptions,
  RatioPoint,
} from './analysis.js';
export { chartSpec } from './charts.js';
export { METHOD_COLOURS, METHOD_LABELS, OBSERVABLE_TITLES } from './labels.js';
export { PNG_SCALE, renderFigures } from './render.js';
export type { DrawnFigure, FigureFiles, RenderedFigure, SkippedFigure } from './render.js';
export { writeReport } from './html.js';
export { LEARNED_MS, learningCurveFindings } from './findings.js';
export type { Finding } from './findings.js';
