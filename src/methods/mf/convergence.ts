/**
 * Batch means over the sampling window (docs/mf.md, "Convergence"): the Monte Carlo standard
 * errors of the time averages, of the halves' difference and of the drift, from the scatter of
 * the batch means about a straight line in time.
 */

/** Sums of a D-dimensional quantity over the samples of each of B batches. */
export interface BatchSums {
  /** B: samples in each batch (0 for an empty batch, which is left out). */
  counts: ArrayLike<number>;
  /** B x D row-major: sum over the batch's samples of each component. */
  sums: ArrayLike<number>;
  /** B: mean time (step) of each batch's samples. */
  centres: ArrayLike<number>;
}

/** A weighted straight line through the batch means, fitted per component. */
export interface BatchLine {
  /** D: the slope of each component per unit time. */
  slope: Float64Array;
  /**
   * The long-run variance per sample, summed over the components: sum_b n_b |mean_b - line(t_b)|^2
   * / (B' - 2), B' the non-empty batches. A batch of n samples has variance about this / n when
   * the batches are long against the autocorrelation time. NaN with B' < 3.
   */
  variance: number;
  /** Degrees of freedom B' - 2 of `variance`. */
  dof: number;
  /** sum_b n_b (t_b - tbar)^2: Var(slope) = variance / sxx (one component). */
  sxx: number;
}

/**
 * The weighted least-squares line mean_b = a + s t_b (weights n_b) through each component's batch
 * means, and the pooled scatter about it. Removing the line keeps a steady drift out of the
 * variance, so the variance measures the noise even in a run that is still moving.
 */
export function batchLine(batches: BatchSums): BatchLine {
  const { counts, sums, centres } = batches;
  const B = counts.length;
  const D = B > 0 ? sums.length / B : 0;
  let n = 0;
  let tSum = 0;
  let used = 0;
  for (let b = 0; b < B; b++) {
    const nb = counts[b]!;
    if (nb <= 0) continue;
    n += nb;
    tSum += nb * centres[b]!;
    used++;
  }
  const slope = new Float64Array(D);
  if (used < 3) return { slope, variance: NaN, dof: Math.max(0, used - 2), sxx: NaN };
  const tBar = tSum / n;
  let sxx = 0;
  for (let b = 0; b < B; b++) sxx += counts[b]! * (centres[b]! - tBar) ** 2;
  let scatter = 0;
  for (let j = 0; j < D; j++) {
    let mBar = 0;
    for (let b = 0; b < B; b++) mBar += sums[b * D + j]!;
    mBar /= n;
    let sxy = 0;
    for (let b = 0; b < B; b++) {
      const nb = counts[b]!;
      if (nb > 0) sxy += nb * (centres[b]! - tBar) * (sums[b * D + j]! / nb - mBar);
    }
    const s = sxx > 0 ? sxy / sxx : 0;
    slope[j] = s;
    for (let b = 0; b < B; b++) {
      const nb = counts[b]!;
      if (nb > 0) scatter += nb * (sums[b * D + j]! / nb - mBar - s * (centres[b]! - tBar)) ** 2;
    }
  }
  return { slope, variance: scatter / (used - 2), dof: used - 2, sxx };
}

/**
 * Sample steps t = burnIn + k sampleEvery < steps fall in batch
 * floor((t - burnIn) batches / (steps - burnIn)) (the kernel's rule); the mean step of each
 * batch's samples (NaN for an empty batch).
 */
export function batchCentres(config: {
  steps: number;
  burnIn: number;
  sampleEvery: number;
  batches: number;
}): Float64Array {
  const { steps, burnIn, sampleEvery: every, batches: B } = config;
  const window = steps - burnIn;
  const samples = Math.floor((window - 1) / every) + 1;
  const centres = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    // k in [first, last]: b window <= k every B < (b + 1) window.
    const first = Math.ceil((b * window) / (every * B));
    const last = Math.min(samples, Math.ceil(((b + 1) * window) / (every * B))) - 1;
    centres[b] = last >= first ? burnIn + (every * (first + last)) / 2 : NaN;
  }
  return centres;
}
