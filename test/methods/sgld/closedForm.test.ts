/**
 * The sampler against a posterior known in closed form (closedForm.ts): linear activation with
 * the first layer frozen. The traced functional v . a (the mS trace) must have the exact posterior
 * mean, and the variance of the Euler chain's exact stationary law (O(eta) bias included), which
 * shrinks to the posterior variance as eta shrinks; MALA removes the bias at the large eta.
 * Tolerances: 4 standard errors, SE = sd / sqrt(ESS) of the trace (ESS: diagnostics.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../../../src/backend/types.js';
import { createSgldAccumulators } from '../../../src/methods/sgld/layout.js';
import { prepareSgld } from '../../../src/methods/sgld/run.js';
import type { SgldSetup } from '../../../src/methods/sgld/run.js';
import { parseSgldSpec } from '../../../src/methods/sgld/spec.js';
import { backends } from '../../helpers/backends.js';
import { dot, solve } from './linalg.js';
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

function spec(steps: number, eta: number | null, mala: boolean) {
  return parseSgldSpec(closedFormSpecInput({ steps, eta, mala }));
}

interface Run {
  setup: SgldSetup;
  mS: Float64Array;
  testMse: Float64Array;
  acceptance: number;
}

async function run(backend: Backend, steps: number, eta: number, mala: boolean): Promise<Run> {
  const setup = await prepareSgld(spec(steps, eta, mala), backend);
  const acc = createSgldAccumulators(setup.config);
  const result = backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, steps);
  assert.equal(result.divergedChain, -1);
  return {
    setup,
    mS: acc.traceMS,
    testMse: acc.traceTestMse,
    acceptance: acc.malaAccepted[0]! / acc.malaProposed[0]!,
  };
}

/** E[test MSE] under the exact posterior: mean_mu (phi_mu . m - y_mu)^2 + phi_mu^T Cov phi_mu. */
function expectedTestMse(setup: SgldSetup, initialW: Float64Array): number {
  const { config, data } = setup;
  const post = linearPosterior(config, data, { ...setup.state, W: initialW });
  const phi = features(config, initialW, data.XTest);
  const N = config.N;
  let total = 0;
  for (let mu = 0; mu < config.PTest; mu++) {
    const row = phi.subarray(mu * N, mu * N + N);
    const residual = dot(row, post.mean) - data.yTest[mu]!;
    total += residual ** 2 + config.kappa * dot(row, solve(post.M, row));
  }
  return total / config.PTest;
}

for (const backend of backends) {
  // js is slower: fewer steps, wider (but still stated) standard errors.
  const steps = backend.name === 'native' ? 200_000 : 40_000;

  describe(`SGLD on a linear-Gaussian posterior (${backend.name})`, () => {
    test('mean exact, variance as the Euler law; bias shrinks with eta; MALA removes it', async () => {
      const probe = await prepareSgld(spec(steps, null, false), backend);
      const W = probe.state.W.slice();
      const post = linearPosterior(probe.config, probe.data, probe.state);
      const v = mSFunctional(probe.config, probe.data, probe.state);
      const exactMean = dot(v, post.mean);
      const exactVar = post.variance(v);
      // eta lambda_max = 1: the stiffest direction's variance is doubled by the Euler step.
      const large = 1 / post.lambdaMax;
      const small = large / 8;

      const fast = await run(backend, steps, large, false);
      assertWithin('mean (large eta)', meanEstimate(fast.mS), exactMean);
      const fastVar = varianceEstimate(fast.mS);
      assertWithin('variance vs Euler law (large eta)', fastVar, post.eulerVariance(v, large));
      const fastBias = fastVar.value - exactVar;
      assert.ok(fastBias > 2 * Z * fastVar.se, `bias ${fastBias} not resolved at large eta`);

      const slow = await run(backend, 2 * steps, small, false);
      assertWithin('mean (small eta)', meanEstimate(slow.mS), exactMean);
      const slowVar = varianceEstimate(slow.mS);
      assertWithin('variance vs Euler law (small eta)', slowVar, post.eulerVariance(v, small));
      assertWithin('variance vs posterior (small eta)', slowVar, exactVar);
      assert.ok(slowVar.value - exactVar < fastBias / 2, 'the bias did not shrink with eta');
      assertWithin(
        'test MSE (small eta)',
        meanEstimate(slow.testMse),
        expectedTestMse(slow.setup, W),
      );

      const mala = await run(backend, steps, large, true);
      assert.ok(mala.acceptance > 0.3 && mala.acceptance < 1, `acceptance ${mala.acceptance}`);
      assertWithin('mean (MALA)', meanEstimate(mala.mS), exactMean);
      assertWithin('variance vs posterior (MALA, large eta)', varianceEstimate(mala.mS), exactVar);
      assertWithin('test MSE (MALA)', meanEstimate(mala.testMse), expectedTestMse(mala.setup, W));
    });
  });
}
