/**
 * The critical noise from the equations (THEORY.md section 9, src/methods/mf/critical.ts): closed
 * forms of the neuron's target correlation, the no-tilt limit of the MF-ARD map (eigenvalue
 * N / (N + 2 alpha0) exactly), the linear-response eigenvalue against a finite-difference
 * derivative of the map, the fold (eigenvalue 1 at kappa_c, a fixed point just above, none just
 * below), quadrature convergence, the k = 2 crossover, unrepresentable targets, and input errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  criticalKappa,
  parseCriticalSpec,
  plainEquilibrium,
  smoothedActivation,
  symmetricBranch,
  targetCorrelation,
} from '../../../src/methods/mf/critical.js';

/** E_z f(z), z ~ N(0, 1), by a midpoint rule (error below 1e-7) on [from, 12], f = 0 below. */
function gaussianMean(f: (z: number) => number, from = -12): number {
  const h = 1e-3;
  let sum = 0;
  for (let z = from + h / 2; z < 12; z += h) sum += f(z) * Math.exp((-z * z) / 2);
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

describe('the neuron: Gaussian smoothing and target correlation', () => {
  test('relu smoothing in closed form equals the integral', () => {
    for (const [a, s] of [
      [0.3, 0.7],
      [-1.2, 0.4],
      [0, 1.5],
    ] as const) {
      // The integrand is smooth above the kink z = -a / s and zero below it.
      const z0 = -a / s;
      const relu = (z: number) => (z > z0 ? a + s * z : 0);
      const [m1, m2] = smoothedActivation('relu', a, s);
      assert.ok(Math.abs(m1 - gaussianMean(relu, z0)) < 1e-6, `m1 at a = ${a}`);
      assert.ok(Math.abs(m2 - gaussianMean((z) => relu(z) ** 2, z0)) < 1e-6, `m2 at a = ${a}`);
    }
  });

  test('tanh smoothing by quadrature equals the integral', () => {
    const [m1, m2] = smoothedActivation('tanh', 0.4, 0.8);
    assert.ok(Math.abs(m1 - gaussianMean((z) => Math.tanh(0.4 + 0.8 * z))) < 1e-8);
    assert.ok(Math.abs(m2 - gaussianMean((z) => Math.tanh(0.4 + 0.8 * z) ** 2)) < 1e-8);
  });

  test('closed forms: relu k = 1 gives w_1 / (2 sqrt d), E phi^2 = |w|^2 / (2 d)', () => {
    const d = 9;
    const r = targetCorrelation('relu', d, [1.7], 5);
    assert.ok(Math.abs(r.c - 1.7 / (2 * Math.sqrt(d))) < 1e-12);
    assert.ok(Math.abs(r.e - (1.7 ** 2 + 5) / (2 * d)) < 1e-12);
    // Relu's even part carries degree 4; E phi^2 = E h^2 / 2 for any symmetric h.
    const wS = [0.9, -1.1, 0.4, 2.0];
    const r4 = targetCorrelation('relu', 16, wS, 12);
    const norm2 = wS.reduce((s, w) => s + w * w, 0) + 12;
    assert.ok(Math.abs(r4.e - norm2 / 32) < 1e-12);
    assert.ok(r4.c !== 0);
  });

  test('a linear neuron has no weight on a degree-2 parity', () => {
    const r = targetCorrelation('linear', 10, [0.8, 1.3], 4);
    assert.ok(Math.abs(r.c) < 1e-15);
    assert.ok(Math.abs(r.e - (0.64 + 1.69 + 4) / 10) < 1e-12);
  });
});

describe('the MF-ARD map on the symmetric branch', () => {
  test('without tilt (P -> 0) the fixed point is the prior and the eigenvalue N / (N + 2 alpha0)', () => {
    const b = symmetricBranch({ d: 12, k: 4, P: 1e-9, N: 64, ard: { alpha0: 2 } }, 1);
    assert.ok(b.point);
    assert.ok(Math.abs(b.bath.rho - 1) < 1e-6, `bath rho ${b.bath.rho}`);
    assert.ok(Math.abs(b.point.x - 1) < 1e-6, `x ${b.point.x}`);
    assert.ok(Math.abs(b.point.response - 1) < 1e-6, `Gamma ${b.point.response}`);
    assert.ok(Math.abs(b.point.eigenvalue - 64 / 68) < 1e-6);
    assert.ok(Math.abs((b.eigenvalue as number) - 64 / 68) < 1e-5);
  });

  test('the linear response equals the finite-difference derivative of the map', () => {
    // Above kappa_c (0.34 here): the analytic eigenvalue holds u fixed, the finite difference
    // re-solves it; the feedback through the residual is negative and, for k = 4, tiny.
    const spec = { d: 10, k: 4, P: 400, N: 64, ard: true, step: 0.5 };
    const b = symmetricBranch(spec, 0.5);
    assert.ok(b.point && b.eigenvalue !== null);
    assert.ok(b.eigenvalue <= b.point.eigenvalue + 1e-9, 'feedback through r lowers it');
    assert.ok(Math.abs(b.eigenvalue - b.point.eigenvalue) < 5e-3);
    // Closer to kappa_c the tilt enhances the relevant fluctuations and the eigenvalue grows.
    const closer = symmetricBranch(spec, 0.4);
    assert.ok(closer.point && closer.point.response > b.point.response);
    assert.ok((closer.eigenvalue as number) > b.eigenvalue);
    assert.ok(b.eigenvalue < 1);
  });

  test('at kappa_c the eigenvalue reaches 1; a fixed point just above, none just below', () => {
    const spec = { d: 10, k: 4, P: 400, N: 64, ard: true, step: 0.5 };
    const r = criticalKappa(spec);
    assert.equal(r.kind, 'fold');
    assert.ok(r.kappaC !== null && r.branch?.eigenvalue != null);
    assert.ok(Math.abs(r.branch.eigenvalue - 1) < 0.01, `eigenvalue ${r.branch.eigenvalue}`);
    assert.equal(r.kappaCMean, r.kappaC / 400);
    const above = symmetricBranch(spec, r.kappaC * 1.05);
    assert.ok(above.point && (above.eigenvalue as number) < r.branch.eigenvalue);
    assert.equal(symmetricBranch(spec, r.kappaC * 0.95).point, null);
    // A finer quadrature gives the same kappa_c (spectral convergence of the trapezoid rule).
    const finer = criticalKappa({ ...spec, step: 0.35 });
    assert.ok(Math.abs((finer.kappaC as number) / r.kappaC - 1) < 2e-4);
  });

  test('kappa_c falls with d at fixed k and P', () => {
    const at = (d: number) => criticalKappa({ d, k: 4, P: 400, N: 64, ard: true }).kappaC as number;
    assert.ok(at(16) < at(10));
  });

  test('k = 2 has no fold: the fixed point moves continuously (a crossover)', () => {
    const r = criticalKappa({ d: 8, k: 2, P: 400, N: 64, ard: true });
    assert.equal(r.kappaC, null);
    assert.match(r.reason ?? '', /^no fold: .*eigenvalue 0\.9\d+ < 1 \(a continuous crossover\)$/);
  });
});

describe('plain MF', () => {
  test('its equilibrium mS rises as kappa falls and kappa_c is where it reaches the threshold', () => {
    const input = { d: 8, k: 2, P: 400, N: 64 };
    const mS = [4, 1, 0.25].map((kappa) => plainEquilibrium(input, kappa).mS);
    assert.ok((mS[0] as number) < (mS[1] as number) && (mS[1] as number) < (mS[2] as number));
    const r = criticalKappa(input, { threshold: 0.3 });
    assert.equal(r.kind, 'crossover');
    assert.ok(r.equilibrium && Math.abs(r.equilibrium.mS - 0.3) < 1e-3);
  });
});

describe('targets the neuron cannot represent and bad input', () => {
  test('odd k >= 3 with relu, even k with erf: no kappa_c, with the reason', () => {
    const odd = criticalKappa({ d: 10, k: 3, P: 400, N: 64, ard: true });
    assert.equal(odd.kappaC, null);
    assert.match(odd.reason ?? '', /no Walsh weight of odd degree k = 3/);
    const even = criticalKappa({ d: 10, k: 2, P: 400, N: 64, activation: 'erf' });
    assert.match(even.reason ?? '', /no Walsh weight of even degree k = 2/);
  });

  test('errors name the field and the allowed range', () => {
    const base = { d: 10, k: 4, P: 400, N: 64 };
    assert.throws(() => parseCriticalSpec({ ...base, d: 5, k: 5 }), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^k: must be an integer in \[1, d - 1\] = \[1, 4\]/,
    });
    assert.throws(() => parseCriticalSpec({ ...base, k: 7, d: 20 }), {
      message: /k: must be an integer in \[1, 6\], got 7/,
    });
    assert.throws(() => parseCriticalSpec({ ...base, N: 0.5 }), {
      message: /N: must be a finite number >= 1, got 0\.5/,
    });
    assert.throws(() => parseCriticalSpec({ ...base, ard: { alpha0: 0 } }), {
      message: /ard\.alpha0: must be a finite number > 0, got 0/,
    });
    assert.throws(() => criticalKappa(base, { threshold: 1 }), {
      message: /threshold: must be a number in \(0, 1\), got 1/,
    });
    assert.throws(() => symmetricBranch({ ...base, ard: true }, 0), { message: /^kappa: / });
    // The quadrature over the relevant weights grows like C(n + k - 1, k): refused, not run out of memory.
    assert.throws(() => criticalKappa({ ...base, d: 400, k: 6 }), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message:
        /^d: must be small enough for the quadrature .* nodes > 5e\+6 at k = 6, step 0\.5\): lower d or k, or raise step, got 400$/,
    });
    assert.throws(() => symmetricBranch(base, 1), { message: /^ard: / });
  });
});
