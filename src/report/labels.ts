/**
 * The words and colours of every figure and table: one legend name and one colour per method,
 * and axis titles with the names of THEORY.md, so the same quantity reads the same everywhere.
 */
import type { PointRecord, SweepMethod } from '../experiments/types.js';
import type { AggregatedObservable } from './analysis.js';

/** Legend name of each method. */
export const METHOD_LABELS: Readonly<Record<SweepMethod, string>> = {
  sgld: 'SGLD',
  mf: 'MF',
  'mf-ard': 'MF-ARD',
  krr: 'NNGP (KRR)',
  eigen: 'NNGP (eigenlearning)',
};

/** Colour of each method (Tableau 10), the same in every figure. */
export const METHOD_COLOURS: Readonly<Record<SweepMethod, string>> = {
  sgld: '#4c78a8',
  mf: '#f58518',
  'mf-ard': '#54a24b',
  krr: '#e45756',
  eigen: '#b279a2',
};

/** Axis title of each observable (THEORY.md section 4). */
export const OBSERVABLE_TITLES: Readonly<Record<AggregatedObservable, string>> = {
  testMse: 'test MSE',
  trainMse: 'train MSE',
  mS: 'm_S (overlap with the target)',
  anisotropy: 'anisotropy (mean q_j, j in S / j not in S)',
  mSCeiling: 'mean-field ceiling on m_S, N c^2 / (1 + N c^2)',
};

const AXIS_TITLES: Readonly<Record<string, string>> = {
  'task.P': 'P (training samples)',
  'task.d': 'd (input dimension)',
  'task.k': 'k (target degree)',
  'task.PTest': 'P_test (test samples)',
  'task.labelNoise': 'sigma_eps (label noise)',
  'network.N': 'N (hidden units)',
  'network.gamma': 'gamma (output scaling exponent)',
  'network.sigmaW': 'sigma_w (first-layer prior std)',
  'network.sigmaA': 'sigma_a (second-layer prior std)',
  'network.sigmaB': 'sigma_b (bias prior std)',
  seed: 'seed',
};

/**
 * The title of a grid axis: the THEORY.md name and meaning for the known ones, the axis path
 * otherwise. kappa also names the loss convention of the records (THEORY.md section 3), since
 * the same posterior has kappa = P * kappa' under the mean loss.
 */
export function axisTitle(axis: string, records: readonly PointRecord[]): string {
  if (axis === 'kappa') return `kappa (noise level, ${lossDescription(records)})`;
  return AXIS_TITLES[axis] ?? axis;
}

/** "sum loss", "mean loss", or both named when the records mix them. */
export function lossDescription(records: readonly PointRecord[]): string {
  const losses = [...new Set(records.map(lossOf))].sort();
  return losses.length === 1 ? `${losses[0]} loss` : `loss ${losses.join(' and ')} mixed`;
}

/** The loss of a record's spec: "loss" (nngp) or "sampler.loss" (sgld); MF has only "sum". */
function lossOf(record: PointRecord): string {
  const spec = record.spec;
  const sampler = spec.sampler;
  const loss =
    spec.loss ??
    (typeof sampler === 'object' && sampler !== null
      ? (sampler as Record<string, unknown>).loss
      : undefined);
  return typeof loss === 'string' ? loss : 'sum';
}
