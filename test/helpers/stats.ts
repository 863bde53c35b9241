/** Sample statistics for the statistical tests (all tolerances are 5 standard errors). */

/** Mean of g(x_i). */
export function meanOf(x: ArrayLike<number>, g: (v: number) => number = (v) => v): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += g(x[i]!);
  return sum / x.length;
}

/** Pearson correlation of two equally long samples. */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = meanOf(x);
  const my = meanOf(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** E[x^(2m)] for x ~ N(0, 1): (2m - 1)!!. */
export function gaussianEvenMoment(m: number): number {
  let product = 1;
  for (let j = 2 * m - 1; j > 1; j -= 2) product *= j;
  return product;
}
