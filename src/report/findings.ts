/**
 * The claims a learning curve is drawn to show (the seed paper's), checked on the numbers of a
 * sweep rather than asserted: the kernel limit misses feature learning, plain MF gets the onset
 * but not the size, MF-ARD matches SGLD around the transition (and where it parts), MF-ARD tracks
 * SGLD better than plain MF. `mfl demo` prints them; their tests state the thresholds.
 */
import { aggregate } from './analysis.js';
import type { AggregateRow } from './analysis.js';
import type { PointRecord, SweepMethod } from '../experiments/types.js';

/** mS above this counts as "learned" (the target's overlap is more than half its norm). */
export const LEARNED_MS = 0.5;

/** Two test errors within this factor of each other "match" (MF-ARD against SGLD). */
export const MATCH_FACTOR = 2;

/** One checked claim. */
export interface Finding {
  claim: string;
  holds: boolean;
  /** The numbers behind the verdict, in words. */
  detail: string;
}

type Curve = Map<number, AggregateRow>;

/** The rows of `method` keyed by their value of `x` (rows with other axes besides x and seed are
 *  not a single curve and are left out). */
function curveOf(rows: readonly AggregateRow[], method: SweepMethod, x: string): Curve {
  const curve: Curve = new Map();
  for (const row of rows) {
    const keys = Object.keys(row.params);
    const v = row.params[x];
    if (row.method === method && keys.length === 1 && typeof v === 'number') curve.set(v, row);
  }
  return curve;
}

function fmt(v: number | null): string {
  return v === null ? '-' : v.toPrecision(3);
}

/** SGLD reaches mS > 0.5 at some size where kernel ridge regression stays below it. */
function sgldLearnsWhereNngpDoesNot(sgld: Curve, krr: Curve): Finding {
  const claim =
    `The kernel limit misses feature learning: SGLD learns the target (mS > ${LEARNED_MS}) at ` +
    'sizes where NNGP (KRR) does not';
  const shared = [...sgld.keys()].filter((P) => krr.has(P)).sort((a, b) => a - b);
  const where = shared.filter(
    (P) => (sgld.get(P)!.mS.mean ?? 0) > LEARNED_MS && (krr.get(P)!.mS.mean ?? 1) < LEARNED_MS,
  );
  const show = where.length ? where : shared;
  const detail = show
    .map((P) => {
      const s = sgld.get(P)!;
      const k = krr.get(P)!;
      return (
        `P = ${P}: SGLD mS ${fmt(s.mS.mean)} (test MSE ${fmt(s.testMse.mean)}), ` +
        `KRR mS ${fmt(k.mS.mean)} (test MSE ${fmt(k.testMse.mean)})`
      );
    })
    .join('; ');
  return { claim, holds: where.length > 0, detail: detail || 'no size with both methods' };
}

/** |log testMse(method) - log testMse(SGLD)|: distance of learning curves on the log-y plot. */
function logDistance(row: AggregateRow, sgld: AggregateRow): number | null {
  const a = row.testMse.mean;
  const b = sgld.testMse.mean;
  return a !== null && b !== null && a > 0 && b > 0 ? Math.abs(Math.log(a / b)) : null;
}

/** MF-ARD's test error is nearer SGLD's than plain MF's at most of the sizes where SGLD learns. */
function ardCloserThanMf(sgld: Curve, mf: Curve, ard: Curve): Finding {
  const claim = 'MF-ARD tracks SGLD more closely than plain MF (test MSE, where SGLD has learned)';
  const sizes = [...sgld.keys()]
    .filter((P) => mf.has(P) && ard.has(P) && (sgld.get(P)!.mS.mean ?? 0) > LEARNED_MS)
    .sort((a, b) => a - b);
  let closer = 0;
  const parts = sizes.map((P) => {
    const dArd = logDistance(ard.get(P)!, sgld.get(P)!);
    const dMf = logDistance(mf.get(P)!, sgld.get(P)!);
    if (dArd !== null && dMf !== null && dArd < dMf) closer++;
    return (
      `P = ${P}: SGLD ${fmt(sgld.get(P)!.testMse.mean)}, MF-ARD ${fmt(ard.get(P)!.testMse.mean)}, ` +
      `MF ${fmt(mf.get(P)!.testMse.mean)}`
    );
  });
  return {
    claim,
    holds: sizes.length > 0 && closer > sizes.length / 2,
    detail: sizes.length
      ? `closer at ${closer} of ${sizes.length} sizes; ${parts.join('; ')}`
      : 'SGLD learns at no size that MF and MF-ARD also ran',
  };
}

/** The sizes of a curve in increasing order. */
function sizesOf(curve: Curve): number[] {
  return [...curve.keys()].sort((a, b) => a - b);
}

/** The smallest size where the seed-mean mS exceeds LEARNED_MS, or null. */
function onset(curve: Curve): number | null {
  return sizesOf(curve).find((P) => (curve.get(P)!.mS.mean ?? 0) > LEARNED_MS) ?? null;
}

/** testMse(method) / testMse(SGLD) at P, or null. */
function ratioAt(curve: Curve, sgld: Curve, P: number): number | null {
  const a = curve.get(P)?.testMse.mean ?? null;
  const b = sgld.get(P)?.testMse.mean ?? null;
  return a !== null && b !== null && b > 0 ? a / b : null;
}

/** "P = 80: 0.76" pairs of a ratio curve. */
function ratiosText(curve: Curve, sgld: Curve, label: string): string {
  const parts = sizesOf(sgld)
    .filter((P) => curve.has(P))
    .map((P) => `P = ${P}: ${fmt(ratioAt(curve, sgld, P))}`);
  return `${label} / SGLD test MSE ${parts.join(', ')}`;
}

/**
 * Plain MF learns (mS > 0.5) at SGLD's onset or one grid size from it, but its test MSE at the
 * largest size stays more than MATCH_FACTOR times SGLD's.
 */
function mfGetsOnsetNotSize(sgld: Curve, mf: Curve): Finding {
  const claim =
    `Plain MF gets the onset but not the size: it learns (mS > ${LEARNED_MS}) within one grid ` +
    `size of SGLD's onset, but its test MSE at the largest P stays above ${MATCH_FACTOR}x SGLD's`;
  const sizes = sizesOf(sgld).filter((P) => mf.has(P));
  const sgldOnset = onset(sgld);
  const mfOnset = onset(mf);
  const steps =
    sgldOnset === null || mfOnset === null
      ? null
      : Math.abs(sizes.indexOf(sgldOnset) - sizes.indexOf(mfOnset));
  const largest = sizes[sizes.length - 1];
  const ratio = largest === undefined ? null : ratioAt(mf, sgld, largest);
  const holds = steps !== null && steps <= 1 && ratio !== null && ratio > MATCH_FACTOR;
  const detail =
    `onset (mS > ${LEARNED_MS}): SGLD at P = ${sgldOnset ?? 'none'}, MF at P = ${mfOnset ?? 'none'}; ` +
    ratiosText(mf, sgld, 'MF');
  return { claim, holds, detail };
}

/**
 * MF-ARD's test MSE is within MATCH_FACTOR of SGLD's at SGLD's onset (the transition); the detail
 * names the sizes where it parts.
 */
function ardMatchesAtTransition(sgld: Curve, ard: Curve): Finding {
  const claim =
    `MF-ARD matches SGLD within a factor ${MATCH_FACTOR} in test MSE at the transition ` +
    "(SGLD's onset)";
  const at = onset(sgld);
  const ratio = at === null ? null : ratioAt(ard, sgld, at);
  const holds = ratio !== null && ratio <= MATCH_FACTOR && ratio >= 1 / MATCH_FACTOR;
  const parts = sizesOf(sgld).filter((P) => {
    const r = ratioAt(ard, sgld, P);
    return r !== null && (r > MATCH_FACTOR || r < 1 / MATCH_FACTOR);
  });
  const detail =
    `SGLD's onset: ${at === null ? 'none' : `P = ${at}`}; ` +
    ratiosText(ard, sgld, 'MF-ARD') +
    `; parts (beyond a factor ${MATCH_FACTOR}) at ${parts.length ? parts.map((P) => `P = ${P}`).join(', ') : 'no size'}`;
  return { claim, holds, detail };
}

/**
 * The learning-curve claims of a sweep over `x` (default "task.P") with SGLD, KRR, MF and MF-ARD;
 * a claim whose methods did not run is left out.
 */
export function learningCurveFindings(records: readonly PointRecord[], x = 'task.P'): Finding[] {
  const rows = aggregate(records);
  const sgld = curveOf(rows, 'sgld', x);
  const krr = curveOf(rows, 'krr', x);
  const mf = curveOf(rows, 'mf', x);
  const ard = curveOf(rows, 'mf-ard', x);
  const findings: Finding[] = [];
  if (sgld.size && krr.size) findings.push(sgldLearnsWhereNngpDoesNot(sgld, krr));
  if (sgld.size && mf.size) findings.push(mfGetsOnsetNotSize(sgld, mf));
  if (sgld.size && ard.size) findings.push(ardMatchesAtTransition(sgld, ard));
  if (sgld.size && mf.size && ard.size) findings.push(ardCloserThanMf(sgld, mf, ard));
  return findings;
}
