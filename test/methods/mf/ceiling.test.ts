/**
 * The mean-field ceiling on mS (THEORY.md section 10): c^2 in closed form where one exists, the
 * equal-weight optimum of the parity case against random weights (exact sums over the
 * hypercube), and measured MF-ARD mS against N c^2 / (1 + N c^2) at small widths.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activationFunction } from '../../../src/backend/js/network.js';
import type { Activation } from '../../../src/backend/types.js';
import {
  mSCeiling,
  mfCeiling,
  parityCosine2,
  targetCosine2,
} from '../../../src/methods/mf/ceiling.js';
import { meanField } from '../../../src/methods/mf/index.js';
import { estimate } from '../../../src/report/index.js';
import type { TaskSpec } from '../../../src/tasks/spec.js';

type Generated = Extract<TaskSpec, { k: number }>;
const parity = (k: number) => ({ task: 'parity', d: 12, k }) as Generated;
const hermite = (k: number) => ({ task: 'single-index', d: 12, k }) as Generated;

function close(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= tol,
    `${what}: ${actual} vs ${expected}`,
  );
}

describe('c^2, the squared cosine of one neuron with the target', () => {
  test('closed forms: relu parity and Hermite, the sign limit of erf and tanh', () => {
    close(targetCosine2(parity(1), 'relu'), 1 / 2, 1e-15, 'relu parity k = 1');
    // k = 2: relu(x1 + x2) is 2 on (+, +) only: E[y phi] = 1/2, E[phi^2] = 1.
    close(targetCosine2(parity(2), 'relu'), 1 / 4, 1e-15, 'relu parity k = 2');
    // k = 4: E[y phi] = (4 - 4 * 2) / 16 = -1/4, E[phi^2] = (16 + 4 * 4) / 16 = 2.
    close(targetCosine2(parity(4), 'relu'), 1 / 32, 1e-15, 'relu parity k = 4');
    // E[relu(z) z] = E[relu(z)^2] = 1/2; E[relu(z) He_2(z)] = 1 / sqrt(2 pi);
    // E[relu(z) He_4(z)] = (8 - 12 + 3) / sqrt(2 pi).
    close(targetCosine2(hermite(1), 'relu'), 1 / 2, 1e-9, 'relu He_1');
    close(targetCosine2(hermite(2), 'relu'), 1 / (2 * Math.PI), 1e-9, 'relu He_2');
    close(targetCosine2(hermite(4), 'relu'), 1 / (24 * Math.PI), 1e-9, 'relu He_4');
    // A steep erf or tanh is the sign of x1 + x2 + x3: E[y sign] = -1/2 on the hypercube.
    for (const activation of ['erf', 'tanh'] as const) {
      close(targetCosine2(parity(3), activation), 1 / 4, 1e-6, `${activation} parity k = 3`);
    }
    // linear: c^2 = 1 for degree 1.
    close(targetCosine2(hermite(1), 'linear'), 1, 1e-9, 'linear He_1');
  });

  test('what a bias-free network cannot represent has c^2 = 0 (THEORY.md section 1)', () => {
    const zero: [Generated, Activation][] = [
      [parity(3), 'relu'],
      [parity(5), 'relu'],
      [hermite(3), 'relu'],
      [parity(2), 'erf'],
      [hermite(4), 'tanh'],
      [parity(2), 'linear'],
      [hermite(2), 'linear'],
    ];
    for (const [task, activation] of zero) {
      close(targetCosine2(task, activation), 0, 1e-12, `${task.task} k = ${task.k}, ${activation}`);
    }
  });

  test('parity: equal weights on S do at least as well as any other weights', () => {
    // Exact sums over {-1, +1}^(k + 2): k relevant coordinates and two irrelevant ones.
    let state = 12345;
    const uniform = () => (state = (state * 16807) % 2147483647) / 2147483647;
    for (const activation of ['relu', 'erf'] as const) {
      for (const k of [2, 4]) {
        const ours = targetCosine2(parity(k), activation)!;
        let best = 0;
        for (let trial = 0; trial < 1500; trial++) {
          const scale = Math.exp(4 * (uniform() - 0.5));
          const w = Array.from({ length: k + 2 }, (_, j) =>
            j < k
              ? scale * (0.2 + uniform()) * (uniform() < 0.5 ? -1 : 1)
              : scale * (uniform() - 0.5),
          );
          best = Math.max(best, hypercubeCosine2(w, k, activation));
        }
        assert.ok(best <= ours + 1e-12, `${activation} k = ${k}: ${best} > ${ours}`);
      }
    }
  });

  test('parityCosine2 is the hypercube sum at equal weights', () => {
    for (const alpha of [0.1, 0.7, 3]) {
      const direct = hypercubeCosine2([alpha, alpha, alpha, alpha], 4, 'tanh');
      close(parityCosine2(4, 'tanh', alpha), direct, 1e-14, `tanh, alpha = ${alpha}`);
    }
  });

  test('the ceiling: N c^2 / (1 + N c^2); none for custom data or k = 0', () => {
    assert.equal(mSCeiling(64, 1 / 32), 2 / 3);
    assert.deepEqual(mfCeiling(parity(4), 1024, 'relu'), { c2: 1 / 32, mS: 32 / 33 });
    assert.equal(mfCeiling({ task: 'custom' } as TaskSpec, 64, 'relu'), null);
    assert.equal(mfCeiling(parity(0), 64, 'relu'), null);
  });
});

/** Squared cosine of phi(w . x) with x_1 ... x_k over x uniform on {-1, +1}^n, exactly. */
function hypercubeCosine2(w: readonly number[], k: number, activation: Activation): number {
  const phi = activationFunction(activation);
  let yPhi = 0;
  let phi2 = 0;
  for (let bits = 0; bits < 1 << w.length; bits++) {
    let h = 0;
    let y = 1;
    w.forEach((wj, j) => {
      const x = (bits >> j) & 1 ? -1 : 1;
      h += wj * x;
      if (j < k) y *= x;
    });
    const f = phi(h);
    yPhi += y * f;
    phi2 += f * f;
  }
  return (yPhi * yPhi) / (phi2 * 2 ** w.length);
}

describe('MF-ARD against its ceiling (parity d = 8, k = 2, kappa = 0.01, P = 200)', () => {
  // From the aligned start, deep in the learned phase: the ceiling should bind. 3 seeds; the
  // tolerance above the ceiling is 3 standard errors of the seed mean.
  for (const N of [2, 16]) {
    test(`N = ${N}: mS at most the ceiling, and within 10% of it`, async () => {
      // One run at a time: concurrent native jobs would share (and oversubscribe) the BLAS threads.
      const runs = [];
      for (const seed of [1, 2, 3]) {
        runs.push(
          await meanField({
            task: { task: 'parity', d: 8, k: 2, P: 200, PTest: 2000, seed },
            network: { N },
            solver: {
              kappa: 0.01,
              particles: 256,
              steps: 3000,
              dt: 0.005,
              seed,
              init: 'aligned',
              ard: { alpha0: 4 },
            },
          }),
        );
      }
      const ceiling = runs[0]!.ceiling!.mS;
      close(ceiling, N / 4 / (1 + N / 4), 1e-15, 'ceiling');
      const mS = estimate(runs.map((r) => r.mS));
      assert.ok(mS.mean! <= ceiling + 3 * mS.se!, `mS ${mS.mean} +- ${mS.se} vs ${ceiling}`);
      assert.ok(mS.mean! >= 0.9 * ceiling, `mS ${mS.mean} vs ${ceiling}`);
    });
  }
});
