/**
 * What an MF-ARD branch reports of its precisions (THEORY.md section 7, docs/mf.md "MF-ARD"):
 * rho per input coordinate, and the spread of rho over the weights of the target set S and of its
 * complement, the summary that tells the neuron-wise variant's specialised particles (small
 * rho_pj on S) from the rest.
 */
import type { MfKernelConfig } from '../../backend/types.js';

/** rho over one group of first-layer weights (w_pj, j in S or not in S), final state. */
export interface RhoSpread {
  mean: number;
  /** Standard deviation over the group's weights (0 when every particle shares rho_j). */
  sd: number;
  q10: number;
  median: number;
  q90: number;
}

/** rho over the relevant (j in S) and irrelevant weights; null for an empty group. */
export interface RhoMarginals {
  relevant: RhoSpread | null;
  irrelevant: RhoSpread | null;
}

type RhoShape = Pick<MfKernelConfig, 'M' | 'd' | 'nRelevant' | 'ardPrecisions'>;

/** Particle p's precision of coordinate j (the shared rho_j for coordinate-wise precisions). */
function rhoOf(config: RhoShape, rho: ArrayLike<number>, p: number, j: number): number {
  return config.ardPrecisions === 'neuron' ? rho[p * config.d + j]! : rho[j]!;
}

/** rho_j, or for neuron-wise precisions the particle mean (1/M) sum_p rho_pj, per coordinate. */
export function coordinatePrecisions(config: RhoShape, rho: ArrayLike<number>): number[] {
  if (config.ardPrecisions !== 'neuron') return Array.from(rho);
  const { M, d } = config;
  return Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let p = 0; p < M; p++) s += rho[p * d + j]!;
    return s / M;
  });
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: Float64Array, f: number): number {
  const x = f * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (x - lo) * (sorted[hi]! - sorted[lo]!);
}

function spreadOf(values: Float64Array): RhoSpread | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  const sorted = values.slice().sort();
  return {
    mean,
    sd: Math.sqrt(squares / values.length),
    q10: quantile(sorted, 0.1),
    median: quantile(sorted, 0.5),
    q90: quantile(sorted, 0.9),
  };
}

/**
 * rho over the M x |S| relevant and M x (d - |S|) irrelevant weights of the final state (for
 * coordinate-wise precisions every particle carries the same rho_j).
 */
export function rhoMarginals(config: RhoShape, rho: ArrayLike<number>): RhoMarginals {
  const { M, d, nRelevant } = config;
  const relevant = new Float64Array(M * nRelevant);
  const irrelevant = new Float64Array(M * (d - nRelevant));
  for (let p = 0; p < M; p++) {
    for (let j = 0; j < d; j++) {
      const value = rhoOf(config, rho, p, j);
      if (j < nRelevant) relevant[p * nRelevant + j] = value;
      else irrelevant[p * (d - nRelevant) + j - nRelevant] = value;
    }
  }
  return { relevant: spreadOf(relevant), irrelevant: spreadOf(irrelevant) };
}
