/**
 * The data of an experiment (ARCHITECTURE.md layer "experiments"): a sweep spec, the points it
 * expands to, and the record each finished point leaves in DIR/results.jsonl. Plots and reports
 * read only these types, so a results folder is self-describing.
 */
import type { Marginal } from '../methods/marginal.js';

/** The methods a sweep can put side by side (THEORY.md sections 3, 5, 6, 7). */
export const SWEEP_METHODS = ['sgld', 'mf', 'mf-ard', 'krr', 'eigen'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** The axis that sets the data seed and the method's seed: figures average over it. */
export const SEED_AXIS = 'seed';

/** A grid coordinate: a number, string or boolean. */
export type AxisValue = number | string | boolean;

/**
 * Grid axes: a path to the value they set (e.g. "task.P", "kappa", "network.N", "seed") and the
 * values it takes. "seed" sets the data seed and the method's sampler/solver seed together.
 */
export type Grid = Record<string, AxisValue[]>;

/** Per-method settings of a sweep. */
export interface SweepMethodSpec {
  /** Deep-merged into the method's spec (e.g. {"sampler": {"steps": 20000}} for sgld). */
  spec: Record<string, unknown>;
  /** Axes that replace or add to the sweep's grid for this method only (e.g. a denser P grid
   *  for the cheap eigenlearning curve, or only small P for krr). */
  grid: Grid;
}

/** Learning curves: y against a log-x axis, one line per method, error band over seeds. */
export interface LearningCurveFigure {
  kind: 'learning-curve';
  /** File stem and heading, e.g. "learning-curve-testMse". */
  name: string;
  title: string;
  /** The grid axis on x (log scale), usually "task.P". */
  x: string;
  /** An observable: "testMse" (log-y) or "mS" (linear, the order parameter curve). */
  y: 'testMse' | 'trainMse' | 'mS';
  /** Facet into one panel per value of these axes (besides x and seed), if any. */
  facet?: string;
}

/** Phase diagram: a heat map of an observable over two axes, one panel per method, with the
 *  boundary where it crosses `threshold`. */
export interface PhaseDiagramFigure {
  kind: 'phase-diagram';
  name: string;
  title: string;
  x: string;
  y: string;
  z: 'mS' | 'testMse';
  threshold: number;
}

/** Marginal histograms of the first-layer weights (relevant vs irrelevant coordinates), log-y,
 *  one panel per method, at one point of the grid (`at`; default: the largest x of the sweep). */
export interface MarginalsFigure {
  kind: 'marginals';
  name: string;
  title: string;
  at?: Record<string, AxisValue>;
}

/** kappa_c against d on log-log axes for each method, with fitted slopes: kappa_c(d) is the
 *  largest kappa at which mS exceeds `threshold` (interpolated in log kappa between grid values). */
export interface KappaCFigure {
  kind: 'kappa-c';
  name: string;
  title: string;
  /** The axis of d ("task.d") and of kappa ("kappa"). */
  x: string;
  kappa: string;
  threshold: number;
}

/** Ratios of two methods' seed means of an observable (e.g. MF-ARD / SGLD test error) against
 *  a grid axis on log-log axes, error bars propagated from the seeds' standard errors. */
export interface RatioFigure {
  kind: 'ratio';
  name: string;
  title: string;
  /** The grid axis on x (log scale), e.g. "network.N". */
  x: string;
  y: 'testMse' | 'trainMse' | 'mS';
  /** [numerator, denominator] method pairs, one line each. */
  ratios: [SweepMethod, SweepMethod][];
  /** One panel per value of this axis, if any. */
  facet?: string;
}

export type FigureSpec =
  LearningCurveFigure | PhaseDiagramFigure | MarginalsFigure | KappaCFigure | RatioFigure;

/** A sweep spec with its scale applied: everything needed to list its points. */
export interface SweepSpec {
  schema: 'mfl.sweep/1';
  name: string;
  description: string;
  /** The problem shared by every method: task, network, kappa (method-neutral names). */
  base: {
    task: Record<string, unknown>;
    network: Record<string, unknown>;
    kappa: number;
  };
  methods: Partial<Record<SweepMethod, SweepMethodSpec>>;
  grid: Grid;
  figures: FigureSpec[];
}

/** One point of a sweep: a method and a grid coordinate, with the method spec they give. */
export interface SweepPoint {
  /** Position in the sweep's deterministic point list. */
  index: number;
  /** Hash of (method, spec): equal points are equal runs, wherever and whenever they run. */
  id: string;
  method: SweepMethod;
  /** The grid coordinate, e.g. {"task.P": 80, "kappa": 0.01, "seed": 2}. */
  params: Record<string, AxisValue>;
  /** The method's spec as the method's parser takes it. */
  spec: Record<string, unknown>;
}

/** Scalar observables of a finished point, the same names for every method (THEORY.md 4). */
export interface PointObservables {
  testMse: number | null;
  trainMse: number | null;
  mS: number | null;
  anisotropy: number | null;
  /** MF and MF-ARD: the mean-field ceiling N c^2 / (1 + N c^2) on mS (THEORY.md section 10). */
  mSCeiling?: number | null;
  /** MF: the fixed point converged; SGLD: R-hat of mS below 1.1; null otherwise. */
  converged: boolean | null;
}

/** First-layer weight marginals of a sampling method (sgld, mf, mf-ard); null otherwise. */
export interface PointMarginals {
  relevantW: Marginal | null;
  irrelevantW: Marginal | null;
}

/** One line of DIR/results.jsonl. */
export interface PointRecord {
  schema: 'mfl.point/1';
  /** Hash of the sweep's point list: records of different sweeps never mix. */
  sweep: string;
  index: number;
  id: string;
  method: SweepMethod;
  params: Record<string, AxisValue>;
  /** The normalised spec the method ran (its parser's output). */
  spec: Record<string, unknown>;
  observables: PointObservables;
  marginals: PointMarginals | null;
  /** What is known to be wrong with the point before it runs, e.g. a target its network cannot
   *  represent (`representabilityWarnings`); empty for most points. */
  warnings: string[];
  /** The method's JSON result, without its spec and timing fields. */
  result: Record<string, unknown>;
  backend: string | null;
  version: string;
  /** BLAS threads the point ran with (results are reproducible for the same count). */
  blasThreads: number;
  /** Wall-clock facts: the only fields that differ between two runs of the same point. */
  timings: {
    startedAt: string;
    seconds: number;
    host: string;
    /** SGLD: the step its checkpoint resumed from after an interruption (0: a fresh run). */
    resumedFromStep: number;
  };
}
