/**
 * precision 'float32' against 'float64' in law (docs/sgld.md, "Precision"): on a small parity
 * setting (d = 10, k = 2, N = 64, P = 200, relu, gamma 1/2) at kappa = 0.01 and 0.001, a float64
 * run and a float32 run with different sampler seeds (so independent: other initial draws, other
 * noise) and the same eta (the default rule's, from the float64 run's initial state) must give
 * the same observables within Z standard errors of the difference: mS, testMse of the
 * posterior-mean predictor, the second and fourth moments of the relevant and irrelevant
 * first-layer weights and of a. Each run has 12 independent chains; SE from the leave-one-chain-
 * out jackknife (test/helpers/sgldEstimates.ts), SE^2 = SE_64^2 + SE_32^2.
 *
 * The comparison holds at any run length: both processes start from the same law (prior draws)
 * and, if float32 is faithful, have the same law at every step, so neither burn-in nor
 * convergence is assumed. The longer probes (kappa down to 1e-5, P = 4096, more steps) are
 * measured by scripts/float32-agreement.mjs and reported in docs/sgld.md.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prepareSgld } from '../../../src/methods/sgld/run.js';
import { parseSgldSpec } from '../../../src/methods/sgld/spec.js';
import type { SgldSpecInput } from '../../../src/methods/sgld/spec.js';
import { createSgldAccumulators } from '../../../src/methods/sgld/layout.js';
import type { Backend } from '../../../src/backend/types.js';
import { backends, nativeBackend, skipUnlessNative } from '../../helpers/backends.js';
import { skipUnlessSgld } from '../../helpers/sgld.js';
import { MOMENT_NAMES, runChains, zScore } from '../../helpers/sgldEstimates.js';

/**
 * Tolerance in standard errors of the difference. Each jackknife SE has 11 degrees of freedom
 * (about 20 for the combined one) and 8 observables are compared per kappa: P(|t_20| > 4) is
 * 7e-4 per observable.
 */
const Z = 4;
const STEPS = 6000;
const CHAINS = 12;
const COMPARED = ['mS', 'testMse', ...MOMENT_NAMES];

function spec(kappa: number, seed: number, eta: number | null, precision: 'float64' | 'float32') {
  const input: SgldSpecInput = {
    task: { task: 'parity', d: 10, k: 2, P: 200, PTest: 500, seed: 1 },
    network: { N: 64 },
    sampler: { kappa, eta, steps: STEPS, chains: CHAINS, seed, observeEvery: 0 },
    precision,
  };
  return parseSgldSpec(input);
}

describe('float32 SGLD agrees with float64 in law', () => {
  for (const kappa of [0.01, 0.001]) {
    test(`kappa ${kappa}: observables within ${Z} SE`, { skip: skipUnlessNative() }, async (t) => {
      const backend = nativeBackend()!;
      const { eta } = await prepareSgld(spec(kappa, 1, null, 'float64'), backend, { threads: 1 });
      const double = await runChains(spec(kappa, 1, eta, 'float64'), backend);
      const single = await runChains(spec(kappa, 2, eta, 'float32'), backend);
      t.diagnostic(`eta ${eta}, ${STEPS} steps, ${CHAINS} chains per precision`);
      const lines: string[] = [];
      let worst = 0;
      for (const name of COMPARED) {
        const a = double.estimates[name]!;
        const b = single.estimates[name]!;
        const z = zScore(b, a);
        worst = Math.max(worst, Math.abs(z));
        lines.push(
          `${name}: float64 ${a.value.toPrecision(5)} +- ${a.se.toPrecision(2)}, ` +
            `float32 ${b.value.toPrecision(5)} +- ${b.se.toPrecision(2)} (z ${z.toFixed(2)})`,
        );
      }
      for (const line of lines) t.diagnostic(line);
      assert.ok(worst < Z, `an observable differs by more than ${Z} SE\n${lines.join('\n')}`);
    });
  }
});

/**
 * A drift below half an ulp: with X = 0 and relu (phi(0) = phi'(0) = 0) no parameter has a data
 * gradient, and each one is the prior's Euler Ornstein-Uhlenbeck chain with pull
 * c = eta kappa / sigma^2 = 2.5e-8 per step, below 2^-24 (half an ulp relative): summed as
 * (theta - eta drift) + noise, float32 rounded the pull away every step and the weights random-
 * walked (measured: regression slope of theta_T - theta_0 on theta_0 -0.0020 +- 0.0021 after
 * 400000 steps, float64 -0.0120, expected -(1 - (1 - c)^T) = -0.00995). Summed as
 * theta + (noise - eta drift) the noise dithers the one rounding and the pull survives in
 * expectation. Same seed in both precisions: the noise is common, so the slopes differ only by
 * what float32 loses (all of c T = 1e-3 before, a few 1e-7 now); tolerance 10% of c T.
 */
const PULL = 2.5e-8;
const PULL_STEPS = 40_000;

async function pullSlope(backend: Backend, precision: 'float64' | 'float32'): Promise<number> {
  const input: SgldSpecInput = {
    task: { task: 'parity', d: 16, k: 2, P: 1, PTest: 1, seed: 1 },
    network: { N: 64 },
    sampler: {
      kappa: PULL,
      eta: 1,
      steps: PULL_STEPS,
      burnIn: PULL_STEPS - 1,
      chains: 1,
      seed: 1,
      observeEvery: 0,
    },
    precision,
  };
  const setup = await prepareSgld(parseSgldSpec(input), backend, { threads: 1 });
  for (const v of [setup.data.X, setup.data.y, setup.data.XTest, setup.data.yTest]) v.fill(0);
  const before = [...setup.state.W, ...setup.state.a];
  const acc = createSgldAccumulators(setup.config);
  backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, PULL_STEPS);
  const after = [...setup.state.W, ...setup.state.a];
  let sxy = 0;
  let sxx = 0;
  before.forEach((x, i) => {
    sxx += x * x;
    sxy += x * (after[i]! - x);
  });
  return sxy / sxx;
}

for (const backend of backends) {
  test(
    `float32 keeps a prior pull below half an ulp [${backend.name}]`,
    { skip: skipUnlessSgld(backend) },
    async () => {
      const expected = -(1 - (1 - PULL) ** PULL_STEPS);
      const double = await pullSlope(backend, 'float64');
      const single = await pullSlope(backend, 'float32');
      assert.ok(
        Math.abs(single - double) < 0.1 * Math.abs(expected),
        `slope float32 ${single}, float64 ${double}, expected pull ${expected}`,
      );
    },
  );
}
