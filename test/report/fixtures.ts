/**
 * Synthetic PointRecords with known values for the report tests: learning curves with
 * hand-computable seed means, a kappa_c case with mS linear in log kappa around an exact power law,
 * a phase diagram with a known boundary, and histograms with known counts.
 */
import type {
  AxisValue,
  FigureSpec,
  KappaCFigure,
  LearningCurveFigure,
  MarginalsFigure,
  PhaseDiagramFigure,
  RatioFigure,
  PointMarginals,
  PointObservables,
  PointRecord,
  SweepMethod,
  SweepSpec,
} from '../../src/experiments/types.js';
import type { Marginal } from '../../src/methods/marginal.js';

export const SWEEP_HASH = 'sweep-fixture';

export interface RecordInput {
  method: SweepMethod;
  params: Record<string, AxisValue>;
  observables?: Partial<PointObservables>;
  marginals?: PointMarginals | null;
  spec?: Record<string, unknown>;
  backend?: string | null;
  version?: string;
  warnings?: string[];
}

/** A complete record; the id is the method and params, so equal inputs give equal ids. */
export function pointRecord(input: RecordInput, index = 0): PointRecord {
  return {
    schema: 'mfl.point/1',
    sweep: SWEEP_HASH,
    index,
    id: JSON.stringify([input.method, input.params]),
    method: input.method,
    params: input.params,
    spec: input.spec ?? {},
    observables: {
      testMse: null,
      trainMse: null,
      mS: null,
      anisotropy: null,
      converged: null,
      ...input.observables,
    },
    marginals: input.marginals ?? null,
    warnings: input.warnings ?? [],
    result: {},
    backend: input.backend === undefined ? 'js' : input.backend,
    version: input.version ?? '0.1.0',
    blasThreads: 1,
    timings: {
      startedAt: '2025-01-01T00:00:00.000Z',
      seconds: 1,
      host: 'test',
      resumedFromStep: 0,
    },
  };
}

export function records(inputs: RecordInput[]): PointRecord[] {
  return inputs.map((input, i) => pointRecord(input, i));
}

/** testMse of sgld at P = 10 over seeds 0, 1, 2: mean 7/3, SE sqrt(7)/3. */
export const SGLD_P10_TEST_MSE = [1, 2, 4];

/**
 * Learning curves over task.P = 10, 20, 40: sgld and mf with three seeds, krr with one, eigen
 * without a seed axis (deterministic).
 */
export function learningCurveRecords(): PointRecord[] {
  const inputs: RecordInput[] = [];
  const Ps = [10, 20, 40];
  Ps.forEach((P, i) => {
    for (const seed of [0, 1, 2]) {
      const sgldTest = P === 10 ? SGLD_P10_TEST_MSE[seed]! : (1 + seed) / P;
      inputs.push({
        method: 'sgld',
        params: { 'task.P': P, seed },
        observables: {
          testMse: sgldTest,
          trainMse: sgldTest / 2,
          mS: seed === 2 && P === 10 ? null : i / 2,
          anisotropy: 1 + i,
          converged: seed === 0 ? false : seed === 1 ? true : null,
        },
        spec: { sampler: { loss: 'sum' } },
      });
      inputs.push({
        method: 'mf',
        params: { seed, 'task.P': P },
        observables: { testMse: 0.5 + seed / 10 - i / 10, mS: i / 3, converged: true },
      });
    }
    inputs.push({
      method: 'krr',
      params: { 'task.P': P, seed: 0 },
      observables: { testMse: 0.9 - i / 100 },
      spec: { loss: 'sum' },
      backend: 'native',
    });
    inputs.push({ method: 'eigen', params: { 'task.P': P }, observables: { testMse: 0.95 } });
  });
  return records(inputs);
}

export const KAPPA_GRID = Array.from({ length: 11 }, (_, j) => 2 ** (j - 8));
export const D_GRID = [8, 16, 32, 64];
export const KAPPA_C_THRESHOLD = 0.5;

/** The exact kappa_c of the fixture's mf: 0.5 d^-0.75. */
export function exactKappaC(d: number): number {
  return 0.5 * d ** -0.75;
}

/**
 * kappa-c records over task.d x kappa (two seeds each):
 * - mf: mS = 0.5 - 0.1 (log kappa - log kappa_c(d)) with kappa_c(d) = 0.5 d^-0.75, the seeds at
 *   +-0.05 around it; linear in log kappa, so interpolation recovers kappa_c exactly;
 * - mf-ard: mS = 0.9 everywhere at d = 8 and 16 (lower bounds), 0.1 everywhere at d = 32
 *   (none), and a crossing at d = 64 halfway (in log kappa) between 2^-3 and 2^-2.
 */
export function kappaCRecords(): PointRecord[] {
  const inputs: RecordInput[] = [];
  for (const d of D_GRID) {
    for (const kappa of KAPPA_GRID) {
      for (const seed of [0, 1]) {
        const params = { 'task.d': d, kappa, seed };
        const mf = 0.5 - 0.1 * (Math.log(kappa) - Math.log(exactKappaC(d)));
        inputs.push({ method: 'mf', params, observables: { mS: mf + (seed ? 0.05 : -0.05) } });
        inputs.push({ method: 'mf-ard', params, observables: { mS: ardMS(d, kappa) } });
      }
    }
  }
  return records(inputs);
}

function ardMS(d: number, kappa: number): number {
  if (d <= 16) return 0.9;
  if (d === 32) return 0.1;
  return kappa <= 2 ** -3 ? 0.8 : 0.2;
}

export const PHASE_P = [10, 20, 40, 80];
export const PHASE_KAPPA = [0.01, 0.03, 0.1, 0.3, 1];

/** The boundary of the fixture's sgld phase diagram: kappa_b(P) = P / 400. */
export function phaseBoundaryKappa(P: number): number {
  return P / 400;
}

/**
 * mS and testMse over task.P x kappa:
 * - sgld (one seed): mS = 0.5 - 0.2 (log kappa - log kappa_b(P)), clipped to [0, 1] (the clip
 *   never reaches the grid points around the crossing), so the boundary at threshold 0.5 is
 *   exactly kappa_b(P) = P / 400;
 * - mf (two seeds): mS = 0.2 everywhere: no crossing.
 */
export function phaseRecords(): PointRecord[] {
  const inputs: RecordInput[] = [];
  for (const P of PHASE_P) {
    for (const kappa of PHASE_KAPPA) {
      const linear = 0.5 - 0.2 * (Math.log(kappa) - Math.log(phaseBoundaryKappa(P)));
      const mS = Math.min(1, Math.max(0, linear));
      inputs.push({
        method: 'sgld',
        params: { 'task.P': P, kappa, seed: 0 },
        observables: { mS, testMse: 1.05 - mS },
      });
      for (const seed of [0, 1]) {
        inputs.push({
          method: 'mf',
          params: { 'task.P': P, kappa, seed },
          observables: { mS: 0.2, testMse: 0.8 },
        });
      }
    }
  }
  return records(inputs);
}

/** A histogram on 4 bins of [-2, 2] (width 1). */
export function histogram(counts: number[], range = 2): Marginal {
  const bins = counts.length;
  return {
    edges: Array.from({ length: bins + 1 }, (_, k) => -range + (2 * range * k) / bins),
    counts,
    underflow: 1,
    overflow: 2,
    mean: 0,
    variance: 1,
    excessKurtosis: 0,
  };
}

/**
 * Marginals over task.P = 20, 40 (two seeds each): sgld and mf-ard with both histograms, krr
 * without marginals. At P = 40 sgld's relevant counts are [1, 2, 3, 0] and [3, 2, 1, 0] (sum
 * [4, 4, 4, 0], total 12), irrelevant [0, 5, 5, 0] twice.
 */
export function marginalRecords(): PointRecord[] {
  const inputs: RecordInput[] = [];
  for (const P of [20, 40]) {
    for (const seed of [0, 1]) {
      const params = { 'task.P': P, seed };
      const relevant = P === 40 ? (seed === 0 ? [1, 2, 3, 0] : [3, 2, 1, 0]) : [1, 1, 1, 1];
      inputs.push({
        method: 'sgld',
        params,
        observables: { mS: 0.9, testMse: 0.1 },
        marginals: { relevantW: histogram(relevant), irrelevantW: histogram([0, 5, 5, 0]) },
      });
      inputs.push({
        method: 'mf-ard',
        params,
        observables: { mS: 0.8, testMse: 0.2 },
        marginals: { relevantW: histogram([2, 0, 0, 2]), irrelevantW: histogram([0, 4, 4, 0]) },
      });
      inputs.push({ method: 'krr', params, observables: { testMse: 1 } });
    }
  }
  return records(inputs);
}

/** A sweep spec around `figures`; its grid is not used by the report beyond its key order. */
export function sweepSpec(figures: FigureSpec[], overrides: Partial<SweepSpec> = {}): SweepSpec {
  return {
    schema: 'mfl.sweep/1',
    name: 'fixture-sweep',
    description: 'Synthetic records for the report tests.',
    base: { task: { task: 'parity', d: 8, k: 2 }, network: { N: 64 }, kappa: 0.1 },
    methods: { sgld: { spec: {}, grid: {} }, mf: { spec: {}, grid: {} } },
    grid: { 'task.P': [10, 20, 40], seed: [0, 1, 2] },
    figures,
    ...overrides,
  };
}

export const LEARNING_CURVE: LearningCurveFigure = {
  kind: 'learning-curve',
  name: 'learning-curve-testMse',
  title: 'Test error against P',
  x: 'task.P',
  y: 'testMse',
};

export const ORDER_PARAMETER: LearningCurveFigure = {
  kind: 'learning-curve',
  name: 'learning-curve-mS',
  title: 'Order parameter against P',
  x: 'task.P',
  y: 'mS',
};

export const PHASE_DIAGRAM: PhaseDiagramFigure = {
  kind: 'phase-diagram',
  name: 'phase-mS',
  title: 'Phase diagram',
  x: 'task.P',
  y: 'kappa',
  z: 'mS',
  threshold: 0.5,
};

export const MARGINALS: MarginalsFigure = {
  kind: 'marginals',
  name: 'marginals',
  title: 'First-layer weight marginals',
};

export const KAPPA_C: KappaCFigure = {
  kind: 'kappa-c',
  name: 'kappa-c',
  title: 'Critical noise against d',
  x: 'task.d',
  kappa: 'kappa',
  threshold: KAPPA_C_THRESHOLD,
};

export const RATIO: RatioFigure = {
  kind: 'ratio',
  name: 'ratio-testMse',
  title: 'Test error ratios against P',
  x: 'task.P',
  y: 'testMse',
  ratios: [
    ['mf', 'sgld'],
    ['krr', 'sgld'],
  ],
};
