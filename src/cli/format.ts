/**
 * Plain-text layouts for human output: aligned `key: value` lines and small tables.
 */

/** `key: value` lines with the values aligned in one column. */
export function keyValueLines(entries: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...entries.map(([key]) => key.length + 1));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}\n`).join('');
}

/**
 * A table with a header row; columns are left-aligned except those listed in `right` (numbers).
 */
export function table(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  right: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) =>
        right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [header, ...rows].map((r) => `${line(r)}\n`).join('');
}

/** A result value for human output: `digits` decimals, exponent form when tiny or huge, '-' for null. */
export function formatValue(x: number | null, digits = 4): string {
  if (x === null) return '-';
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? x.toExponential(digits - 1) : x.toFixed(digits);
}
