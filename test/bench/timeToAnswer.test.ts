/**
 * The time-to-answer benchmark (bench/timeToAnswer.ts): its reading of prefixes from one run's
 * traces is what `sgld()` reports for a run of that length; its rule finds a transient and
 * rejects chains that disagree (synthetic traces, fixed seeds); and the quick table comes out
 * well formed. Nothing about the timings is asserted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  RHAT_MAX,
  TTA_QUICK,
  analyseTraces,
  prefixGrid,
  timeToAnswerTable,
  timedRun,
  type Traces,
} from '../../bench/timeToAnswer.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { sgld } from '../../src/methods/sgld/run.js';
import { nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { assertNumeric, column, parseTable } from './tables.js';

describe('prefixGrid', () => {
  test('16 thin x {1, 1.5, 2, 3, ...} up to the maximum, each a multiple of 2 thin', () => {
    assert.deepEqual(prefixGrid(10, 1000), [160, 240, 320, 480, 640, 960]);
    for (const n of prefixGrid(7, 50_000)) assert.equal(n % 14, 0, `${n}`);
    assert.deepEqual(prefixGrid(10, 100), []);
  });
});

/** Two chains of `samples` AR(1) draws (coefficient phi, unit variance) plus `offset(s, c)`. */
function syntheticTraces(
  samples: number,
  phi: number,
  offset: (s: number, chain: number) => number,
): Traces {
  const C = 2;
  const mS = new Float64Array(C * samples);
  const testMse = new Float64Array(C * samples);
  const scale = Math.sqrt(1 - phi * phi);
  for (const [k, trace] of [mS, testMse].entries()) {
    for (let c = 0; c < C; c++) {
      const e = new Float64Array(samples);
      jsBackend.fillGaussian(40 + 2 * c + k, 7, 0, e);
      let x = e[0]!;
      for (let s = 0; s < samples; s++) {
        if (s > 0) x = phi * x + scale * e[s]!;
        trace[c * samples + s] = x + offset(s, c);
      }
    }
  }
  return { mS, testMse, chains: C, samples, thin: 10 };
}

describe('analyseTraces', () => {
  test('a transient of 100 standard deviations delays the answer past twice its length', () => {
    // Samples below 300 (steps below 3000) are shifted: a window [n/2, n) is clean from n = 6000.
    const t = syntheticTraces(20_000, 0.5, (s) => (s < 300 ? 100 : 0));
    const a = analyseTraces(t);
    assert.ok(a.referenceConverged);
    assert.ok(a.answer, 'reached');
    assert.ok(a.answer.steps >= 6000, `answer at ${a.answer.steps}`);
    assert.ok(a.answer.rhat! < RHAT_MAX);
    for (const p of a.prefixes.filter((q) => q.steps < 6000)) assert.equal(p.reached, false);
    // The reference, [L/2, L) = samples [10000, 20000), is the stationary mean 0.
    assert.ok(Math.abs(a.reference.mS.mean) < 4 * a.reference.mS.se!);
  });

  test('chains that agree on a wrong mean are not the answer: the comparison with the reference', () => {
    // Both chains shifted by 3 below sample 1000 (step 10000): no drift or disagreement within a
    // window [n/2, n) with n <= 10000, so R-hat passes, but the mean is 3 off.
    const t = syntheticTraces(40_000, 0.5, (s) => (s < 1000 ? 3 : 0));
    const a = analyseTraces(t);
    const early = a.prefixes.filter((p) => p.steps <= 10_000);
    assert.ok(early.length > 5);
    for (const p of early) assert.equal(p.reached, false, `reached at ${p.steps}`);
    assert.ok(early.some((p) => p.rhat! < RHAT_MAX));
    assert.ok(a.answer && a.answer.steps > 10_000);
  });

  test('chains that disagree never give an answer', () => {
    const t = syntheticTraces(20_000, 0.5, (_s, c) => 3 * c);
    const a = analyseTraces(t);
    assert.equal(a.answer, null);
    assert.equal(a.referenceConverged, false);
    assert.ok(a.prefixes.length > 0);
    for (const p of a.prefixes) assert.ok(p.rhat! > RHAT_MAX, `R-hat ${p.rhat} at ${p.steps}`);
  });
});

describe('a prefix of one run is the run of that length', () => {
  const backend = nativeBackend() ?? jsBackend;
  const cfg = { ...TTA_QUICK.configs[0]!, N: 16, P: 40, PTest: 200, thin: 2 };
  const L = 1280; // the grid up to L/10 = 128 is 32, 48, 64, 96, 128
  for (const n of [64, 128]) {
    test(`n = ${n}: mS, sample test MSE and R-hat as sgld({ steps: n, burnIn: n / 2 })`, async () => {
      const long = await timedRun(backend, cfg, 'float64', L, 1);
      const prefix = analyseTraces(long.traces).prefixes.find((p) => p.steps === n);
      assert.ok(prefix);
      const r = await sgld(
        {
          task: { task: 'parity', d: cfg.d, k: cfg.k, P: cfg.P, PTest: cfg.PTest, seed: 1 },
          network: { N: cfg.N },
          sampler: { kappa: cfg.kappa, steps: n, burnIn: n / 2, thin: cfg.thin, seed: 1 },
        },
        { backend, threads: 1 },
      );
      assert.equal(r.samplesPerChain, n / 2 / cfg.thin);
      const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.abs(y);
      assert.ok(close(prefix.mS.mean, r.mS!), `mS ${prefix.mS.mean} vs ${r.mS}`);
      assert.ok(close(prefix.testMse.mean, r.sampleTestMse!), 'sample test MSE');
      assert.equal(prefix.rhat, r.diagnostics.rhat.mS);
    });
  }
});

// The quick plan's configs (every sampler) on a smaller net and run: the table's structure, not
// its numbers, is under test, and the suite should not pay for a benchmark.
const TTA_TINY = {
  ...TTA_QUICK,
  configs: TTA_QUICK.configs.map((c) => ({ ...c, N: 16, P: 40, PTest: 200, steps: 20_000 })),
};

test(
  'the time-to-answer table, quick plan on a small net',
  { skip: skipUnlessNative(), timeout: 300_000 },
  async () => {
    const text = await timeToAnswerTable(nativeBackend()!, TTA_TINY);
    const t = parseTable(text);
    const { configs, precisions } = TTA_TINY;
    assert.equal(t.rows.length, configs.length * precisions.length * 2);
    assert.deepEqual(
      column(t, 'threads'),
      t.rows.map((_, i) => `${(i % 2) + 1}`),
    );
    assert.deepEqual(
      column(t, 'precision'),
      t.rows.map((_, i) => precisions[Math.floor(i / 2) % precisions.length]),
    );
    const ms = column(t, 'ms / step').map(Number);
    const steps = column(t, 'steps to answer');
    const time = column(t, 'time to answer (s)');
    const rhat = column(t, 'R-hat(mS) at the answer');
    for (let i = 0; i < t.rows.length; i++) {
      assert.ok(ms[i]! > 0, `ms / step ${ms[i]}`);
      assertNumeric(column(t, 'cores obtained')[i]!, 'cores obtained');
      if (time[i] === 'not reached') {
        assert.match(steps[i]!, /^not reached within L\/10 = \d+( \(reference not converged\))?$/);
        assert.equal(rhat[i], '-');
      } else {
        const n = Number(steps[i]);
        assert.ok(Number.isInteger(n) && n > 0, `steps ${steps[i]}`);
        assert.ok(Number(time[i]) > 0, `time ${time[i]}`);
        assert.ok(Number(rhat[i]) < RHAT_MAX, `R-hat ${rhat[i]}`);
      }
    }
    for (const cell of column(t, 'reference answer: mS ± SE; sample test MSE ± SE')) {
      assert.match(cell, /^-?[\d.e-]+ ± [\d.e-]+; [\d.e-]+ ± [\d.e-]+$/);
    }
    assert.match(text, /1-minute load average/);
  },
);
