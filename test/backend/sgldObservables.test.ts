/**
 * What the SGLD kernel records (docs/sgld.md, "Samples and observables"), on every backend: a
 * run made one step per call is checked after every call against the observables computed here
 * from the state with `forward`, so traces and series rows are written exactly at their indices.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  Backend,
  NetworkParams,
  SgldAccumulators,
  SgldConfig,
  SgldData,
} from '../../src/backend/types.js';
import {
  HIST_GROUPS,
  createSgldAccumulators,
  sgldObserveCount,
  sgldSampleCount,
} from '../../src/methods/sgld/layout.js';
import { backends } from '../helpers/backends.js';
import {
  assertClose,
  assertRunsAgree,
  chainParams,
  initialState,
  networkShape,
  runSgld,
  sgldConfig,
  sgldData,
  skipUnlessSgld,
} from '../helpers/sgld.js';

const TOLERANCE = 1e-12;

/** Observables of one chain's state, from the definitions. */
interface Observed {
  fTrain: Float64Array;
  fTest: Float64Array;
  trainMse: number;
  testMse: number;
  mS: number;
}

function observeState(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  params: NetworkParams,
): Observed {
  const fTrain = new Float64Array(config.P);
  const fTest = new Float64Array(config.PTest);
  backend.forward(networkShape(config, config.P), data.X, params, fTrain);
  backend.forward(networkShape(config, config.PTest), data.XTest, params, fTest);
  const mean = (n: number, term: (mu: number) => number) => {
    let sum = 0;
    for (let mu = 0; mu < n; mu++) sum += term(mu);
    return sum / n;
  };
  const target = data.targetTest;
  return {
    fTrain,
    fTest,
    trainMse: mean(config.P, (mu) => (fTrain[mu]! - data.y[mu]!) ** 2),
    testMse: mean(config.PTest, (mu) => (fTest[mu]! - data.yTest[mu]!) ** 2),
    mS: target ? mean(config.PTest, (mu) => fTest[mu]! * target[mu]!) : NaN,
  };
}

/** Adds sample s of chain c to `acc` the way docs/sgld.md describes it. */
function addSample(
  config: SgldConfig,
  acc: SgldAccumulators,
  c: number,
  s: number,
  params: NetworkParams,
  seen: Observed,
): void {
  const { P, PTest, N, d, nRelevant } = config;
  const S = sgldSampleCount(config);
  seen.fTest.forEach((f, mu) => (acc.sumFTest[c * PTest + mu]! += f));
  seen.fTrain.forEach((f, mu) => (acc.sumFTrain[c * P + mu]! += f));
  acc.sumSampleTestMse[c]! += seen.testMse;
  acc.sumSampleTrainMse[c]! += seen.trainMse;
  acc.traceMS[c * S + s] = seen.mS;
  acc.traceTestMse[c * S + s] = seen.testMse;
  let specialised = 0;
  for (let i = 0; i < N; i++) {
    let relevant = 0;
    let all = 0;
    for (let j = 0; j < d; j++) {
      const w = params.W[i * d + j]!;
      acc.sumQ[c * d + j]! += (w * w) / N;
      addToGroup(config, acc, c, j < nRelevant ? 0 : 1, config.histRange * config.sigmaW, w);
      if (j < nRelevant) relevant += w * w;
      all += w * w;
    }
    addToGroup(config, acc, c, 2, config.histRange * config.sigmaA, params.a[i]!);
    if (nRelevant > 0 && relevant > 0.5 * all) specialised++;
  }
  acc.sumSpecialisation[c]! += specialised / N;
  acc.nSamples[c]! += 1;
}

function addToGroup(
  config: SgldConfig,
  acc: SgldAccumulators,
  c: number,
  group: number,
  range: number,
  x: number,
): void {
  const bins = config.histBins;
  const g = c * HIST_GROUPS + group;
  const bin = Math.min(bins - 1, Math.floor(((x + range) / (2 * range)) * bins));
  const slot = x < -range ? 0 : x > range ? bins + 1 : 1 + bin;
  acc.hist[g * (bins + 2) + slot]! += 1;
  for (let k = 0; k < 4; k++) acc.moments[g * 4 + k]! += x ** (k + 1);
}

/** Trace and series entries not yet written hold NaN, so a write in the wrong place shows. */
function markUnwritten(acc: SgldAccumulators): void {
  acc.traceMS.fill(NaN);
  acc.traceTestMse.fill(NaN);
  acc.series.fill(NaN);
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessSgld(backend);

  test(
    `step by step: samples, traces and series rows at exactly their steps ${tag}`,
    { skip },
    () => {
      const config = sgldConfig({
        steps: 260,
        burnIn: 37,
        thin: 11,
        observeEvery: 23,
        bias: true,
        histRange: 1.5,
      });
      const data = sgldData(config);
      const state = initialState(config);
      const acc = createSgldAccumulators(config);
      const expected = createSgldAccumulators(config);
      markUnwritten(acc);
      markUnwritten(expected);
      const O = sgldObserveCount(config);
      for (let t = 0; t < config.steps; t++) {
        for (let c = 0; c < config.chains; c++) {
          const params = chainParams(config, state, c);
          const seen = observeState(backend, config, data, params);
          if (t >= config.burnIn && (t - config.burnIn) % config.thin === 0) {
            addSample(config, expected, c, (t - config.burnIn) / config.thin, params, seen);
          }
          if (t % config.observeEvery === 0) {
            expected.series.set([t, seen.trainMse, seen.mS], (c * O + t / config.observeEvery) * 3);
          }
        }
        backend.sgldRun(config, data, state, acc, t, t + 1);
        assertClose(acc.traceMS, expected.traceMS, TOLERANCE, `traceMS after step ${t}`);
        assertClose(acc.traceTestMse, expected.traceTestMse, TOLERANCE, `traceTestMse, ${t}`);
        assertClose(acc.series, expected.series, TOLERANCE, `series after step ${t}`);
      }
      const final = { state, results: [] };
      assertRunsAgree({ ...final, acc }, { ...final, acc: expected }, config, TOLERANCE, 'end');
      const S = sgldSampleCount(config);
      assert.deepEqual(Array.from(acc.nSamples), [S, S]);
      assert.ok(acc.traceMS.every(Number.isFinite), 'a trace entry was never written');
      for (let c = 0; c < config.chains; c++) {
        for (let o = 0; o < O; o++)
          assert.equal(acc.series[(c * O + o) * 3], o * config.observeEvery);
      }
    },
  );

  test(
    `sample and observe counts equal layout.ts counts, and histograms hold every value ${tag}`,
    { skip },
    () => {
      for (const [steps, burnIn, thin, observeEvery] of [
        [300, 0, 1, 1],
        [300, 299, 5, 0],
        [301, 100, 50, 100],
      ] as const) {
        const config = sgldConfig({ steps, burnIn, thin, observeEvery, batchSize: 20 });
        const { acc } = runSgld(backend, config, sgldData(config));
        const S = sgldSampleCount(config);
        const O = sgldObserveCount(config);
        const label = `steps ${steps}, burnIn ${burnIn}, thin ${thin}, observeEvery ${observeEvery}`;
        assert.deepEqual(Array.from(acc.nSamples), [S, S], label);
        assert.equal(acc.series.length, config.chains * O * 3, label);
        const { N, d, nRelevant, histBins } = config;
        const perGroup = [N * nRelevant, N * (d - nRelevant), N];
        for (let c = 0; c < config.chains; c++) {
          for (let g = 0; g < HIST_GROUPS; g++) {
            const row = acc.hist.subarray(
              (c * 3 + g) * (histBins + 2),
              (c * 3 + g + 1) * (histBins + 2),
            );
            assert.equal(
              row.reduce((x, y) => x + y, 0),
              S * perGroup[g]!,
              `${label}, group ${g}`,
            );
          }
        }
      }
    },
  );

  test(`custom data: mS is NaN, no relevant group, no specialisation ${tag}`, { skip }, () => {
    const config = sgldConfig({ steps: 200, burnIn: 50, nRelevant: 0 });
    const { acc } = runSgld(backend, config, sgldData(config, 'custom'));
    const S = sgldSampleCount(config);
    assert.ok(acc.traceMS.every(Number.isNaN), 'traceMS');
    assert.ok(acc.traceTestMse.every(Number.isFinite), 'traceTestMse');
    for (let k = 2; k < acc.series.length; k += 3) assert.ok(Number.isNaN(acc.series[k]));
    assert.deepEqual(Array.from(acc.sumSpecialisation), [0, 0]);
    const width = config.histBins + 2;
    for (let c = 0; c < config.chains; c++) {
      const relevant = acc.hist.subarray(c * 3 * width, (c * 3 + 1) * width);
      assert.ok(
        relevant.every((v) => v === 0),
        'relevant-weight histogram',
      );
      const irrelevant = acc.hist.subarray((c * 3 + 1) * width, (c * 3 + 2) * width);
      assert.equal(
        irrelevant.reduce((x, y) => x + y, 0),
        S * config.N * config.d,
      );
    }
  });
}
