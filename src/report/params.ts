/**
 * Grid coordinates in the report: one deterministic order for axis values and points, and one
 * way to print them.
 */
import type { AxisValue } from '../experiments/types.js';

const TYPE_RANK = { boolean: 0, number: 1, string: 2 } as const;

/** Booleans (false first), then numbers (numerically), then strings (by code unit). */
export function compareAxisValues(a: AxisValue, b: AxisValue): number {
  const ta = typeof a as keyof typeof TYPE_RANK;
  const tb = typeof b as keyof typeof TYPE_RANK;
  if (ta !== tb) return TYPE_RANK[ta] - TYPE_RANK[tb];
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

/** Points compared axis by axis, keys in sorted order; a missing axis sorts first. */
export function compareParams(a: Record<string, AxisValue>, b: Record<string, AxisValue>): number {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    const va = a[key];
    const vb = b[key];
    if (va === vb) continue;
    if (va === undefined) return -1;
    if (vb === undefined) return 1;
    const c = compareAxisValues(va, vb);
    if (c !== 0) return c;
  }
  return 0;
}

/** A copy with the keys in sorted order. */
export function sortedParams(params: Record<string, AxisValue>): Record<string, AxisValue> {
  return Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1)));
}
