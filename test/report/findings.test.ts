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
        [160, 0.3, 0.5],
      ],
      'mf-ard': [
        [40, 1.5, 0.1],
        [160, 0.1, 0.6],
      ],
    }),
  );
  assert.deepEqual(
    findings.map((f) => f.holds),
    [true, true],
  );
  assert.match(findings[0]!.detail, /^P = 160: SGLD mS 0\.950 .* KRR mS 0\.200/);
  assert.match(findings[1]!.detail, /^closer at 1 of 1 sizes/);
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
    [false, false],
  );
  assert.match(findings[1]!.detail, /^closer at 0 of 1 sizes/);
});

test('no claim about methods that did not run; SGLD never learning makes the MF claim vacuous', () => {
  assert.deepEqual(learningCurveFindings(curve({ sgld })), []);
  const [ard] = learningCurveFindings(
    curve({ sgld: [[40, 1.5, 0.1]], mf: [[40, 1.5, 0.1]], 'mf-ard': [[40, 1.4, 0.1]] }),
  );
  assert.equal(ard!.holds, false);
  assert.match(ard!.detail, /SGLD learns at no size/);
});
