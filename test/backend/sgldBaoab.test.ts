/**
 * The BAOAB integrator of the SGLD kernel (docs/sgld.md, "BAOAB"): one step by hand, native vs js
 * (1e-9 relative after 1000 steps in float64, as sgldAgreement; float rounding in float32), chunk
 * invariance and threads bitwise (the momentum is part of the state), a frozen W's momentum left
 * alone, divergence leaving the chain as it was, and the binding's checks of the new fields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SgldConfig, TaskKind } from '../../src/backend/types.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { Purpose, streamId } from '../../src/rng/streams.js';
import {
  backends,
  jsBackend,
  nativeBackend,
  requireNative,
  skipUnlessNative,
} from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';
import {
  assertRunsAgree,
  assertSameRun,
  chainParams,
  cloneState,
  initialState,
  networkShape,
  runSgld,
  sgldConfig,
  sgldData,
  skipUnlessSgld,
} from '../helpers/sgld.js';

const skipNative = skipUnlessNative() || skipUnlessSgld(nativeBackend());

function baoabConfig(overrides: Partial<SgldConfig> = {}): SgldConfig {
  return sgldConfig({ integrator: 'baoab', friction: 0.7, ...overrides });
}

const VARIANTS: [string, Partial<SgldConfig>, TaskKind | 'custom'][] = [
  ['full batch', {}, 'parity'],
  ['minibatch of 20, bias, tanh', { batchSize: 20, bias: true, activation: 'tanh' }, 'parity'],
  ['freezeW, bias, own sigmas', { freezeW: true, bias: true, sigmaA: 1.4 }, 'single-index'],
  [
    'mean loss, erf, gamma 1, 3 chains',
    { lossScale: 1 / 60, kappa: 1e-3, activation: 'erf', gamma: 1, chains: 3 },
    'single-index',
  ],
  ['custom data, large friction', { nRelevant: 0, friction: 40 }, 'custom'],
];

test('1000 BAOAB steps agree native vs js within 1e-9 (float64)', { skip: skipNative }, () => {
  for (const [name, overrides, kind] of VARIANTS) {
    const config = baoabConfig(overrides);
    const data = sgldData(config, kind);
    const expected = runSgld(jsBackend, config, data);
    const actual = runSgld(requireNative(), config, data);
    assert.equal(expected.results[0]!.divergedChain, -1, `${name}: diverged`);
    assertRunsAgree(actual, expected, config, 1e-9, name);
  }
});

test('200 BAOAB steps agree native vs js to float rounding (float32)', { skip: skipNative }, () => {
  for (const [name, overrides, kind] of VARIANTS.slice(0, 3)) {
    const config = baoabConfig({ ...overrides, precision: 'float32', steps: 200, burnIn: 50 });
    const data = sgldData(config, kind);
    assertRunsAgree(
      runSgld(requireNative(), config, data),
      runSgld(jsBackend, config, data),
      config,
      1e-4,
      name,
    );
  }
});

for (const backend of backends) {
  const tag = `[${backend.name}]`;

  test(`one BAOAB step by hand ${tag}`, () => {
    const config = baoabConfig({ bias: true, freezeW: true, steps: 10, burnIn: 5 });
    const data = sgldData(config);
    const state = initialState(config);
    const before = cloneState(state);
    const t = 3;
    backend.sgldRun(config, data, state, createSgldAccumulators(config), t, t + 1);
    const { N, d, eta, kappa, friction } = config;
    const nParams = N * d + 2 * N;
    const tau = Math.sqrt(2 * eta);
    const damping = Math.exp(-friction! * tau);
    for (let c = 0; c < config.chains; c++) {
      const params = chainParams(config, before, c);
      const out = {
        f: new Float64Array(config.P),
        gW: new Float64Array(N * d),
        ga: new Float64Array(N),
        gb: new Float64Array(N),
      };
      backend.lossGradient(networkShape(config, config.P), data.X, data.y, params, out);
      const xi = new Float64Array(nParams);
      backend.fillGaussian(config.seed, streamId(Purpose.baoabNoise, c), t * nParams, xi);
      const theta = [...params.W, ...params.a, ...params.b!];
      const g = [...out.gW, ...out.ga, ...out.gb];
      const m0 = before.momentum!.subarray(c * nParams, (c + 1) * nParams);
      const thetaNext = chainParams(config, state, c);
      const after = [...thetaNext.W, ...thetaNext.a, ...thetaNext.b!];
      const m1 = state.momentum!.subarray(c * nParams, (c + 1) * nParams);
      for (let p = 0; p < nParams; p++) {
        if (p < N * d) {
          // Frozen W: position and momentum untouched.
          assert.equal(after[p], theta[p]);
          assert.equal(m1[p], m0[p]);
          continue;
        }
        const sigma = p < N * d + N ? config.sigmaA : config.sigmaB;
        const drift = g[p]! + (kappa * theta[p]!) / sigma ** 2;
        const kicked = m0[p]! - tau * drift;
        const m = damping * kicked + Math.sqrt((1 - damping ** 2) * kappa) * xi[p]!;
        const expected = theta[p]! + (tau / 2) * kicked + (tau / 2) * m;
        assert.ok(
          Math.abs(m1[p]! - m) <= 1e-12 * (1 + Math.abs(m)),
          `momentum ${p}: ${m1[p]} vs ${m}`,
        );
        assert.ok(Math.abs(after[p]! - expected) <= 1e-12 * (1 + Math.abs(expected)), `theta ${p}`);
      }
    }
  });

  test(`BAOAB chunked runs equal the uninterrupted run bitwise ${tag}`, () => {
    for (const precision of ['float64', 'float32'] as const) {
      const config = baoabConfig({ steps: 300, burnIn: 100, thin: 3, batchSize: 25, precision });
      const data = sgldData(config);
      const whole = runSgld(backend, config, data);
      const chunked = runSgld(backend, config, data, [0, 1, 77, 150, 151, 300]);
      assertSameRun(chunked, whole);
    }
  });

  test(`BAOAB divergence leaves the chain (and its momentum) as it was ${tag}`, () => {
    const config = baoabConfig();
    const data = sgldData(config);
    const state = initialState(config);
    state.a[config.N + 3] = 1e308; // chain 1: E = inf at once
    const before = cloneState(state);
    const result = backend.sgldRun(config, data, state, createSgldAccumulators(config), 40, 100);
    assert.deepEqual(result, { stepsDone: 0, divergedChain: 1, divergedStep: 40 });
    const nParams = config.N * config.d + config.N;
    assertBitIdentical(
      state.momentum!.subarray(nParams),
      before.momentum!.subarray(nParams),
      'momentum[1]',
    );
    assert.ok(state.momentum!.subarray(0, nParams).some((v, i) => v !== before.momentum![i]));
  });
}

test(
  'BAOAB on threads 2, 3 equals threads 1 bitwise, float64 and float32',
  { skip: skipNative },
  () => {
    for (const precision of ['float64', 'float32'] as const) {
      const base = baoabConfig({ chains: 3, bias: true, steps: 300, precision });
      const data = sgldData(base);
      const one = runSgld(requireNative(), base, data);
      for (const threads of [2, 3]) {
        const many = runSgld(requireNative(), { ...base, threads }, data);
        assert.deepEqual(many.results, one.results);
        assertSameRun(many, one);
      }
    }
  },
);

test(
  'the binding checks integrator, friction, mala and state.momentum',
  { skip: skipNative },
  () => {
    const config = baoabConfig({ steps: 5, burnIn: 0 });
    const data = sgldData(config);
    const state = initialState(config);
    const run = (c: object, s: object = state) =>
      requireNative().sgldRun(
        c as SgldConfig,
        data,
        s as typeof state,
        createSgldAccumulators(config),
        0,
        1,
      );
    const cases: [string, object, object | undefined, RegExp][] = [
      ['integrator', { ...config, integrator: 'leapfrog' }, undefined, /integrator/],
      ['friction missing', { ...config, friction: undefined }, undefined, /friction/],
      ['friction 0', { ...config, friction: 0 }, undefined, /friction/],
      ['friction NaN', { ...config, friction: NaN }, undefined, /friction/],
      [
        'friction with euler',
        { ...config, integrator: 'euler' },
        { ...state, momentum: null },
        /friction/,
      ],
      ['mala', { ...config, mala: true }, undefined, /mala/],
      ['momentum missing', config, { ...state, momentum: null }, /state\.momentum/],
      [
        'momentum short',
        config,
        { ...state, momentum: state.momentum!.subarray(1) },
        /state\.momentum/,
      ],
      [
        'momentum with euler',
        { ...config, integrator: 'euler', friction: null },
        undefined,
        /state\.momentum/,
      ],
    ];
    for (const [name, c, s, message] of cases) {
      assert.throws(() => run(c, s), message, name);
    }
    // Euler without the new fields runs as before.
    const euler = sgldConfig({ steps: 5, burnIn: 0 });
    assert.equal(
      requireNative().sgldRun(euler, data, initialState(euler), createSgldAccumulators(euler), 0, 5)
        .stepsDone,
      5,
    );
  },
);
