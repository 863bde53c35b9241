/**
 * P = 0: the posterior is the prior, a Gaussian, so it is sampled exactly instead of simulated
 * (the SGLD kernel needs P >= 1). Each sample step t is an independent draw: parameter p of chain
 * c is value t * nParams + p of the chain's sgldNoise stream times its prior standard deviation
 * (W, then a, then b, as docs/sgld.md orders them). The observables are accumulated exactly as the
 * kernel accumulates them (docs/sgld.md, "Samples and observables"), so the result has the same
 * fields; trainMse is undefined without training data (NaN, reported as null). No state is
 * carried between steps, so chunked calls and resumed runs give the same numbers.
 */
import type {
  Backend,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldState,
} from '../../backend/types.js';
import { Purpose, streamId } from '../../rng/streams.js';
import { HIST_GROUPS, sgldSampleCount } from './layout.js';

/** Parameters per chain: N d + N (+ N with bias). */
export function paramCount(config: Pick<SgldConfig, 'N' | 'd' | 'bias'>): number {
  return config.N * config.d + config.N * (config.bias ? 2 : 1);
}

/** Chain c's parameters at step t: the prior draw of that step, written into `state`. */
function drawPrior(backend: Backend, config: SgldConfig, state: SgldState, c: number, t: number) {
  const { N, d } = config;
  const n = paramCount(config);
  const values = new Float64Array(n);
  backend.fillGaussian(config.seed, streamId(Purpose.sgldNoise, c), t * n, values);
  const W = state.W.subarray(c * N * d, (c + 1) * N * d);
  const a = state.a.subarray(c * N, (c + 1) * N);
  for (let k = 0; k < N * d; k++) W[k] = values[k]! * config.sigmaW;
  for (let i = 0; i < N; i++) a[i] = values[N * d + i]! * config.sigmaA;
  if (state.b) {
    const b = state.b.subarray(c * N, (c + 1) * N);
    for (let i = 0; i < N; i++) b[i] = values[N * d + N + i]! * config.sigmaB;
  }
}

function chainParams(config: SgldConfig, state: SgldState, c: number) {
  const { N, d } = config;
  return {
    W: state.W.subarray(c * N * d, (c + 1) * N * d),
    a: state.a.subarray(c * N, (c + 1) * N),
    b: state.b ? state.b.subarray(c * N, (c + 1) * N) : null,
  };
}

/** Adds value x to group g of chain c: histogram bin (or under/overflow) and moment sums. */
function addToGroup(config: SgldConfig, acc: SgldAccumulators, c: number, g: number, x: number) {
  const { histBins: bins } = config;
  const range = config.histRange * (g === 2 ? config.sigmaA : config.sigmaW);
  const base = (c * HIST_GROUPS + g) * (bins + 2);
  let slot: number;
  if (x < -range) slot = 0;
  else if (x > range) slot = bins + 1;
  else slot = 1 + Math.min(bins - 1, Math.floor(((x + range) / (2 * range)) * bins));
  acc.hist[base + slot]! += 1;
  const m = (c * HIST_GROUPS + g) * 4;
  const x2 = x * x;
  acc.moments[m]! += x;
  acc.moments[m + 1]! += x2;
  acc.moments[m + 2]! += x2 * x;
  acc.moments[m + 3]! += x2 * x2;
}

/** Test-set MSE and mS of f, and f itself, for chain c's current parameters. */
function testObservables(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  c: number,
) {
  const { PTest } = config;
  const f = new Float64Array(PTest);
  if (PTest > 0) {
    backend.forward(
      {
        P: PTest,
        d: config.d,
        N: config.N,
        gamma: config.gamma,
        activation: config.activation,
        bias: config.bias,
      },
      data.XTest,
      chainParams(config, state, c),
      f,
    );
  }
  let mse = 0;
  let mS = 0;
  for (let mu = 0; mu < PTest; mu++) {
    mse += (f[mu]! - data.yTest[mu]!) ** 2;
    if (data.targetTest) mS += f[mu]! * data.targetTest[mu]!;
  }
  return { f, mse: mse / PTest, mS: data.targetTest ? mS / PTest : NaN };
}

/** The sample-step observables of chain c (docs/sgld.md), added to `acc`. */
function addSample(
  config: SgldConfig,
  acc: SgldAccumulators,
  c: number,
  s: number,
  state: SgldState,
  test: { f: Float64Array; mse: number; mS: number },
): void {
  const { N, d, PTest, nRelevant } = config;
  const S = sgldSampleCount(config);
  for (let mu = 0; mu < PTest; mu++) acc.sumFTest[c * PTest + mu]! += test.f[mu]!;
  acc.sumSampleTestMse[c]! += test.mse;
  acc.sumSampleTrainMse[c]! += NaN;
  acc.traceMS[c * S + s] = test.mS;
  acc.traceTestMse[c * S + s] = test.mse;
  const { W, a } = chainParams(config, state, c);
  let specialised = 0;
  for (let i = 0; i < N; i++) {
    let relevant = 0;
    let all = 0;
    for (let j = 0; j < d; j++) {
      const w = W[i * d + j]!;
      acc.sumQ[c * d + j]! += (w * w) / N;
      addToGroup(config, acc, c, j < nRelevant ? 0 : 1, w);
      relevant += j < nRelevant ? w * w : 0;
      all += w * w;
    }
    if (nRelevant > 0 && relevant > 0.5 * all) specialised++;
    addToGroup(config, acc, c, 2, a[i]!);
  }
  acc.sumSpecialisation[c]! += specialised / N;
  acc.nSamples[c]! += 1;
}

/**
 * The P = 0 counterpart of `Backend.sgldRun` over steps [stepBegin, stepEnd): exact prior draws
 * at the sample and observe steps, accumulated into `acc`; `state` ends as the last draw made.
 */
export function priorRun(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  acc: SgldAccumulators,
  stepBegin: number,
  stepEnd: number,
): void {
  const { burnIn, thin, observeEvery, chains } = config;
  for (let t = stepBegin; t < stepEnd; t++) {
    const sample = t >= burnIn && (t - burnIn) % thin === 0;
    const observe = observeEvery > 0 && t % observeEvery === 0;
    if (!sample && !observe) continue;
    for (let c = 0; c < chains; c++) {
      drawPrior(backend, config, state, c, t);
      const test = testObservables(backend, config, data, state, c);
      if (sample) addSample(config, acc, c, (t - burnIn) / thin, state, test);
      if (observe) {
        const O = acc.series.length / (3 * chains);
        const row = (c * O + t / observeEvery) * 3;
        acc.series[row] = t;
        acc.series[row + 1] = NaN;
        acc.series[row + 2] = test.mS;
      }
    }
  }
}
