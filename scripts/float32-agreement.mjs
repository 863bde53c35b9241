#!/usr/bin/env node
/**
 * float32 against float64 SGLD on a parity setting (docs/sgld.md, "Precision"), two measurements:
 *
 * 1. In law: a float64 run and a float32 run with different sampler seeds (independent) and the
 *    same eta; per observable (mS, testMse, second and fourth moments of the relevant/irrelevant
 *    first-layer weights and of a) the z-score of the difference, SE from the leave-one-chain-out
 *    jackknife over each run's chains (test/helpers/sgldEstimates.ts; the suite's
 *    test/methods/sgld/float32.test.ts runs the same comparison at kappa 0.01 and 0.001).
 * 2. The P-sums: at the float64 run's final state (chain 0, rounded to float), E and the gradient
 *    in single precision (the js twin, src/backend/js/network32.ts) against double, and the
 *    gradient error per step relative to the step's noise sqrt(2 eta kappa); plus how far a
 *    float32 run of the float64 run's own seed has moved away from it (same-seed difference).
 *
 *   npm run build && node scripts/float32-agreement.mjs [--d 10] [--k 2] [--N 64] [--P 200]
 *     [--kappa 0.01] [--steps 6000] [--chains 12] [--seeds 1,2] [--mala] [--json]
 *
 * Needs the compiled tests (npm run build compiles test/ into dist/test/) and the native addon.
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { resolveBackend } from '../dist/src/backend/index.js';
import { lossGradient } from '../dist/src/backend/js/network.js';
import { lossGradient32 } from '../dist/src/backend/js/network32.js';
import { createSgldAccumulators } from '../dist/src/methods/sgld/layout.js';
import { prepareSgld } from '../dist/src/methods/sgld/run.js';
import { parseSgldSpec } from '../dist/src/methods/sgld/spec.js';
import { MOMENT_NAMES, chainStats, jackknife, zScore } from '../dist/test/helpers/sgldEstimates.js';

const list = (text) => text.split(',').map(Number);
const o = new Command('float32-agreement')
  .description('float32 vs float64 SGLD: observables in law, and the accuracy of the P-sums')
  .option('--d <int>', 'input dimension', Number, 10)
  .option('--k <int>', 'parity order', Number, 2)
  .option('--N <int>', 'width', Number, 64)
  .option('--P <int>', 'training samples', Number, 200)
  .option('--P-test <int>', 'test samples', Number, 500)
  .option('--kappa <x>', 'noise level', Number, 0.01)
  .option('--eta <x>', 'step size (default: the default rule at the float64 initial state)', Number)
  .option('--steps <int>', 'steps per chain', Number, 6000)
  .option('--chains <int>', 'chains per precision', Number, 12)
  .option('--seeds <list>', 'sampler seeds of the float64 and the float32 run', list, [1, 2])
  .option('--activation <name>', 'activation', 'relu')
  .option('--mala', 'Metropolis-adjust every step (MALA)')
  .option('--json', 'print one JSON document')
  .parse()
  .opts();

const backend = resolveBackend('native');

function spec(seed, precision, eta, chains) {
  return parseSgldSpec({
    task: { task: 'parity', d: o.d, k: o.k, P: o.P, PTest: o.PTest, seed: 1 },
    network: { N: o.N, activation: o.activation },
    sampler: { kappa: o.kappa, eta, steps: o.steps, chains, seed, observeEvery: 0, mala: !!o.mala },
    precision,
  });
}

async function run(seed, precision, eta, chains) {
  const setup = await prepareSgld(spec(seed, precision, eta, chains), backend, { threads: 1 });
  const acc = createSgldAccumulators(setup.config);
  const started = performance.now();
  const result = backend.sgldRun(setup.config, setup.data, setup.state, acc, 0, o.steps);
  const seconds = (performance.now() - started) / 1000;
  if (result.divergedChain >= 0)
    throw new Error(`${precision} diverged: ${JSON.stringify(result)}`);
  return { setup, acc, seconds };
}

function estimates({ setup, acc }) {
  const { config, data } = setup;
  const chains = Array.from({ length: config.chains }, (_, c) => chainStats(config, acc, c));
  return jackknife(config, data, chains);
}

const rms = (x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const relative = (x, y) => rms(x.map((v, i) => v - y[i])) / rms(y);

/** E and the gradient of chain 0's state (rounded to float) in float and in double. */
function pSums({ setup }) {
  const { config, data, state } = setup;
  const { P, d, N } = config;
  const shape = { P, d, N, gamma: config.gamma, activation: config.activation, bias: false };
  const W32 = Float32Array.from(state.W.subarray(0, N * d));
  const a32 = Float32Array.from(state.a.subarray(0, N));
  const params = { W: Float64Array.from(W32), a: Float64Array.from(a32), b: null };
  const out64 = { f: new Float64Array(P), gW: new Float64Array(N * d), ga: new Float64Array(N) };
  const E64 = lossGradient(shape, data.X, data.y, params, { ...out64, gb: null });
  const out32 = { f: new Float32Array(P), gW: new Float32Array(N * d), ga: new Float32Array(N) };
  const params32 = { W: W32, a: a32, b: null };
  const X32 = Float32Array.from(data.X);
  const E32 = lossGradient32(shape, X32, Float32Array.from(data.y), params32, {
    ...out32,
    gb: null,
  });
  const g64 = [...out64.gW, ...out64.ga];
  const g32 = [...out32.gW, ...out32.ga];
  const gradientError = rms(g32.map((v, i) => v - g64[i]));
  return {
    rmsResidual: Math.sqrt((2 * E64) / P),
    energyRelativeError: Math.abs(E32 - E64) / E64,
    energyErrorOverKappa: Math.abs(E32 - E64) / config.kappa,
    gradientRelativeError: gradientError / rms(g64),
    gradientErrorOverNoise: (config.eta * gradientError) / Math.sqrt(2 * config.eta * config.kappa),
  };
}

const probe = await prepareSgld(spec(o.seeds[0], 'float64', null, 1), backend, { threads: 1 });
const eta = o.eta ?? probe.config.eta;
const double = await run(o.seeds[0], 'float64', eta, o.chains);
const single = await run(o.seeds[1], 'float32', eta, o.chains);
const sameSeed = await run(o.seeds[0], 'float32', eta, 1);
const e64 = estimates(double);
const e32 = estimates(single);
const observables = ['mS', 'testMse', ...MOMENT_NAMES].map((name) => ({
  name,
  float64: e64[name],
  float32: e32[name],
  z: zScore(e32[name], e64[name]),
}));
const flat = (s, N, d) => [...s.W.subarray(0, N * d), ...s.a.subarray(0, N)];
/** Mean acceptance over chains, SE from the chains' spread (they can differ a lot far from
 *  equilibrium). */
function acceptance({ acc }) {
  const rates = Array.from(acc.malaAccepted, (a, c) => a / acc.malaProposed[c]);
  const mean = rates.reduce((x, y) => x + y) / rates.length;
  const ss = rates.reduce((x, y) => x + (y - mean) ** 2, 0);
  return { value: mean, se: Math.sqrt(ss / (rates.length - 1) / rates.length) };
}
const report = {
  config: { ...o, eta, etaKappa: eta * o.kappa },
  malaAcceptance: o.mala
    ? {
        float64: acceptance(double),
        float32: acceptance(single),
        z: zScore(acceptance(single), acceptance(double)),
        // Chain 0 of seed 1 in both precisions: the same proposals, so the same decisions unless
        // float32 rounding moves a log alpha across its uniform.
        sameSeedChain0: [double, sameSeed].map(
          ({ acc }) => acc.malaAccepted[0] / acc.malaProposed[0],
        ),
      }
    : null,
  seconds: { float64: double.seconds, float32: single.seconds },
  observables,
  maxAbsZ: Math.max(...observables.map((x) => Math.abs(x.z))),
  sameSeedStateRelativeDifference: relative(
    flat(sameSeed.setup.state, o.N, o.d),
    flat(double.setup.state, o.N, o.d),
  ),
  pSums: pSums(double),
};
if (o.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const c = report.config;
  console.log(
    `d ${c.d} k ${c.k} N ${c.N} P ${c.P} kappa ${c.kappa} eta ${eta.toPrecision(4)} ` +
      `(eta kappa ${c.etaKappa.toExponential(2)}) steps ${c.steps} chains ${c.chains} ` +
      `seeds ${c.seeds}; seconds float64 ${report.seconds.float64.toFixed(1)}, ` +
      `float32 ${report.seconds.float32.toFixed(1)}`,
  );
  const fmt = (e) => `${e.value.toPrecision(5)} +- ${e.se.toPrecision(2)}`;
  for (const x of observables) {
    console.log(
      `  ${x.name.padEnd(15)} float64 ${fmt(x.float64)}  float32 ${fmt(x.float32)}  ` +
        `z ${x.z.toFixed(2)}`,
    );
  }
  console.log(`  max |z| ${report.maxAbsZ.toFixed(2)}`);
  if (report.malaAcceptance) {
    const a = report.malaAcceptance;
    console.log(
      `  MALA acceptance float64 ${fmt(a.float64)}, float32 ${fmt(a.float32)}, z ${a.z.toFixed(2)}` +
        `; chain 0 of seed ${o.seeds[0]}: float64 ${a.sameSeedChain0[0]}, float32 ${a.sameSeedChain0[1]}`,
    );
  }
  const p = report.pSums;
  console.log(
    `  same seed: state relative difference ${report.sameSeedStateRelativeDifference.toExponential(2)}`,
  );
  console.log(
    `  P-sums at the final state (rms residual ${p.rmsResidual.toExponential(2)}): E relative ` +
      `error ${p.energyRelativeError.toExponential(2)} (${p.energyErrorOverKappa.toExponential(2)}` +
      ` kappa), gradient relative error ${p.gradientRelativeError.toExponential(2)}, ` +
      `eta x gradient error / noise ${p.gradientErrorOverNoise.toExponential(2)}`,
  );
}
