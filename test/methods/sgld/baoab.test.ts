/**
 * BAOAB samples the same posterior as SGLD (docs/sgld.md, "Integrators"), tested like SGLD:
 *
 * 1. the closed-form case of closedForm.test.ts (linear activation, frozen W, Gaussian posterior
 *    of a): BAOAB's configurational law is exact for a harmonic potential at any stable step, so
 *    at the large eta where the Euler step inflates the variance by a third, BAOAB must give the
 *    posterior mean, variance and expected test MSE;
 * 2. no likelihood (loss weight 1e-300): every weight's law is its prior N(0, sigma^2); second and
 *    fourth moments at a step where Euler's variance is 1.3-2x too large;
 * 3. a small parity net (d = 6, k = 2, N = 8, P = 40): mS and testMse agree with a long Euler run
 *    at a quarter of the default step.
 *
 * Tolerances: 4 standard errors (SE from the ESS of the traces; independent samples for 2, thinned
 * far beyond the autocorrelation time). Fixed seeds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend, SgldAccumulators, SgldConfig } from '../../../src/backend/types.js';
import { effectiveSampleSize } from '../../../src/methods/sgld/diagnostics.js';
import { createSgldAccumulators } from '../../../src/methods/sgld/layout.js';
import { prepareSgld } from '../../../src/methods/sgld/run.js';
import { parseSgldSpec } from '../../../src/methods/sgld/spec.js';
import { backends, nativeBackend, skipUnlessNative } from '../../helpers/backends.js';
import { initialState, sgldConfig, sgldData } from '../../helpers/sgld.js';
import {
  assertWithin,
  closedFormSpecInput,
  features,
  linearPosterior,
  meanEstimate,
  mSFunctional,
  varianceEstimate,
  Z,
} from './closedForm.js';
import type { Estimate } from './closedForm.js';
import { dot, solve } from './linalg.js';

function closedFormSpec(
  steps: number,
  eta: number | null,
  integrator: 'euler' | 'baoab',
  precision: 'float64' | 'float32' = 'float64',
) {
  return parseSgldSpec(closedFormSpecInput({ steps, eta, integrator }, precision));
}

for (const backend of backends) {
  const steps = backend.name === 'native' ? 200_000 : 40_000;
  // float32 on native only (the js twin's float path is slow and agrees with it, sgldBaoab.test).
  const precisions: ('float64' | 'float32')[] =
    backend.name === 'native' ? ['float64', 'float32'] : ['float64'];

  describe(`BAOAB on the linear-Gaussian posterior (${backend.name})`, () => {
    for (const precision of precisions)
      test(`mean, variance and test MSE exact at the eta where Euler is a third too wide (${precision})`, async () => {
        const probe = await prepareSgld(closedFormSpec(steps, null, 'euler'), backend);
        const W = probe.state.W.slice();
        const post = linearPosterior(probe.config, probe.data, probe.state);
        const v = mSFunctional(probe.config, probe.data, probe.state);
        const large = 1 / post.lambdaMax;
        // The Euler law's variance at this eta, for the record of what BAOAB removes.
        const eulerBias = post.eulerVariance(v, large) / post.variance(v) - 1;
        assert.ok(eulerBias > 0.3, `Euler bias ${eulerBias}`);

        const setup = await prepareSgld(closedFormSpec(steps, large, 'baoab', precision), backend);
        assert.deepEqual(setup.state.W, W, 'the same frozen first layer');
        const acc = createSgldAccumulators(setup.config);
        const result = backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, steps);
        assert.equal(result.divergedChain, -1);
        assertWithin('mean', meanEstimate(acc.traceMS), dot(v, post.mean));
        assertWithin('variance', varianceEstimate(acc.traceMS), post.variance(v));

        const { config, data } = setup;
        const phi = features(config, W, data.XTest);
        let expected = 0;
        for (let mu = 0; mu < config.PTest; mu++) {
          const row = phi.subarray(mu * config.N, (mu + 1) * config.N);
          const residual = dot(row, post.mean) - data.yTest[mu]!;
          expected += residual ** 2 + config.kappa * dot(row, solve(post.M, row));
        }
        assertWithin('test MSE', meanEstimate(acc.traceTestMse), expected / config.PTest);
      });
  });
}

/** E[x^2] and E[x^4] of histogram group g pooled over chains, with their independent-sample SEs. */
function priorMoments(config: SgldConfig, acc: SgldAccumulators, g: number, sigma: number) {
  let count = 0;
  let m2 = 0;
  let m4 = 0;
  const perValue = [
    config.N * config.nRelevant,
    config.N * (config.d - config.nRelevant),
    config.N,
  ];
  for (let c = 0; c < config.chains; c++) {
    count += acc.nSamples[c]! * perValue[g]!;
    m2 += acc.moments[(c * 3 + g) * 4 + 1]!;
    m4 += acc.moments[(c * 3 + g) * 4 + 3]!;
  }
  const s2 = sigma ** 2;
  return {
    second: { value: m2 / count / s2, se: Math.sqrt(2 / count), ess: count },
    fourth: { value: m4 / count / s2 ** 2, se: Math.sqrt(96 / count), ess: count },
  };
}

for (const backend of backends) {
  test(`BAOAB without likelihood samples the prior at a large step (${backend.name})`, () => {
    // eta kappa / sigma^2 = 1 for b, 0.49 for W, 0.22 for a: Euler's variance is 2x, 1.32x,
    // 1.12x the prior's. Thinned by 10: each coordinate decorrelates within about 2 steps.
    const base = sgldConfig({
      P: 20,
      batchSize: 20,
      PTest: 0,
      nRelevant: 2,
      chains: 4,
      bias: true,
      sigmaW: 1,
      sigmaA: 1.5,
      sigmaB: 0.7,
      kappa: 0.05,
      eta: 0.49 / 0.05,
      lossScale: 1e-300,
      steps: backend.name === 'native' ? 40_000 : 10_000,
      burnIn: 100,
      thin: 10,
      observeEvery: 0,
    });
    const data = sgldData(base);
    const friction = (2 * Math.sqrt(base.kappa)) / base.sigmaA;
    const run = (config: SgldConfig): SgldAccumulators => {
      const acc = createSgldAccumulators(config);
      const result = backend.sgldRun(config, data, initialState(config), acc, 0, config.steps);
      assert.equal(result.divergedChain, -1);
      return acc;
    };
    const baoab = { ...base, integrator: 'baoab' as const, friction };
    const acc = run(baoab);
    for (const [g, sigma] of [
      [0, base.sigmaW],
      [1, base.sigmaW],
      [2, base.sigmaA],
    ] as const) {
      const { second, fourth } = priorMoments(baoab, acc, g, sigma);
      assertWithin(`group ${g}: E[x^2] / sigma^2`, second, 1);
      assertWithin(`group ${g}: E[x^4] / sigma^4`, fourth, 3);
    }
    // The same check resolves Euler's bias in W at this step (the test has the power to fail).
    const euler = priorMoments(base, run(base), 1, base.sigmaW).second;
    assert.ok((euler.value - 1) / euler.se > 2 * Z, `Euler E[w^2] ${euler.value}`);
  });
}

/** mS and test MSE of a run (chains pooled), SE = sd / sqrt(ESS). */
function poolEstimates(config: SgldConfig, acc: SgldAccumulators) {
  const S = acc.traceMS.length / config.chains;
  const estimate = (trace: Float64Array): Estimate => {
    const chains = Array.from({ length: config.chains }, (_, c) =>
      trace.subarray(c * S, (c + 1) * S),
    );
    const n = trace.length;
    const mean = trace.reduce((s, x) => s + x, 0) / n;
    const variance = trace.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    const ess = effectiveSampleSize(chains) ?? 1;
    return { value: mean, se: Math.sqrt(variance / ess), ess };
  };
  return { mS: estimate(acc.traceMS), testMse: estimate(acc.traceTestMse) };
}

const skip = skipUnlessNative();

test(
  'BAOAB at the default step agrees with Euler at a quarter of it (parity net)',
  { skip },
  async () => {
    const backend = nativeBackend() as Backend;
    const spec = (steps: number, eta: number | null, integrator: 'euler' | 'baoab') =>
      parseSgldSpec({
        task: { task: 'parity', d: 6, k: 2, P: 40, PTest: 500, seed: 1 },
        network: { N: 8 },
        sampler: { kappa: 0.05, steps, chains: 4, seed: 2, thin: 10, integrator, eta },
      });
    const defaultEta = (await prepareSgld(spec(10, null, 'euler'), backend)).eta!;
    const estimates = async (steps: number, eta: number, integrator: 'euler' | 'baoab') => {
      const setup = await prepareSgld(spec(steps, eta, integrator), backend);
      const acc = createSgldAccumulators(setup.config);
      const result = backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, steps);
      assert.equal(result.divergedChain, -1);
      return poolEstimates(setup.config, acc);
    };
    const reference = await estimates(800_000, defaultEta / 4, 'euler');
    const baoab = await estimates(100_000, defaultEta, 'baoab');
    for (const key of ['mS', 'testMse'] as const) {
      const a = baoab[key];
      const b = reference[key];
      const z = (a.value - b.value) / Math.hypot(a.se, b.se);
      if (process.env.MFL_TEST_VERBOSE) {
        console.log(`${key}: BAOAB ${a.value} (SE ${a.se}), Euler ${b.value} (SE ${b.se}), z ${z}`);
      }
      assert.ok(
        Math.abs(z) < Z,
        `${key}: BAOAB ${a.value} vs Euler ${b.value} (${z.toFixed(2)} SE)`,
      );
    }
  },
);
