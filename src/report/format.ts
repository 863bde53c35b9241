/**
 * How numbers and grid points are printed in figure subtitles and report tables.
 */
import type { AxisValue } from '../experiments/types.js';
import type { PowerLawFit } from './analysis.js';

/** Three significant digits; exponent notation outside [1e-3, 1e5). */
export function formatNumber(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e5) return String(Number(value.toPrecision(3)));
  return value.toExponential(2).replace(/\.?0+e/, 'e');
}

/** "mean ± se", just the mean when se is null, "–" when there is no mean. */
export function formatMeanSe(mean: number | null, se: number | null): string {
  if (mean === null) return '–';
  return se === null ? formatNumber(mean) : `${formatNumber(mean)} ± ${formatNumber(se)}`;
}

/** "task.P = 80, kappa = 0.01" ("the whole grid" for no axes). */
export function formatParams(params: Record<string, AxisValue>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return 'the whole grid';
  return entries.map(([key, value]) => `${key} = ${String(value)}`).join(', ');
}

/** A fitted slope as "-0.5 ± 0.03 (5 points)", or why there is none. */
export function slopeText(fit: PowerLawFit | null): string {
  if (fit === null) return 'n/a (fewer than 2 points)';
  const se = fit.slopeSe === null ? '' : ` ± ${formatNumber(fit.slopeSe)}`;
  return `${formatNumber(fit.slope)}${se} (${fit.n} points)`;
}
