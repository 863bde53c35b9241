/**
 * Warnings known before a run starts (a target the network cannot represent), printed on stderr
 * so that --json output stays one clean JSON document. The run still proceeds.
 */
import type { SweepPoint } from '../experiments/types.js';
import type { SweepWarning } from '../experiments/warnings.js';
import type { CliIo } from './io.js';
import { pointLabel } from './sweep-progress.js';

/** Points a sweep warning lists by name; more are summarised per method. */
const NAMED_POINTS = 4;

/** Prints each warning once, as "mfl: warning: ...". */
export function printWarnings(io: CliIo, warnings: readonly string[]): void {
  for (const w of new Set(warnings)) io.stderr(`mfl: warning: ${w}\n`);
}

/** "sgld (18 points), krr (18 points)": the methods of `points`, in their order. */
function methodCounts(points: readonly SweepPoint[]): string {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.method, (counts.get(p.method) ?? 0) + 1);
  return [...counts].map(([m, n]) => `${m} (${n} point${n === 1 ? '' : 's'})`).join(', ');
}

/** Each distinct sweep warning once, naming the points (or the methods) it concerns. */
export function printSweepWarnings(
  io: CliIo,
  warnings: readonly SweepWarning[],
  total: number,
): void {
  for (const { message, points } of warnings) {
    const which =
      points.length <= NAMED_POINTS
        ? points.map((p) => pointLabel(p)).join('; ')
        : methodCounts(points);
    io.stderr(
      `mfl: warning: ${message}\n` +
        `mfl:   concerns ${points.length} of ${total} points: ${which}\n`,
    );
  }
}
