/**
 * Convergence diagnostics of several chains (THEORY.md section 3): split R-hat and the effective
 * sample size with Geyer's initial monotone sequence, as Stan computes them (Gelman et al.,
 * Bayesian Data Analysis, 3rd ed., section 11.4-11.5; Stan reference manual, "Effective sample
 * size"). Both work on split chains: each chain's first and second halves count as two chains,
 * so a drift within a chain raises R-hat like a disagreement between chains does.
 */

/** Chains shorter than this (before splitting) give no diagnostics. */
export const MIN_DIAGNOSTIC_SAMPLES = 8;

/** Each chain cut into halves (the middle draw dropped when the length is odd). */
export function splitChains(chains: readonly Float64Array[]): Float64Array[] {
  return chains.flatMap((chain) => {
    const half = Math.floor(chain.length / 2);
    return [chain.subarray(0, half), chain.subarray(chain.length - half)];
  });
}

function mean(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  return sum / x.length;
}

/** Sample variance (n - 1 denominator). */
function variance(x: ArrayLike<number>): number {
  const m = mean(x);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i]! - m) ** 2;
  return sum / (x.length - 1);
}

/** Equal-length chains with enough draws, or null. */
function usable(chains: readonly Float64Array[]): Float64Array[] | null {
  if (chains.length < 2) return null;
  const n = chains[0]?.length ?? 0;
  if (n < MIN_DIAGNOSTIC_SAMPLES || chains.some((c) => c.length !== n)) return null;
  for (const chain of chains) for (const v of chain) if (!Number.isFinite(v)) return null;
  return splitChains(chains);
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Split R-hat: sqrt(var+ / W) with W the mean within-chain variance and
 * var+ = (n - 1)/n W + B/n, B/n the variance of the chain means, over the 2C half chains.
 * Values near 1 mean the chains agree; above about 1.01-1.1 they have not mixed.
 * @param chains one trace per chain, equal lengths
 * @returns R-hat, or null with fewer than 2 chains, fewer than 8 draws per chain, non-finite
 *   draws or zero within-chain variance
 */
export function splitRhat(chains: readonly Float64Array[]): number | null {
  const split = usable(chains);
  if (!split) return null;
  const n = split[0]!.length;
  const W = mean(split.map(variance));
  const betweenOverN = variance(split.map(mean));
  const varPlus = ((n - 1) / n) * W + betweenOverN;
  return finiteOrNull(Math.sqrt(varPlus / W));
}

/** Autocovariance at `lag` with the 1/n normalisation (as Stan's FFT estimate). */
function autocovariance(x: Float64Array, m: number, lag: number): number {
  let sum = 0;
  for (let i = 0; i + lag < x.length; i++) sum += (x[i]! - m) * (x[i + lag]! - m);
  return sum / x.length;
}

/**
 * Effective sample size over all chains (Stan's `ess`, on split chains): the combined
 * autocorrelation rho_t = 1 - (W - mean_j acov_j(t)) / var+, summed in pairs until a pair turns
 * negative (Geyer's initial positive sequence), made monotone, then ESS = M n / tau with
 * tau = -1 + 2 sum rho_t (+ the first dropped even term), floored at 1 / log10(M n).
 * @param chains one trace per chain, equal lengths
 * @returns the ESS of the mean, or null as for `splitRhat`
 */
export function effectiveSampleSize(chains: readonly Float64Array[]): number | null {
  const split = usable(chains);
  if (!split) return null;
  const n = split[0]!.length;
  const means = split.map(mean);
  const meanVar = mean(split.map((c, j) => (autocovariance(c, means[j]!, 0) * n) / (n - 1)));
  const varPlus = (meanVar * (n - 1)) / n + variance(means);
  const rho = (lag: number): number =>
    1 - (meanVar - mean(split.map((c, j) => autocovariance(c, means[j]!, lag)))) / varPlus;
  const rhoHat = new Float64Array(n + 2);
  let even = 1;
  let odd = rho(1);
  rhoHat[0] = even;
  rhoHat[1] = odd;
  let s = 1;
  while (s < n - 4 && even + odd > 0) {
    even = rho(s + 1);
    odd = rho(s + 2);
    if (even + odd >= 0) {
      rhoHat[s + 1] = even;
      rhoHat[s + 2] = odd;
    }
    s += 2;
  }
  const maxS = s;
  if (even > 0) rhoHat[maxS + 1] = even;
  // Geyer's initial positive sequence made monotone.
  for (let t = 1; t <= maxS - 3; t += 2) {
    if (rhoHat[t + 1]! + rhoHat[t + 2]! > rhoHat[t - 1]! + rhoHat[t]!) {
      rhoHat[t + 1] = (rhoHat[t - 1]! + rhoHat[t]!) / 2;
      rhoHat[t + 2] = rhoHat[t + 1]!;
    }
  }
  const total = split.length * n;
  let sum = 0;
  for (let t = 0; t < maxS; t++) sum += rhoHat[t]!;
  const tau = Math.max(-1 + 2 * sum + rhoHat[maxS + 1]!, 1 / Math.log10(total));
  return finiteOrNull(total / tau);
}

/**
 * Monte Carlo standard error of the mean of all draws (Stan's `mcse_mean`): the standard
 * deviation of the pooled draws over sqrt(ESS).
 * @param chains one trace per chain, equal lengths
 * @returns the standard error, or null as for `effectiveSampleSize`
 */
export function monteCarloStandardError(chains: readonly Float64Array[]): number | null {
  const ess = effectiveSampleSize(chains);
  if (ess === null) return null;
  const pooled = Float64Array.from(chains.flatMap((c) => Array.from(c)));
  return finiteOrNull(Math.sqrt(variance(pooled) / ess));
}
