#!/usr/bin/env node
/**
 * BAOAB against the Euler (SGLD) step at equal gradient evaluations (docs/sgld.md,
 * "Integrators"): bias and effective sample size per 1000 gradients of mS.
 *
 * 1. The closed-form case of test/methods/sgld/closedForm.test.ts (linear activation, frozen W:
 *    a Gaussian posterior of a), one chain, at eta = 1 / lambda_max and 1 / (8 lambda_max): mean
 *    and variance of mS against the exact posterior.
 * 2. A small parity net (d = 6, k = 2, N = 8, P = 40, kappa = 0.05), 4 chains, thin 10, at the
 *    default eta: mS and testMse against a long Euler run at eta / 4.
 *
 * 3. Six more sampler seeds of the closed form (each its own frozen W), BAOAB at the default
 *    friction: mean and variance errors in SE. With --stability: 4. divergences by friction.
 *    With --time-to-answer: 5. on the parity net, runs of 250, 500, 1000, ... steps from
 *    scratch until split R-hat(mS) < 1.1 and both mS and the sample test MSE are within 2 of
 *    their own SEs of the long Euler run of 2.; the steps and seconds of the first such run.
 *
 *   npm run build && node scripts/integrators.mjs [--steps 200000] [--frictions 0.25,1,4,16]
 *     [--stability]
 *
 * Uses the built dist/ (test helpers included) and the native backend.
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { resolveBackend } from '../dist/src/backend/index.js';
import { effectiveSampleSize, splitRhat } from '../dist/src/methods/sgld/diagnostics.js';
import { defaultFriction } from '../dist/src/methods/sgld/eta.js';
import { createSgldAccumulators } from '../dist/src/methods/sgld/layout.js';
import { prepareSgld } from '../dist/src/methods/sgld/run.js';
import { parseSgldSpec } from '../dist/src/methods/sgld/spec.js';
import {
  closedFormSpecInput,
  linearPosterior,
  mSFunctional,
} from '../dist/test/methods/sgld/closedForm.js';
import { dot } from '../dist/test/methods/sgld/linalg.js';

const list = (text) => text.split(',').map(Number);
const options = new Command('integrators')
  .option(
    '--steps <int>',
    'steps of each closed-form run and of each parity BAOAB/Euler run',
    Number,
    200_000,
  )
  .option(
    '--frictions <list>',
    'BAOAB frictions as multiples of the default',
    list,
    [0.25, 1, 4, 16],
  )
  .option('--time-to-answer', 'also time each integrator until its answer is within its error bars')
  .option('--stability', 'also count divergences by friction over sampler seeds (a few minutes)')
  .parse()
  .opts();
const backend = resolveBackend('native');

/** Mean with SE = sd / sqrt(ESS) over the chains' traces (each chain cut in 4 when alone). */
function estimate(trace, chains) {
  const pieces = chains === 1 ? 4 : chains;
  const n = Math.floor(trace.length / pieces);
  const parts = Array.from({ length: pieces }, (_, c) => trace.subarray(c * n, c * n + n));
  let m = 0;
  for (const x of trace) m += x;
  m /= trace.length;
  let v = 0;
  for (const x of trace) v += (x - m) ** 2;
  v /= trace.length - 1;
  const ess = effectiveSampleSize(parts) ?? 1;
  return { value: m, se: Math.sqrt(v / ess), ess, variance: v };
}

async function run(spec) {
  const setup = await prepareSgld(spec, backend, { threads: 1 });
  const acc = createSgldAccumulators(setup.config);
  const started = performance.now();
  const result = backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, setup.config.steps);
  const seconds = (performance.now() - started) / 1000;
  return { setup, acc, seconds, diverged: result.divergedChain >= 0 ? result : null };
}

const fmt = (x, digits = 4) => Number(x.toPrecision(digits)).toString();

// ---- 1. closed form ----
const closedSpec = (eta, integrator, friction) =>
  parseSgldSpec(
    closedFormSpecInput({
      steps: options.steps,
      eta,
      integrator,
      ...(integrator === 'baoab' && { friction }),
    }),
  );

const probe = await prepareSgld(closedSpec(null, 'euler'), backend);
const post = linearPosterior(probe.config, probe.data, probe.state);
const v = mSFunctional(probe.config, probe.data, probe.state);
const exactMean = dot(v, post.mean);
const exactVar = post.variance(v);
const gamma0 = defaultFriction(probe.config);
console.log(
  `closed form: lambda_max = ${fmt(post.lambdaMax)}, default friction ${fmt(gamma0)}, ` +
    `${options.steps} steps, 1 chain\n`,
);
console.log(
  '| integrator | eta lambda_max | friction | mean - exact (SE) | var / exact (SE) | ESS / 1000 gradients |',
);
console.log('|---|---|---|---|---|---|');
for (const scale of [1, 1 / 8]) {
  const eta = scale / post.lambdaMax;
  const cases = [['euler', null], ...options.frictions.map((f) => ['baoab', f * gamma0])];
  for (const [integrator, friction] of cases) {
    const { acc, diverged } = await run(closedSpec(eta, integrator, friction));
    if (diverged) throw new Error(`the closed-form run diverged: ${JSON.stringify(diverged)}`);
    const m = estimate(acc.traceMS, 1);
    const sq = estimate(
      acc.traceMS.map((x) => (x - m.value) ** 2),
      1,
    );
    const perK = (m.ess / acc.traceMS.length) * 1000;
    console.log(
      `| ${integrator} | ${fmt(scale, 3)} | ${friction === null ? '-' : fmt(friction, 3)} | ` +
        `${fmt(m.value - exactMean, 2)} (${fmt(m.se, 2)}) | ${fmt(sq.value / exactVar)} (${fmt(sq.se / exactVar, 2)}) | ${fmt(perK, 3)} |`,
    );
  }
}

// ---- 2. parity net ----
const paritySpec = (steps, eta, integrator, friction) =>
  parseSgldSpec({
    task: { task: 'parity', d: 6, k: 2, P: 40, PTest: 500, seed: 1 },
    network: { N: 8 },
    sampler: {
      kappa: 0.05,
      steps,
      chains: 4,
      seed: 2,
      thin: 10,
      eta,
      integrator,
      ...(integrator === 'baoab' && { friction }),
    },
  });
const defaultEta = (await prepareSgld(paritySpec(10, null, 'euler'), backend)).eta;
const gammaParity = defaultFriction(
  (await prepareSgld(paritySpec(10, null, 'baoab', null), backend)).config,
);
console.log(
  `\nparity net: d = 6, k = 2, N = 8, P = 40, P_test = 500, kappa = 0.05, 4 chains, thin 10, ` +
    `burn-in half; default eta ${fmt(defaultEta)}, default friction ${fmt(gammaParity)}\n`,
);
console.log(
  '| integrator | eta / default | friction | steps | mS (SE) | testMse (SE) | ESS(mS) / 1000 gradients | R-hat mS | s |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const parityCases = [
  ['euler', 1 / 4, null, 8 * options.steps],
  ['euler', 1, null, options.steps],
  ...options.frictions.map((f) => ['baoab', 1, f * gammaParity, options.steps]),
];
let reference = null;
for (const [integrator, scale, friction, steps] of parityCases) {
  const { acc, setup, seconds, diverged } = await run(
    paritySpec(steps, scale * defaultEta, integrator, friction),
  );
  const head = `| ${integrator} | ${fmt(scale, 2)} | ${friction === null ? '-' : fmt(friction, 3)} | ${steps} |`;
  if (diverged) {
    const at = `step ${diverged.divergedStep}, chain ${diverged.divergedChain}`;
    console.log(`${head} diverged (${at}) | | | | |`);
    continue;
  }
  const mS = estimate(acc.traceMS, 4);
  const testMse = estimate(acc.traceTestMse, 4);
  const S = acc.traceMS.length / 4;
  const rhat = splitRhat([0, 1, 2, 3].map((c) => acc.traceMS.subarray(c * S, (c + 1) * S)));
  const gradients = 4 * (steps - setup.config.burnIn);
  reference ??= { mS, testMse };
  console.log(
    `${head} ${fmt(mS.value)} (${fmt(mS.se, 2)}) | ${fmt(testMse.value)} (${fmt(testMse.se, 2)}) | ` +
      `${fmt((mS.ess / gradients) * 1000, 3)} | ${fmt(rhat, 4)} | ${seconds.toFixed(1)} |`,
  );
}

// ---- 3. other seeds of the closed form (each its own frozen W), BAOAB at the default friction --
const zMean = [];
const zVar = [];
for (const seed of [6, 7, 8, 9, 10, 11]) {
  const withSeed = (eta, integrator) => {
    const spec = closedSpec(eta, integrator, null);
    return { ...spec, sampler: { ...spec.sampler, seed } };
  };
  const setup0 = await prepareSgld(parseSgldSpec(withSeed(null, 'euler')), backend);
  const exact = linearPosterior(setup0.config, setup0.data, setup0.state);
  const w = mSFunctional(setup0.config, setup0.data, setup0.state);
  const { acc } = await run(parseSgldSpec(withSeed(1 / (8 * exact.lambdaMax), 'baoab')));
  const m = estimate(acc.traceMS, 1);
  const sq = estimate(
    acc.traceMS.map((x) => (x - m.value) ** 2),
    1,
  );
  zMean.push((m.value - dot(w, exact.mean)) / m.se);
  zVar.push((sq.value - exact.variance(w)) / sq.se);
}
const zs = (list) => list.map((z) => z.toFixed(1)).join(', ');
console.log(
  `\nclosed form, sampler seeds 6-11, BAOAB at eta = 1 / (8 lambda_max), default friction: ` +
    `mean error ${zs(zMean)} SE; variance error ${zs(zVar)} SE`,
);

// ---- 4. divergence at the parity net's start, by friction (4 sampler seeds each) ----------------
if (options.stability) {
  const trials = [
    [0.05, 8, 200_000, [0.25, 0.5, 1, 2]],
    [0.01, 32, 50_000, [1, 4]],
    [0.2, 32, 50_000, [1]],
  ];
  console.log('\ndivergences out of 4 sampler seeds (4 chains each), parity d = 6, k = 2, P = 40:');
  for (const [kappa, N, steps, scales] of trials) {
    for (const scale of scales) {
      let diverged = 0;
      for (const seed of [1, 2, 3, 4]) {
        const spec = parseSgldSpec({
          task: { task: 'parity', d: 6, k: 2, P: 40, PTest: 200, seed: 1 },
          network: { N },
          sampler: {
            kappa,
            steps,
            chains: 4,
            seed,
            integrator: 'baoab',
            friction: scale * 2 * Math.sqrt(kappa),
          },
        });
        if ((await run(spec)).diverged) diverged++;
      }
      console.log(
        `  kappa ${kappa}, N ${N}, ${steps} steps, friction ${scale} x default: ${diverged}`,
      );
    }
  }
}

// ---- 5. time to an answer on the parity net ----------------------------------------------------
if (options.timeToAnswer) {
  console.log(
    `\ntime to an answer (parity net of 2., 4 chains, burn-in half; reference the Euler run at ` +
      `eta / 4: mS ${fmt(reference.mS.value)}, sample testMse ${fmt(reference.testMse.value)}):`,
  );
  for (const [integrator, friction] of [
    ['euler', null],
    ['baoab', gammaParity],
  ]) {
    let total = 0;
    for (let steps = 250; steps <= 1 << 21; steps *= 2) {
      const spec = parseSgldSpec({
        ...paritySpec(steps, defaultEta, integrator, friction),
        sampler: { ...paritySpec(steps, defaultEta, integrator, friction).sampler, thin: null },
      });
      const { acc, seconds, diverged } = await run(spec);
      total += seconds;
      if (diverged) throw new Error(`${integrator} diverged at ${steps} steps`);
      const S = acc.traceMS.length / 4;
      const rhat = splitRhat([0, 1, 2, 3].map((c) => acc.traceMS.subarray(c * S, (c + 1) * S)));
      const mS = estimate(acc.traceMS, 4);
      const testMse = estimate(acc.traceTestMse, 4);
      const near = (x, ref) => Math.abs(x.value - ref.value) < 2 * x.se;
      if (rhat < 1.1 && near(mS, reference.mS) && near(testMse, reference.testMse)) {
        console.log(
          `  ${integrator}: ${steps} steps (${4 * steps} gradients), ${seconds.toFixed(2)} s ` +
            `(${total.toFixed(2)} s with the shorter tries); R-hat ${fmt(rhat, 3)}, ` +
            `mS ${fmt(mS.value)} (SE ${fmt(mS.se, 2)}), testMse ${fmt(testMse.value)} (SE ${fmt(testMse.se, 2)})`,
        );
        break;
      }
    }
  }
}
