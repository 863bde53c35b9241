/**
 * The batch-means estimator behind MF convergence (src/methods/mf/convergence.ts, docs/mf.md
 * "Convergence") on synthetic series with known long-run variance: AR(1) processes
 * x_t = phi x_(t-1) + sqrt(1 - phi^2) e_t (stationary variance 1, long-run variance
 * (1 + phi) / (1 - phi), the variance of a mean of n values times n for n much larger than the
 * correlation time). Fixed seeds; statistical tolerances are stated in standard errors of the
 * replication means.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillGaussian } from '../../../src/backend/js/rng.js';
import { batchCentres, batchLine } from '../../../src/methods/mf/convergence.js';
import type { BatchSums } from '../../../src/methods/mf/convergence.js';

/** An AR(1) series of n values (stationary start) from Gaussian stream `stream` of seed 7. */
function ar1(phi: number, n: number, stream: number): Float64Array {
  const e = new Float64Array(n);
  fillGaussian(7, stream, 0, e);
  const x = new Float64Array(n);
  const innovation = Math.sqrt(1 - phi * phi);
  x[0] = e[0]!;
  for (let t = 1; t < n; t++) x[t] = phi * x[t - 1]! + innovation * e[t]!;
  return x;
}

/** B equal batches of a series sampled at steps 0..n-1 (the kernel's rule with burnIn 0). */
function batchesOf(series: Float64Array, B: number): BatchSums {
  const n = series.length;
  const counts = new Float64Array(B);
  const sums = new Float64Array(B);
  for (let t = 0; t < n; t++) {
    const b = Math.floor((t * B) / n);
    counts[b]! += 1;
    sums[b]! += series[t]!;
  }
  const centres = batchCentres({ steps: n, burnIn: 0, sampleEvery: 1, batches: B });
  return { counts, sums, centres };
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

const REPLICATIONS = 300;
const LENGTH = 10_000;
const BATCHES = 10;

for (const phi of [0, 0.9]) {
  const longRun = (1 + phi) / (1 - phi);
  test(`AR(1) phi = ${phi}: the batch variance estimates the long-run variance`, (t) => {
    // Batches of 1000 values against a correlation time of at most 19: the batch-means bias is
    // below 1% here. One estimate has relative spread sqrt(2 / dof) = 0.5 (dof = 8), so the mean
    // of 300 has 2.9%; tolerance 4 of the replications' own standard errors.
    const estimates: number[] = [];
    for (let r = 0; r < REPLICATIONS; r++) {
      estimates.push(batchLine(batchesOf(ar1(phi, LENGTH, r), BATCHES)).variance);
    }
    const se = sd(estimates) / Math.sqrt(REPLICATIONS);
    const m = mean(estimates);
    t.diagnostic(
      `mean estimate ${m.toFixed(3)} +- ${se.toFixed(3)} (long-run variance ${longRun})`,
    );
    assert.ok(Math.abs(m - longRun) <= 4 * se, `mean ${m} vs ${longRun} (se ${se})`);
    assert.ok(se / longRun < 0.05, `replication se ${se} too large to test anything`);
  });
}

test('AR(1) phi = 0.9: drift and halves standard errors match the spread across replications', (t) => {
  // For a stationary series the drift (slope x window) and the halves' difference have mean 0;
  // their spread across replications must match the standard errors the batches predict. Each
  // ratio (spread^2 / mean predicted se^2) has relative standard error about sqrt(2 / 300) = 8%
  // from the spread; tolerance 4 of those (0.33).
  const drifts: number[] = [];
  const driftVariances: number[] = [];
  const halves: number[] = [];
  const halvesVariances: number[] = [];
  for (let r = 0; r < REPLICATIONS; r++) {
    const batches = batchesOf(ar1(0.9, LENGTH, 1000 + r), BATCHES);
    const line = batchLine(batches);
    drifts.push(line.slope[0]! * LENGTH);
    driftVariances.push((line.variance / line.sxx) * LENGTH ** 2);
    let first = 0;
    let second = 0;
    for (let b = 0; b < BATCHES; b++) {
      if (2 * b < BATCHES) first += batches.sums[b]!;
      else second += batches.sums[b]!;
    }
    const half = LENGTH / 2;
    halves.push(first / half - second / half);
    halvesVariances.push(line.variance * (2 / half));
  }
  const tolerance = 4 * Math.sqrt(2 / REPLICATIONS);
  for (const [what, values, variances] of [
    ['drift', drifts, driftVariances],
    ['halves', halves, halvesVariances],
  ] as const) {
    const spread = values.reduce((s, x) => s + x * x, 0) / values.length;
    const ratio = spread / mean(variances);
    t.diagnostic(`${what}: spread^2 / mean se^2 = ${ratio.toFixed(3)}`);
    assert.ok(Math.abs(ratio - 1) <= tolerance, `${what}: spread / predicted ${ratio}`);
    const meanValue = mean(values);
    assert.ok(
      Math.abs(meanValue) <= 4 * Math.sqrt(spread / values.length),
      `${what}: mean ${meanValue} is not 0`,
    );
  }
});

test('a straight line added to the series moves the slope exactly and leaves the variance', () => {
  const series = ar1(0.5, 2000, 5);
  const base = batchLine(batchesOf(series, 8));
  const trend = 3e-4;
  const tilted = batchLine(
    batchesOf(
      series.map((x, t) => x + 0.7 + trend * t),
      8,
    ),
  );
  assert.ok(Math.abs(tilted.slope[0]! - base.slope[0]! - trend) <= 1e-12);
  assert.ok(Math.abs(tilted.variance - base.variance) <= 1e-9 * base.variance);
  assert.equal(tilted.dof, 6);
});

test('vector quantities pool the components: the variance is the sum of the scalar ones', () => {
  const a = batchesOf(ar1(0.3, 1000, 20), 6);
  const b = batchesOf(ar1(0.6, 1000, 21), 6);
  const sums = new Float64Array(12);
  for (let k = 0; k < 6; k++) {
    sums[2 * k] = a.sums[k]!;
    sums[2 * k + 1] = b.sums[k]!;
  }
  const both = batchLine({ counts: a.counts, sums, centres: a.centres });
  const expected = batchLine(a).variance + batchLine(b).variance;
  assert.ok(Math.abs(both.variance - expected) <= 1e-12 * expected);
  assert.equal(both.slope[1], batchLine(b).slope[0]);
});

test('empty batches are left out; fewer than 3 non-empty batches give no variance', () => {
  const full = batchesOf(ar1(0.2, 400, 30), 4);
  const counts = [full.counts[0]!, 0, full.counts[2]!, full.counts[3]!];
  const sums = [full.sums[0]!, 0, full.sums[2]!, full.sums[3]!];
  const holed = batchLine({ counts, sums, centres: [full.centres[0]!, NaN, 250, 350] });
  assert.equal(holed.dof, 1);
  assert.ok(Number.isFinite(holed.variance));
  const two = batchLine({ counts: [5, 0, 5, 0], sums: [1, 0, 2, 0], centres: [0, NaN, 2, NaN] });
  assert.equal(two.dof, 0);
  assert.ok(Number.isNaN(two.variance));
});

test('batchCentres: the mean step of the samples the kernel puts in each batch', () => {
  for (const [steps, burnIn, sampleEvery, batches] of [
    [8000, 4000, 20, 10],
    [60, 10, 7, 4],
    [101, 0, 3, 8],
    [50, 20, 1, 30],
    [40, 0, 13, 10],
  ] as const) {
    const window = steps - burnIn;
    const members: number[][] = Array.from({ length: batches }, () => []);
    for (let t = burnIn; t < steps; t += sampleEvery) {
      members[Math.floor(((t - burnIn) * batches) / window)]!.push(t);
    }
    const centres = batchCentres({ steps, burnIn, sampleEvery, batches });
    for (let b = 0; b < batches; b++) {
      const expected = members[b]!.length > 0 ? mean(members[b]!) : NaN;
      assert.ok(
        Object.is(centres[b], expected) || Math.abs(centres[b]! - expected) <= 1e-9,
        `steps ${steps}, burnIn ${burnIn}, every ${sampleEvery}, batch ${b}: ` +
          `${centres[b]} vs ${expected}`,
      );
    }
  }
});
