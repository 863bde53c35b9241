/**
 * The SGLD kernel (docs/sgld.md) on every backend: chunk invariance, one step against the update
 * formula written out by hand, freezeW, and divergence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  Backend,
  GradientOutputs,
  NetworkParams,
  SgldConfig,
  SgldData,
  SgldState,
} from '../../src/backend/types.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { Purpose, streamId } from '../../src/rng/streams.js';
import { backends } from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';
import {
  assertClose,
  assertSameRun,
  chainParams,
  cloneState,
  initialState,
  networkShape,
  runSgld,
  sgldConfig,
  skipUnlessSgld,
  sgldData,
} from '../helpers/sgld.js';

const CHUNK_VARIANTS: [string, Partial<SgldConfig>][] = [
  ['full batch', {}],
  ['minibatch', { batchSize: 17 }],
  ['MALA', { mala: true }],
  ['bias, tanh, mean loss', { bias: true, activation: 'tanh', lossScale: 1 / 60 }],
  ['MALA with bias and freezeW', { mala: true, bias: true, freezeW: true }],
  ['minibatch with bias, erf, gamma 1', { batchSize: 9, bias: true, activation: 'erf', gamma: 1 }],
];

/** theta - eta (ls g + kappa theta / sigma^2) + sqrt(2 eta kappa) xi of every chain, by hand. */
function stepByHand(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  t: number,
): SgldState {
  const next = cloneState(state);
  for (let c = 0; c < config.chains; c++) {
    const { W, a, b } = chainParams(config, state, c);
    const theta = concat(W, a, b);
    const { gW, ga, gb } = batchGradient(backend, config, data, state, c, t);
    const g = concat(gW, ga, gb);
    const sigma = priorSigmas(config);
    const xi = new Float64Array(theta.length);
    backend.fillGaussian(config.seed, streamId(Purpose.sgldNoise, c), t * theta.length, xi);
    const { eta, kappa, lossScale: ls } = config;
    const expected = theta.map((th, p) => {
      if (config.freezeW && p < config.N * config.d) return th;
      const drift = ls * g[p]! + (kappa * th) / sigma[p]! ** 2;
      return th - eta * drift + Math.sqrt(2 * eta * kappa) * xi[p]!;
    });
    unflatten(expected, chainParams(config, next, c));
  }
  return next;
}

/** grad E over the training set, or (P / B) times the sum over the B drawn rows. */
function batchGradient(
  backend: Backend,
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  c: number,
  t: number,
): GradientOutputs {
  const { P, d, N, batchSize: B } = config;
  let X = data.X;
  let y = data.y;
  if (B < P) {
    const u = new Float64Array(B);
    backend.fillUniform(config.seed, streamId(Purpose.minibatch, c), t * B, u);
    const rows = Array.from(u, (v) => Math.floor(v * P));
    X = Float64Array.from(
      { length: B * d },
      (_, k) => data.X[rows[Math.floor(k / d)]! * d + (k % d)]!,
    );
    y = Float64Array.from(rows, (row) => data.y[row]!);
  }
  const out: GradientOutputs = {
    f: new Float64Array(B),
    gW: new Float64Array(N * d),
    ga: new Float64Array(N),
    gb: config.bias ? new Float64Array(N) : null,
  };
  backend.lossGradient(networkShape(config, B), X, y, chainParams(config, state, c), out);
  for (const g of [out.gW, out.ga, out.gb]) if (g) g.forEach((v, k) => (g[k] = (v * P) / B));
  return out;
}

/** Concatenation in parameter order (W, a, b). */
function concat(...parts: (Float64Array | null)[]): Float64Array {
  return Float64Array.from(parts.flatMap((x) => (x ? Array.from(x) : [])));
}

function unflatten(flat: Float64Array, params: NetworkParams): void {
  const { W, a, b } = params;
  W.set(flat.subarray(0, W.length));
  a.set(flat.subarray(W.length, W.length + a.length));
  if (b) b.set(flat.subarray(W.length + a.length));
}

function priorSigmas(config: SgldConfig): Float64Array {
  const { N, d, bias } = config;
  return Float64Array.from({ length: N * d + N + (bias ? N : 0) }, (_, p) =>
    p < N * d ? config.sigmaW : p < N * d + N ? config.sigmaA : config.sigmaB,
  );
}

const ONE_STEP_VARIANTS: [string, Partial<SgldConfig>][] = [
  ['full batch', {}],
  [
    'bias, own sigmas, mean loss, tanh',
    {
      bias: true,
      sigmaW: 0.7,
      sigmaA: 1.3,
      sigmaB: 0.5,
      lossScale: 1 / 60,
      activation: 'tanh',
    },
  ],
  ['minibatch of 7 rows', { batchSize: 7, bias: true, gamma: 1 }],
  ['freezeW', { freezeW: true, bias: true }],
  ['zero-noise limit (kappa = 1e-300: gradient descent)', { kappa: 1e-300, activation: 'erf' }],
];

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessSgld(backend);

  for (const [name, overrides] of CHUNK_VARIANTS) {
    test(
      `chunked calls [0, a) + [a, b) equal one call [0, b) exactly: ${name} ${tag}`,
      { skip },
      () => {
        const config = sgldConfig({
          steps: 400,
          burnIn: 50,
          thin: 9,
          observeEvery: 31,
          ...overrides,
        });
        const data = sgldData(config);
        const whole = runSgld(backend, config, data);
        assertSameRun(runSgld(backend, config, data, [0, 137, 400]), whole);
        assertSameRun(runSgld(backend, config, data, [0, 1, 2, 50, 51, 299, 400]), whole);
        assert.deepEqual(whole.results, [{ stepsDone: 400, divergedChain: -1, divergedStep: -1 }]);
      },
    );
  }

  for (const [name, overrides] of ONE_STEP_VARIANTS) {
    test(
      `one step equals theta - eta drift + sqrt(2 eta kappa) xi by hand: ${name} ${tag}`,
      { skip },
      () => {
        const config = sgldConfig({ chains: 3, ...overrides });
        const data = sgldData(config);
        const state = initialState(config);
        // A step well inside the run, so the stream offsets t nParams and t B are exercised.
        const t = 123;
        const expected = stepByHand(backend, config, data, state, t);
        const result = backend.sgldRun(
          config,
          data,
          state,
          createSgldAccumulators(config),
          t,
          t + 1,
        );
        assert.deepEqual(result, { stepsDone: 1, divergedChain: -1, divergedStep: -1 });
        assertClose(state.W, expected.W, 1e-13, 'W');
        assertClose(state.a, expected.a, 1e-13, 'a');
        if (expected.b && state.b) assertClose(state.b, expected.b, 1e-13, 'b');
      },
    );
  }

  test(
    `in the zero-noise limit a full-batch run does not depend on the seed ${tag}`,
    { skip },
    () => {
      // kappa must be > 0; at 1e-300 the noise sqrt(2 eta kappa) xi and the decay are far below
      // one ulp of the parameters, so the update is gradient descent.
      const config = sgldConfig({ kappa: 1e-300 });
      const data = sgldData(config);
      const a = initialState(config);
      const b = cloneState(a);
      backend.sgldRun(config, data, a, createSgldAccumulators(config), 0, 5);
      const other = { ...config, seed: config.seed + 1 };
      backend.sgldRun(other, data, b, createSgldAccumulators(other), 0, 5);
      assertBitIdentical(a.W, b.W, 'W');
      assertBitIdentical(a.a, b.a, 'a');
    },
  );

  test(`freezeW leaves W unchanged and moves a and b ${tag}`, { skip }, () => {
    for (const mala of [false, true]) {
      const config = sgldConfig({ freezeW: true, bias: true, mala, steps: 200, burnIn: 10 });
      const data = sgldData(config);
      const before = initialState(config);
      const run = runSgld(backend, config, data);
      assertBitIdentical(run.state.W, before.W, `W (mala ${mala})`);
      assert.ok(
        run.state.a.some((v, i) => v !== before.a[i]),
        `a did not move (mala ${mala})`,
      );
      assert.ok(
        run.state.b!.some((v, i) => v !== before.b![i]),
        `b did not move (mala ${mala})`,
      );
    }
  });

  test(
    `a huge step size diverges: divergedChain, divergedStep and a finite state ${tag}`,
    { skip },
    () => {
      for (const overrides of [
        {},
        { batchSize: 10 },
        { bias: true, activation: 'tanh' as const },
      ]) {
        const config = sgldConfig({ eta: 1e3, ...overrides });
        const data = sgldData(config);
        const state = initialState(config);
        const result = backend.sgldRun(config, data, state, createSgldAccumulators(config), 5, 905);
        assert.ok(result.divergedStep >= 5 && result.divergedStep < 905, JSON.stringify(result));
        assert.ok(result.divergedChain >= 0 && result.divergedChain < config.chains);
        assert.equal(result.stepsDone, result.divergedStep - 5);
        assert.ok(result.stepsDone < 900);
        for (const v of [state.W, state.a, state.b ?? []]) assert.ok(v.every(Number.isFinite));
      }
    },
  );

  test(
    `a non-finite E at the start diverges at once and leaves the state as it was ${tag}`,
    { skip },
    () => {
      const config = sgldConfig();
      const data = sgldData(config);
      const state = initialState(config);
      state.a[config.N + 3] = 1e308; // chain 1: f overflows, E = inf
      const before = cloneState(state);
      const acc = createSgldAccumulators(config);
      const result = backend.sgldRun(config, data, state, acc, 40, 100);
      assert.deepEqual(result, { stepsDone: 0, divergedChain: 1, divergedStep: 40 });
      // Step-major: chain 0 has done step 40, chain 1 is untouched.
      assertBitIdentical(
        state.W.subarray(config.N * config.d),
        before.W.subarray(config.N * config.d),
        'W[1]',
      );
      assertBitIdentical(state.a.subarray(config.N), before.a.subarray(config.N), 'a[1]');
      assert.ok(
        state.a.subarray(0, config.N).some((v, i) => v !== before.a[i]),
        'chain 0 moved',
      );
    },
  );
}
