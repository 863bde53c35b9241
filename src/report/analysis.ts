/**
 * The numbers behind the report, as pure functions of PointRecords: seed means and standard
 * errors of the observables (THEORY.md section 4) per method and grid point, the critical noise
 * kappa_c against d (section 8, item 6), phase boundaries (item 5) and the first-layer weight
 * marginals pooled over seeds (item 4).
 */
import { MflError, describe, outOfRange } from '../errors.js';
import { SEED_AXIS, SWEEP_METHODS } from '../experiments/types.js';
import type { AxisValue, PointRecord, SweepMethod } from '../experiments/types.js';
import type { Marginal } from '../methods/marginal.js';
import { formatParams } from './format.js';
import { compareAxisValues, compareParams, sortedParams } from './params.js';

export { SEED_AXIS };

/** The scalar observables aggregated over seeds. */
export const AGGREGATED_OBSERVABLES = [
  'testMse',
  'trainMse',
  'mS',
  'anisotropy',
  'mSCeiling',
] as const;
export type AggregatedObservable = (typeof AGGREGATED_OBSERVABLES)[number];

/** Mean and standard error of one observable over the seeds that report it. */
export interface Estimate {
  /** Mean over the non-null values; null when there are none. */
  mean: number | null;
  /** Sample standard deviation / sqrt(n); null when n < 2. */
  se: number | null;
  /** Number of non-null values. */
  n: number;
}

/** One method at one grid point (all axes but the seed), summarised over its seeds. */
export interface AggregateRow {
  method: SweepMethod;
  /** The grid coordinate without the seed, keys sorted. */
  params: Record<string, AxisValue>;
  /** Number of seeds (records) at this point. */
  n: number;
  testMse: Estimate;
  trainMse: Estimate;
  mS: Estimate;
  anisotropy: Estimate;
  /** The mean-field ceiling on mS (MF methods; THEORY.md section 10); n = 0 for the others. */
  mSCeiling: Estimate;
  /** How many seeds report `converged: true`, of how many report it at all (non-null). */
  converged: { converged: number; reported: number };
}

/**
 * Groups records by method and grid point (params without "seed") and summarises each group.
 * A point that ran twice (same id) counts once, with its later record.
 *
 * @returns rows in SWEEP_METHODS order, then by params (keys in sorted order, numbers
 *   numerically, strings lexically)
 */
export function aggregate(records: readonly PointRecord[]): AggregateRow[] {
  const groups = new Map<string, PointRecord[]>();
  for (const record of latestById(records)) {
    const key = groupKey(record.method, withoutSeed(record.params));
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return [...groups.values()].map(summarise).sort(compareRows);
}

function summarise(group: PointRecord[]): AggregateRow {
  const first = group[0]!;
  const reported = group.filter((r) => r.observables.converged !== null);
  const estimateOf = (name: AggregatedObservable): Estimate =>
    estimate(group.map((r) => r.observables[name] ?? null));
  return {
    method: first.method,
    params: sortedParams(withoutSeed(first.params)),
    n: group.length,
    testMse: estimateOf('testMse'),
    trainMse: estimateOf('trainMse'),
    mS: estimateOf('mS'),
    anisotropy: estimateOf('anisotropy'),
    mSCeiling: estimateOf('mSCeiling'),
    converged: {
      converged: reported.filter((r) => r.observables.converged === true).length,
      reported: reported.length,
    },
  };
}

/** Mean and standard error (sample std / sqrt(n)) of the finite values, nulls skipped. */
export function estimate(values: readonly (number | null)[]): Estimate {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, se: null, n };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, se: null, n };
  const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), n };
}

/** The records with duplicate ids removed, the last of each id kept (in input order). */
export function latestById(records: readonly PointRecord[]): PointRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => last.set(r.id, i));
  return records.filter((r, i) => last.get(r.id) === i);
}

export function withoutSeed(params: Record<string, AxisValue>): Record<string, AxisValue> {
  return Object.fromEntries(Object.entries(params).filter(([key]) => key !== SEED_AXIS));
}

function groupKey(method: SweepMethod, params: Record<string, AxisValue>): string {
  return JSON.stringify([method, Object.entries(sortedParams(params))]);
}

function compareRows(a: AggregateRow, b: AggregateRow): number {
  return methodRank(a.method) - methodRank(b.method) || compareParams(a.params, b.params);
}

function methodRank(method: SweepMethod): number {
  return SWEEP_METHODS.indexOf(method);
}

/** The methods present in `rows`, in SWEEP_METHODS order. */
export function methodsOf(rows: readonly { method: SweepMethod }[]): SweepMethod[] {
  const present = new Set(rows.map((r) => r.method));
  return SWEEP_METHODS.filter((m) => present.has(m));
}

/**
 * The rows of one method, after checking that every axis other than `axes` (and the seed) takes
 * a single value among them: otherwise a figure over `axes` would silently mix points.
 * @param what names the figure or analysis in the message
 * @throws MflError ERR_MFL_FORMAT naming the axis and its values
 */
export function methodRows(
  rows: readonly AggregateRow[],
  method: SweepMethod,
  axes: readonly string[],
  what: string,
): AggregateRow[] {
  const mine = rows.filter((r) => r.method === method);
  const keys = new Set(mine.flatMap((r) => Object.keys(r.params)));
  for (const key of keys) {
    if (axes.includes(key)) continue;
    const values = distinctValues(mine.map((r) => r.params[key]));
    if (values.length > 1) {
      throw new MflError(
        'ERR_MFL_FORMAT',
        `${what}: axis "${key}" takes several values for ${method} (${values.map(String).join(', ')}); ` +
          `give it one value in the grid, or a figure axis of its own`,
      );
    }
  }
  return mine;
}

function distinctValues(values: readonly (AxisValue | undefined)[]): (AxisValue | undefined)[] {
  const seen = new Map<string, AxisValue | undefined>();
  for (const v of values) seen.set(JSON.stringify(v ?? null), v);
  return [...seen.values()].sort((a, b) =>
    a === undefined ? -1 : b === undefined ? 1 : compareAxisValues(a, b),
  );
}

/**
 * The value of axis `key` in `params` as a number.
 * @throws MflError ERR_MFL_FORMAT when it is missing or not a finite number (positive if asked)
 */
export function numericParam(
  params: Record<string, AxisValue>,
  key: string,
  what: string,
  positive = false,
): number {
  const value = params[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive && value <= 0)) {
    const expected = positive ? 'a positive number' : 'a finite number';
    throw new MflError(
      'ERR_MFL_FORMAT',
      `${what}: axis "${key}" must be ${expected} at every point, got ${describe(value)} at ${formatParams(params)}`,
    );
  }
  return value;
}

function checkThreshold(threshold: number): void {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw outOfRange('threshold', 'a finite number', threshold);
  }
}

/** Options of `kappaC`: the fields of a kappa-c figure. */
export interface KappaCOptions {
  /** The axis of d, e.g. "task.d" (positive numbers). */
  x: string;
  /** The axis of kappa, e.g. "kappa" (positive numbers). */
  kappa: string;
  /** kappa_c is the largest kappa at which the seed-mean mS exceeds this. */
  threshold: number;
}

/** kappa_c at one d. */
export interface KappaCPoint {
  d: number;
  /** Interpolated kappa_c, the largest grid kappa for a lower bound, null for 'none'. */
  kappaC: number | null;
  /** 'interpolated': bracketed by two grid kappas; 'lower': mS exceeds the threshold at every
   *  kappa, so kappa_c is at least the largest one; 'none': mS never exceeds it. */
  bound: 'interpolated' | 'lower' | 'none';
}

/** Least-squares fit of log kappa_c = intercept + slope * log d over the interpolated points. */
export interface PowerLawFit {
  intercept: number;
  slope: number;
  /** Standard error of the slope; null with fewer than 3 points. */
  slopeSe: number | null;
  /** Number of points fitted. */
  n: number;
}

export interface KappaCSeries {
  method: SweepMethod;
  /** One point per d, ascending. */
  points: KappaCPoint[];
  /** null with fewer than 2 interpolated points. */
  fit: PowerLawFit | null;
}

/**
 * The critical noise kappa_c(d) of each method (THEORY.md section 8, item 6): for each d, the
 * largest kappa at which the seed-mean mS exceeds `threshold`, interpolated linearly in log kappa
 * between that grid kappa and the next one (mS decreases with kappa); then a power-law fit.
 * Methods that report no mS are left out.
 *
 * @throws MflRangeError when threshold is not a finite number
 * @throws MflError ERR_MFL_FORMAT when d or kappa is not a positive number, or another axis
 *   (besides the seed) takes several values for a method
 */
export function kappaC(records: readonly PointRecord[], options: KappaCOptions): KappaCSeries[] {
  const { x, kappa, threshold } = options;
  checkThreshold(threshold);
  const rows = aggregate(records).filter((r) => r.mS.mean !== null);
  return methodsOf(rows).map((method) => {
    const mine = methodRows(rows, method, [x, kappa], 'kappa_c');
    const byD = groupBy(mine, (r) => numericParam(r.params, x, 'kappa_c', true));
    const points = [...byD.entries()]
      .sort(([a], [b]) => a - b)
      .map(([d, curve]) => {
        const sorted = curve
          .map((r) => ({ kappa: numericParam(r.params, kappa, 'kappa_c', true), mS: r.mS.mean! }))
          .sort((a, b) => a.kappa - b.kappa);
        return { d, ...criticalKappa(sorted, threshold) };
      });
    const fitted = points.filter((p) => p.bound === 'interpolated');
    return {
      method,
      points,
      fit: powerLawFit(
        fitted.map((p) => p.d),
        fitted.map((p) => p.kappaC!),
      ),
    };
  });
}

function criticalKappa(
  curve: readonly { kappa: number; mS: number }[],
  threshold: number,
): Omit<KappaCPoint, 'd'> {
  const last = curve.findLastIndex((p) => p.mS > threshold);
  if (last < 0) return { kappaC: null, bound: 'none' };
  const above = curve[last]!;
  const below = curve[last + 1];
  if (!below) return { kappaC: above.kappa, bound: 'lower' };
  const t = (above.mS - threshold) / (above.mS - below.mS);
  const logKappa = Math.log(above.kappa) + t * (Math.log(below.kappa) - Math.log(above.kappa));
  return { kappaC: Math.exp(logKappa), bound: 'interpolated' };
}

/**
 * Ordinary least squares of log y = intercept + slope * log x.
 * @returns null with fewer than 2 points or a single distinct x
 */
export function powerLawFit(xs: readonly number[], ys: readonly number[]): PowerLawFit | null {
  const n = xs.length;
  if (n < 2) return null;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i]! - mx) ** 2;
    sxy += (lx[i]! - mx) * (ly[i]! - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (ly[i]! - intercept - slope * lx[i]!) ** 2;
  const slopeSe = n >= 3 ? Math.sqrt(rss / (n - 2) / sxx) : null;
  return { intercept, slope, slopeSe, n };
}

/** Options of `phaseBoundary`: the fields of a phase-diagram figure. */
export interface PhaseBoundaryOptions {
  /** The axis along the boundary (one crossing per value). */
  x: string;
  /** The axis searched for the crossing (numbers). */
  y: string;
  /** The observable whose seed mean crosses `threshold`. */
  z: AggregatedObservable;
  threshold: number;
}

export interface PhaseBoundarySeries {
  method: SweepMethod;
  /** Whether y was interpolated in log y (every y value positive) or linearly. */
  logY: boolean;
  /** One point per x value, ascending; y null where the seed mean never crosses. */
  points: { x: AxisValue; y: number | null }[];
}

/**
 * The boundary of each method's phase diagram (THEORY.md section 8, item 5): for each value of
 * x, the y at which the seed-mean z crosses `threshold` last going up the y grid (for y = kappa:
 * the critical noise, above which the method no longer learns; z can also cross at small kappa,
 * where too little noise slows sampling down, the "helpful noise" kink), interpolated
 * between the two grid values around the crossing (in log y when every y value in the records is
 * positive, else linearly). "Above" means strictly greater than the threshold.
 *
 * @throws MflRangeError when threshold is not a finite number
 * @throws MflError ERR_MFL_FORMAT when y is not a number, or another axis (besides the seed)
 *   takes several values for a method
 */
export function phaseBoundary(
  records: readonly PointRecord[],
  options: PhaseBoundaryOptions,
): PhaseBoundarySeries[] {
  const { x, y, z, threshold } = options;
  checkThreshold(threshold);
  const what = 'phase boundary';
  const rows = aggregate(records).filter((r) => r.params[x] !== undefined && r[z].mean !== null);
  const logY = rows.every((r) => numericParam(r.params, y, what) > 0);
  return methodsOf(rows).map((method) => {
    const byX = groupBy(methodRows(rows, method, [x, y], what), (r) => r.params[x]!);
    const points = [...byX.entries()]
      .sort(([a], [b]) => compareAxisValues(a, b))
      .map(([xv, curve]) => {
        const sorted = curve
          .map((r) => ({ y: numericParam(r.params, y, what), z: r[z].mean! }))
          .sort((a, b) => a.y - b.y);
        return { x: xv, y: lastCrossing(sorted, threshold, logY) };
      });
    return { method, logY, points };
  });
}

function lastCrossing(
  curve: readonly { y: number; z: number }[],
  threshold: number,
  logY: boolean,
): number | null {
  const scale = logY ? Math.log : (v: number) => v;
  for (let i = curve.length - 2; i >= 0; i--) {
    const a = curve[i]!;
    const b = curve[i + 1]!;
    if (a.z > threshold === b.z > threshold) continue;
    const t = (threshold - a.z) / (b.z - a.z);
    const at = scale(a.y) + t * (scale(b.y) - scale(a.y));
    return logY ? Math.exp(at) : at;
  }
  return null;
}

/** A histogram pooled over seeds: summed counts and the density of the in-range part. */
export interface PooledHistogram {
  edges: number[];
  counts: number[];
  /** counts / (total * bin width): integrates to 1 over the bins (all zeros when total is 0). */
  density: number[];
  /** Sum of the in-range counts. */
  total: number;
  underflow: number;
  overflow: number;
}

export interface MethodMarginals {
  method: SweepMethod;
  /** The grid point the records share (without the seed). */
  params: Record<string, AxisValue>;
  /** Number of seeds pooled. */
  seeds: number;
  relevantW: PooledHistogram | null;
  irrelevantW: PooledHistogram | null;
}

export interface PooledMarginals {
  /** The point asked for, or the default one. */
  at: Record<string, AxisValue>;
  /** Methods with marginals at that point, in SWEEP_METHODS order. */
  methods: MethodMarginals[];
}

/**
 * First-layer weight marginals (THEORY.md section 4) of each method at one grid point, pooled
 * over seeds: counts summed bin by bin, then normalised to a density.
 *
 * @param at the point (some or all of its axes); default: the largest value of the first numeric
 *   non-seed axis (in the key order of the first record that has marginals)
 * @throws MflError ERR_MFL_FORMAT when the histogram edges differ between the records pooled, or
 *   an axis not fixed by `at` (besides the seed) takes several values for a method
 */
export function pooledMarginals(
  records: readonly PointRecord[],
  at?: Record<string, AxisValue>,
): PooledMarginals {
  const withMarginals = latestById(records).filter(
    (r) =>
      r.marginals !== null && (r.marginals.relevantW !== null || r.marginals.irrelevantW !== null),
  );
  const point = at ?? defaultPoint(withMarginals);
  const what = `marginals at ${formatParams(point)}`;
  const chosen = withMarginals.filter((r) =>
    Object.entries(point).every(([key, value]) => r.params[key] === value),
  );
  const rows = aggregate(chosen);
  const methods = methodsOf(chosen).map((method) => {
    methodRows(rows, method, Object.keys(point), what);
    const mine = chosen.filter((r) => r.method === method);
    const pool = (which: 'relevantW' | 'irrelevantW'): PooledHistogram | null => {
      const parts = mine.flatMap((r) => r.marginals?.[which] ?? []);
      return parts.length === 0 ? null : poolHistograms(parts, `${what}, ${method} ${which}`);
    };
    return {
      method,
      params: sortedParams(withoutSeed(mine[0]!.params)),
      seeds: mine.length,
      relevantW: pool('relevantW'),
      irrelevantW: pool('irrelevantW'),
    };
  });
  return { at: point, methods };
}

function defaultPoint(records: readonly PointRecord[]): Record<string, AxisValue> {
  const first = records[0];
  if (!first) return {};
  const key = Object.keys(first.params).find(
    (k) => k !== SEED_AXIS && typeof first.params[k] === 'number',
  );
  if (key === undefined) return {};
  const values = records.map((r) => r.params[key]).filter((v) => typeof v === 'number');
  return { [key]: Math.max(...values) };
}

/**
 * Sums histograms with the same bin edges and normalises the sum to a density.
 * @throws MflError ERR_MFL_FORMAT when the edges differ
 */
export function poolHistograms(parts: readonly Marginal[], what: string): PooledHistogram {
  const edges = parts[0]!.edges;
  const counts = new Array<number>(edges.length - 1).fill(0);
  let underflow = 0;
  let overflow = 0;
  for (const part of parts) {
    if (!sameEdges(edges, part.edges)) {
      throw new MflError(
        'ERR_MFL_FORMAT',
        `${what}: histogram bins differ between the records pooled (${describeEdges(edges)} vs ` +
          `${describeEdges(part.edges)}); pool only runs with the same histBins and histRange`,
      );
    }
    part.counts.forEach((c, i) => (counts[i]! += c));
    underflow += part.underflow;
    overflow += part.overflow;
  }
  const total = counts.reduce((s, c) => s + c, 0);
  const density = counts.map((c, i) => (total > 0 ? c / (total * (edges[i + 1]! - edges[i]!)) : 0));
  return { edges: [...edges], counts, density, total, underflow, overflow };
}

function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return (
    a.length === b.length &&
    a.every((v, i) => Math.abs(v - b[i]!) <= 1e-12 * Math.max(1, Math.abs(v)))
  );
}

function describeEdges(edges: readonly number[]): string {
  return `${edges.length - 1} bins in [${edges[0]}, ${edges[edges.length - 1]}]`;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Options of `methodRatios`: the fields of a ratio figure. */
export interface RatioOptions {
  /** The axis on x, e.g. "network.N". */
  x: string;
  /** One panel per value of this axis, if any. */
  facet?: string;
  y: 'testMse' | 'trainMse' | 'mS';
  /** [numerator, denominator] method pairs. */
  ratios: readonly (readonly [SweepMethod, SweepMethod])[];
}

/** The ratio of two methods' seed means at one grid point. */
export interface RatioPoint {
  numerator: SweepMethod;
  denominator: SweepMethod;
  params: Record<string, AxisValue>;
  /** mean(numerator) / mean(denominator); null when either is missing or the denominator is 0. */
  ratio: number | null;
  /**
   * Standard error by the delta method, |ratio| sqrt((se_n / mean_n)^2 + (se_d / mean_d)^2),
   * treating the two methods' seed means as independent; null when either has fewer than two
   * seeds.
   */
  se: number | null;
  /** Seeds behind the numerator and the denominator. */
  seeds: [number, number];
}

/**
 * Ratios of two methods' seed means of `y` at each grid point (x and facet) both methods ran.
 * @throws MflError ERR_MFL_FORMAT when an axis other than x and facet takes several values for a
 *   method (see `methodRows`)
 */
export function methodRatios(records: readonly PointRecord[], options: RatioOptions): RatioPoint[] {
  const rows = aggregate(records);
  const axes = options.facet === undefined ? [options.x] : [options.x, options.facet];
  const what = `ratio of ${options.y}`;
  const keyOf = (params: Record<string, AxisValue>) =>
    JSON.stringify(axes.map((a) => params[a] ?? null));
  return options.ratios.flatMap(([numerator, denominator]) => {
    const below = new Map(
      methodRows(rows, denominator, axes, what).map((r) => [keyOf(r.params), r]),
    );
    return methodRows(rows, numerator, axes, what).flatMap((top): RatioPoint[] => {
      const bottom = below.get(keyOf(top.params));
      if (bottom === undefined) return [];
      const n = top[options.y];
      const d = bottom[options.y];
      const ratio = n.mean !== null && d.mean !== null && d.mean !== 0 ? n.mean / d.mean : null;
      const se =
        ratio !== null && n.se !== null && d.se !== null && n.mean !== 0
          ? Math.abs(ratio) * Math.hypot(n.se / n.mean!, d.se / d.mean!)
          : null;
      const params = Object.fromEntries(axes.map((a) => [a, top.params[a]!]));
      return [{ numerator, denominator, params, ratio, se, seeds: [n.n, d.n] }];
    });
  });
}
