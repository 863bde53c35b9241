/**
 * analysis.ts on fixed records with hand-computed answers: seed means and standard errors,
 * kappa_c interpolation and power-law slopes, bounds, phase boundaries and pooled marginals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregate,
  estimate,
  kappaC,
  methodRatios,
  phaseBoundary,
  pooledMarginals,
  powerLawFit,
} from '../../src/report/index.js';
import {
  D_GRID,
  KAPPA_C_THRESHOLD,
  PHASE_P,
  SGLD_P10_TEST_MSE,
  exactKappaC,
  histogram,
  kappaCRecords,
  learningCurveRecords,
  marginalRecords,
  phaseBoundaryKappa,
  phaseRecords,
  pointRecord,
  records,
} from './fixtures.js';

function close(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null, `${what}: null`);
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

test('aggregate: exact seed means and standard errors', () => {
  const rows = aggregate(learningCurveRecords());
  const sgld10 = rows.find((r) => r.method === 'sgld' && r.params['task.P'] === 10)!;
  assert.deepEqual(sgld10.params, { 'task.P': 10 });
  assert.equal(sgld10.n, 3);
  // testMse 1, 2, 4: mean 7/3, sample variance 7/3, SE sqrt(7/9).
  close(sgld10.testMse.mean, 7 / 3, 1e-15, 'mean');
  close(sgld10.testMse.se, Math.sqrt(7) / 3, 1e-15, 'se');
  assert.equal(sgld10.testMse.n, 3);
  close(sgld10.trainMse.mean, 7 / 6, 1e-15, 'train mean');
  // mS is null for seed 2: two values, both 0.
  assert.deepEqual(sgld10.mS, { mean: 0, se: 0, n: 2 });
  assert.deepEqual(sgld10.anisotropy, { mean: 1, se: 0, n: 3 });
  assert.deepEqual(sgld10.converged, { converged: 1, reported: 2 });

  const sgld20 = rows.find((r) => r.method === 'sgld' && r.params['task.P'] === 20)!;
  // testMse (1 + seed) / 20: mean 0.1, SE = 0.05 / sqrt(3).
  close(sgld20.testMse.mean, 0.1, 1e-15, 'mean P=20');
  close(sgld20.testMse.se, 0.05 / Math.sqrt(3), 1e-14, 'se P=20');

  const krr = rows.filter((r) => r.method === 'krr');
  assert.deepEqual(krr[0]!.testMse, { mean: 0.9, se: null, n: 1 });
  assert.deepEqual(krr[0]!.mS, { mean: null, se: null, n: 0 });
  assert.deepEqual(krr[0]!.converged, { converged: 0, reported: 0 });
});

test('aggregate: methods in SWEEP_METHODS order, points numerically, one row per point', () => {
  const rows = aggregate(learningCurveRecords().reverse());
  assert.deepEqual(
    rows.map((r) => `${r.method}:${r.params['task.P']}`),
    ['sgld', 'mf', 'krr', 'eigen'].flatMap((m) => [10, 20, 40].map((P) => `${m}:${P}`)),
  );
  const mixed = aggregate(
    records([
      { method: 'mf', params: { 'task.P': 100, act: 'relu' } },
      { method: 'mf', params: { 'task.P': 9, act: 'relu' } },
      { method: 'mf', params: { 'task.P': 20, act: 'erf' } },
      { method: 'sgld', params: { 'task.P': 100, act: 'relu' } },
    ]),
  );
  assert.deepEqual(
    mixed.map((r) => [r.method, r.params.act, r.params['task.P']]),
    [
      ['sgld', 'relu', 100],
      ['mf', 'erf', 20],
      ['mf', 'relu', 9],
      ['mf', 'relu', 100],
    ],
  );
});

test('aggregate: a point that ran twice counts once, with its later record', () => {
  const base = learningCurveRecords();
  const again = pointRecord({
    method: 'sgld',
    params: { 'task.P': 10, seed: 0 },
    observables: { testMse: 7 },
  });
  const row = aggregate([...base, again]).find(
    (r) => r.method === 'sgld' && r.params['task.P'] === 10,
  )!;
  assert.equal(row.n, 3);
  const values = [7, SGLD_P10_TEST_MSE[1]!, SGLD_P10_TEST_MSE[2]!];
  close(row.testMse.mean, values.reduce((s, v) => s + v) / 3, 1e-15, 'mean');
});

test('estimate: nulls skipped, SE null below two values', () => {
  assert.deepEqual(estimate([]), { mean: null, se: null, n: 0 });
  assert.deepEqual(estimate([null, 3, null]), { mean: 3, se: null, n: 1 });
  const e = estimate([2, 4, null]);
  assert.equal(e.mean, 3);
  close(e.se, 1, 1e-15, 'se of 2, 4');
});

test('kappaC: interpolation in log kappa recovers an exact power law', () => {
  const series = kappaC(kappaCRecords(), {
    x: 'task.d',
    kappa: 'kappa',
    threshold: KAPPA_C_THRESHOLD,
  });
  assert.deepEqual(
    series.map((s) => s.method),
    ['mf', 'mf-ard'],
  );
  const mf = series[0]!;
  assert.deepEqual(
    mf.points.map((p) => p.d),
    D_GRID,
  );
  for (const p of mf.points) {
    assert.equal(p.bound, 'interpolated');
    close(p.kappaC, exactKappaC(p.d), 1e-12, `kappa_c(${p.d})`);
  }
  const fit = mf.fit!;
  close(fit.slope, -0.75, 1e-9, 'slope');
  close(fit.intercept, Math.log(0.5), 1e-9, 'intercept');
  assert.equal(fit.n, 4);
  assert.ok(fit.slopeSe !== null && fit.slopeSe < 1e-9, `slope SE ${fit.slopeSe}`);
});

test('kappaC: lower bounds, no crossing, and a fit needs two interpolated points', () => {
  const [, ard] = kappaC(kappaCRecords(), {
    x: 'task.d',
    kappa: 'kappa',
    threshold: KAPPA_C_THRESHOLD,
  });
  assert.deepEqual(ard!.points.slice(0, 3), [
    { d: 8, kappaC: 4, bound: 'lower' },
    { d: 16, kappaC: 4, bound: 'lower' },
    { d: 32, kappaC: null, bound: 'none' },
  ]);
  // 0.8 at 2^-3, 0.2 at 2^-2: the threshold 0.5 is halfway in log kappa.
  assert.equal(ard!.points[3]!.bound, 'interpolated');
  close(ard!.points[3]!.kappaC, 2 ** -2.5, 1e-12, 'kappa_c(64)');
  assert.equal(ard!.fit, null);
});

test('kappaC: another axis with several values, or a non-positive kappa, is an error', () => {
  // Records come in (d, kappa, seed, method) order: P alternates with kappa.
  const extra = kappaCRecords().map((r, i) => ({
    ...r,
    params: { ...r.params, 'task.P': 100 + (Math.floor(i / 4) % 2) },
  }));
  assert.throws(
    () => kappaC(extra, { x: 'task.d', kappa: 'kappa', threshold: 0.5 }),
    (err: Error & { code?: string }) =>
      err.code === 'ERR_MFL_FORMAT' && /axis "task\.P" takes several values/.test(err.message),
  );
  const zero = records([
    { method: 'mf', params: { 'task.d': 8, kappa: 0 }, observables: { mS: 1 } },
  ]);
  assert.throws(
    () => kappaC(zero, { x: 'task.d', kappa: 'kappa', threshold: 0.5 }),
    /axis "kappa" must be a positive number at every point, got 0/,
  );
  assert.throws(
    () => kappaC(zero, { x: 'task.d', kappa: 'kappa', threshold: Number.NaN }),
    (err: Error & { code?: string }) => err.code === 'ERR_MFL_OUT_OF_RANGE',
  );
});

test('powerLawFit: slope, intercept and slope SE by hand', () => {
  // log x = 0, 1, 2; log y = 0, 1, 3: slope 3/2, intercept -1/6, RSS 1/6, SE sqrt(1/12).
  const fit = powerLawFit([1, Math.E, Math.E ** 2], [1, Math.E, Math.E ** 3])!;
  close(fit.slope, 1.5, 1e-14, 'slope');
  close(fit.intercept, -1 / 6, 1e-14, 'intercept');
  close(fit.slopeSe, Math.sqrt(1 / 12), 1e-14, 'slope SE');
  assert.equal(powerLawFit([2, 4], [1, 4])!.slopeSe, null);
  close(powerLawFit([2, 4], [1, 4])!.slope, 2, 1e-14, 'two-point slope');
  assert.equal(powerLawFit([2], [1]), null);
});

test('phaseBoundary: log interpolation along kappa recovers the boundary; no crossing is null', () => {
  const [sgld, mf] = phaseBoundary(phaseRecords(), {
    x: 'task.P',
    y: 'kappa',
    z: 'mS',
    threshold: 0.5,
  });
  assert.equal(sgld!.method, 'sgld');
  assert.equal(sgld!.logY, true);
  assert.deepEqual(
    sgld!.points.map((p) => p.x),
    PHASE_P,
  );
  for (const p of sgld!.points) {
    close(p.y, phaseBoundaryKappa(p.x as number), 1e-12, `boundary at P = ${p.x}`);
  }
  assert.equal(mf!.method, 'mf');
  assert.ok(mf!.points.every((p) => p.y === null));
});

test('phaseBoundary: linear interpolation when a y value is not positive; last crossing', () => {
  const rows = records([
    { method: 'sgld', params: { a: 1, noise: 0 }, observables: { mS: 1 } },
    { method: 'sgld', params: { a: 1, noise: 0.5 }, observables: { mS: 0.6 } },
    { method: 'sgld', params: { a: 1, noise: 1 }, observables: { mS: 0.2 } },
    { method: 'sgld', params: { a: 2, noise: 0 }, observables: { mS: 0.2 } },
    { method: 'sgld', params: { a: 2, noise: 0.5 }, observables: { mS: 0.8 } },
    { method: 'sgld', params: { a: 2, noise: 1 }, observables: { mS: 0.2 } },
  ]);
  const [sgld] = phaseBoundary(rows, { x: 'a', y: 'noise', z: 'mS', threshold: 0.5 });
  assert.equal(sgld!.logY, false);
  // a = 1: 0.6 -> 0.2 between 0.5 and 1, a quarter of the way: 0.625.
  close(sgld!.points[0]!.y, 0.625, 1e-15, 'a = 1');
  // a = 2: up through 0.5 between 0 and 0.5, then down between 0.5 and 1; the last crossing
  // (the critical noise), 0.8 -> 0.2, half way: 0.75.
  close(sgld!.points[1]!.y, 0.75, 1e-15, 'a = 2');
});

test('pooledMarginals: counts summed over seeds, densities integrate to 1', () => {
  const pooled = pooledMarginals(marginalRecords());
  assert.deepEqual(pooled.at, { 'task.P': 40 });
  assert.deepEqual(
    pooled.methods.map((m) => [m.method, m.seeds]),
    [
      ['sgld', 2],
      ['mf-ard', 2],
    ],
  );
  const relevant = pooled.methods[0]!.relevantW!;
  assert.deepEqual(relevant.edges, [-2, -1, 0, 1, 2]);
  assert.deepEqual(relevant.counts, [4, 4, 4, 0]);
  assert.equal(relevant.total, 12);
  assert.equal(relevant.underflow, 2);
  assert.equal(relevant.overflow, 4);
  assert.deepEqual(relevant.density, [1 / 3, 1 / 3, 1 / 3, 0]);
  for (const m of pooled.methods) {
    for (const h of [m.relevantW!, m.irrelevantW!]) {
      const integral = h.density.reduce((s, d, i) => s + d * (h.edges[i + 1]! - h.edges[i]!), 0);
      close(integral, 1, 1e-14, `${m.method} integral`);
    }
  }
  assert.deepEqual(pooled.methods[1]!.irrelevantW!.counts, [0, 8, 8, 0]);
  const at20 = pooledMarginals(marginalRecords(), { 'task.P': 20 });
  assert.deepEqual(at20.methods[0]!.relevantW!.counts, [2, 2, 2, 2]);
  // Bins of width 0.5: density = counts / (total * 0.5).
  const narrow = pooledMarginals(
    records([
      {
        method: 'sgld',
        params: { seed: 0 },
        marginals: { relevantW: histogram([1, 3, 0, 0], 1), irrelevantW: null },
      },
    ]),
  );
  assert.deepEqual(narrow.methods[0]!.relevantW!.density, [0.5, 1.5, 0, 0]);
  assert.equal(narrow.methods[0]!.irrelevantW, null);
});

test('pooledMarginals: different bins, or a point left ambiguous, is an error', () => {
  const mismatched = marginalRecords();
  mismatched[0] = {
    ...mismatched[0]!,
    params: { 'task.P': 40, seed: 7 },
    id: 'other',
    marginals: { relevantW: histogram([1, 1, 1, 1, 1, 1]), irrelevantW: null },
  };
  assert.throws(
    () => pooledMarginals(mismatched),
    /sgld relevantW: histogram bins differ between the records pooled \(6 bins in \[-2, 2\] vs 4 bins in \[-2, 2\]\)/,
  );
  assert.throws(
    () => pooledMarginals(marginalRecords(), {}),
    /axis "task\.P" takes several values/,
  );
  assert.deepEqual(pooledMarginals(learningCurveRecords()).methods, []);
});

test('methodRatios: ratio of seed means, delta-method SE, only points both methods ran', () => {
  const recs = learningCurveRecords();
  const ratios = methodRatios(recs, {
    x: 'task.P',
    y: 'testMse',
    ratios: [
      ['mf', 'sgld'],
      ['krr', 'sgld'],
    ],
  });
  assert.equal(ratios.length, 6);
  // P = 10: mf testMse 0.5, 0.6, 0.7 (mean 0.6, SE 0.1 / sqrt 3); sgld 1, 2, 4 (mean 7/3,
  // SE sqrt(7) / 3).
  const mf10 = ratios.find((r) => r.numerator === 'mf' && r.params['task.P'] === 10)!;
  const ratio = 0.6 / (7 / 3);
  assert.ok(Math.abs(mf10.ratio! - ratio) < 1e-12);
  const relative = Math.hypot(0.1 / Math.sqrt(3) / 0.6, Math.sqrt(7) / 3 / (7 / 3));
  assert.ok(Math.abs(mf10.se! - ratio * relative) < 1e-12);
  assert.deepEqual(mf10.seeds, [3, 3]);
  assert.deepEqual(mf10.params, { 'task.P': 10 });
  // krr has one seed: a ratio without a standard error.
  const krr10 = ratios.find((r) => r.numerator === 'krr' && r.params['task.P'] === 10)!;
  assert.ok(Math.abs(krr10.ratio! - 0.9 / (7 / 3)) < 1e-12);
  assert.equal(krr10.se, null);
  assert.deepEqual(krr10.seeds, [1, 3]);
  // A point the denominator did not run gives no ratio.
  const withoutSgld40 = recs.filter((r) => !(r.method === 'sgld' && r.params['task.P'] === 40));
  const partial = methodRatios(withoutSgld40, {
    x: 'task.P',
    y: 'testMse',
    ratios: [['mf', 'sgld']],
  });
  assert.deepEqual(
    partial.map((r) => r.params['task.P']),
    [10, 20],
  );
});

test('methodRatios: an axis other than x and facet with several values is an error', () => {
  assert.throws(
    () => methodRatios(phaseRecords(), { x: 'task.P', y: 'mS', ratios: [['mf', 'sgld']] }),
    { code: 'ERR_MFL_FORMAT', message: /axis "kappa" takes several values/ },
  );
  const faceted = methodRatios(phaseRecords(), {
    x: 'task.P',
    facet: 'kappa',
    y: 'mS',
    ratios: [['mf', 'sgld']],
  });
  assert.equal(faceted.length, 20);
  assert.ok(faceted.every((r) => 'kappa' in r.params && 'task.P' in r.params));
});

test('aggregate: the mean-field ceiling of MF records, absent for the others', () => {
  const recs = records([
    { method: 'mf', params: { seed: 1 }, observables: { mS: 0.6, mSCeiling: 2 / 3 } },
    { method: 'mf', params: { seed: 2 }, observables: { mS: 0.62, mSCeiling: 2 / 3 } },
    { method: 'sgld', params: { seed: 1 }, observables: { mS: 0.9 } },
  ]);
  const [sgld, mf] = aggregate(recs);
  assert.deepEqual(mf!.mSCeiling, { mean: 2 / 3, se: 0, n: 2 });
  assert.deepEqual(sgld!.mSCeiling, { mean: null, se: null, n: 0 });
});
