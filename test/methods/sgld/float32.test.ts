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
import { nativeBackend, skipUnlessNative } from '../../helpers/backends.js';
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
