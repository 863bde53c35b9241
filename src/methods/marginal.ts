/**
 * Marginal histograms and moments (THEORY.md section 4), shared by the sampling methods: the
 * accumulated bin counts and raw moment sums become the reported summary.
 */

/** Histogram and moments of one marginal (THEORY.md section 4), pooled over chains and samples. */
export interface Marginal {
  /** Bin edges, bins + 1 values from -range to range (range = histRange prior std devs). */
  edges: number[];
  counts: number[];
  /** Values below -range / at or above range. */
  underflow: number;
  overflow: number;
  mean: number;
  variance: number;
  /** E[(x - mean)^4] / variance^2 - 3 (0 for a Gaussian). */
  excessKurtosis: number | null;
}

/**
 * @param counts bins + 2 counts: underflow, the bins, overflow
 * @param sums the raw moment sums (sum x, x^2, x^3, x^4) over the n values
 * @param n number of values (may be fractional: expected counts)
 * @param range the histogram covers [-range, range]
 */
export function summariseMarginal(
  counts: ArrayLike<number>,
  sums: ArrayLike<number>,
  n: number,
  range: number,
): Marginal {
  const bins = counts.length - 2;
  const [s1 = 0, s2 = 0, s3 = 0, s4 = 0] = Array.from(sums, (v) => v / n);
  const variance = s2 - s1 * s1;
  const central4 = s4 - 4 * s1 * s3 + 6 * s1 * s1 * s2 - 3 * s1 ** 4;
  const kurtosis = central4 / (variance * variance) - 3;
  return {
    edges: Array.from({ length: bins + 1 }, (_, k) => -range + (2 * range * k) / bins),
    counts: Array.from(counts).slice(1, bins + 1),
    underflow: counts[0]!,
    overflow: counts[bins + 1]!,
    mean: s1,
    variance,
    excessKurtosis: Number.isFinite(kurtosis) ? kurtosis : null,
  };
}
