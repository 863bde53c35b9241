/**
 * The learning-curve claims `mfl demo` prints are computed from the numbers: each holds on a curve
 * made to satisfy it and fails on one made to contradict it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningCurveFindings } from '../../src/report/findings.js';
import type { SweepMethod } from '../../src/experiments/types.js';
import { records } from './fixtures.js';

/** Two seeds per (method, P) with the given seed-mean test MSE and mS (the seeds straddle it). */
function curve(values: Partial<Record<SweepMethod, [number, number, number][]>>) {
  return records(
    Object.entries(values).flatMap(([method, points]) =>
      points!.flatMap(([P, testMse, mS]) =>
        [1, 2].map((seed) => ({
          method: method as SweepMethod,
          params: { 'task.P': P, seed },
          observables: {
            testMse: testMse * (seed === 1 ? 0.9 : 1.1),
            mS: mS + (seed === 1 ? -0.01 : 0.01),
          },
        })),
      ),
    ),
  );
}

const sgld: [number, number, number][] = [
  [40, 1.5, 0.1],
  [160, 0.01, 0.95],
];

test('both claims hold where SGLD learns, KRR does not, and MF-ARD is nearer SGLD', () => {
  const findings = learningCurveFindings(
    curve({
      sgld,
      krr: [
        [40, 1.7, 0.05],
        [160, 1.1, 0.2],
      ],
      mf: [
        [40, 1.5, 0.1],
        [160, 0.3, 0.6],
      ],
      'mf-ard': [
        [40, 1.5, 0.1],
        [160, 0.1, 0.6],
      ],
    }),
  );
  // MF: onset at 160 like SGLD, test MSE 30x SGLD's there; MF-ARD 10x: parts from SGLD.
  assert.deepEqual(
    findings.map((f) => f.holds),
    [true, true, false, true],
  );
  assert.match(findings[0]!.detail, /^P = 160: SGLD mS 0\.950 .* KRR mS 0\.200/);
  assert.match(findings[1]!.detail, /^onset \(mS > 0\.5\): SGLD at P = 160, MF at P = 160; /);
  assert.match(findings[2]!.detail, /MF-ARD \/ SGLD test MSE P = 40: 1\.00, P = 160: 10\.0; parts/);
  assert.match(findings[3]!.detail, /^closer at 1 of 1 sizes/);
});

test('the claims fail when the kernel learns too, or plain MF is nearer SGLD', () => {
  const findings = learningCurveFindings(
    curve({
      sgld,
      krr: [[160, 0.05, 0.8]],
      mf: [[160, 0.02, 0.9]],
      'mf-ard': [[160, 0.2, 0.6]],
    }),
  );
  assert.deepEqual(
    findings.map((f) => f.holds),
    [false, false, false, false],
  );
  assert.match(findings[3]!.detail, /^closer at 0 of 1 sizes/);
});

test('no claim about methods that did not run; SGLD never learning makes the MF claim vacuous', () => {
  assert.deepEqual(learningCurveFindings(curve({ sgld })), []);
  const [, , ard] = learningCurveFindings(
    curve({ sgld: [[40, 1.5, 0.1]], mf: [[40, 1.5, 0.1]], 'mf-ard': [[40, 1.4, 0.1]] }),
  );
  assert.equal(ard!.holds, false);
  assert.match(ard!.detail, /SGLD learns at no size/);
});

/** SGLD learning from P = 80 on a four-size grid: the curve the onset and match claims read. */
const sgldCurve: [number, number, number][] = [
  [40, 1.5, 0.1],
  [80, 0.1, 0.8],
  [160, 0.01, 0.95],
  [320, 0.001, 0.99],
];

test('MF-ARD matches at the transition within a factor 2 and the detail names where it parts', () => {
  const ard = (ratios: number[]): [number, number, number][] =>
    sgldCurve.map(([P, mse, mS], i) => [P, mse * ratios[i]!, mS]);
  const [match] = learningCurveFindings(curve({ sgld: sgldCurve, 'mf-ard': ard([1, 1.9, 3, 10]) }));
  assert.equal(match!.holds, true);
  assert.match(
    match!.detail,
    /^SGLD's onset: P = 80; .*; parts \(beyond a factor 2\) at P = 160, P = 320$/,
  );
  // 2.1x at the onset: no match; 0.4x (MF-ARD better by more than the factor): no match either.
  for (const ratio of [2.1, 0.4]) {
    const [miss] = learningCurveFindings(
      curve({ sgld: sgldCurve, 'mf-ard': ard([1, ratio, 1, 1]) }),
    );
    assert.equal(miss!.holds, false, String(ratio));
  }
});

test("plain MF: the onset must be within one grid size of SGLD's, the size more than 2x off", () => {
  const mf = (mS: number[], last: number): [number, number, number][] =>
    sgldCurve.map(([P, mse], i) => [P, i === 3 ? last : mse, mS[i]!]);
  const check = (mS: number[], last: number) =>
    learningCurveFindings(curve({ sgld: sgldCurve, mf: mf(mS, last) }))[0]!;
  // Onset one size late, test MSE 5x SGLD's at P = 320: holds.
  assert.equal(check([0.1, 0.3, 0.6, 0.7], 0.005).holds, true);
  // Onset two sizes late: fails.
  assert.equal(check([0.1, 0.2, 0.3, 0.7], 0.005).holds, false);
  // Never learns: fails, saying so.
  const never = check([0.1, 0.2, 0.3, 0.4], 0.005);
  assert.equal(never.holds, false);
  assert.match(never.detail, /MF at P = none/);
  // The size matches SGLD's (1.5x): fails.
  assert.equal(check([0.1, 0.6, 0.9, 0.95], 0.0015).holds, false);
});
