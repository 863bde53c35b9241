/**
 * The mean-field kernel (docs/mf.md, "Kernel contract") on every backend: chunk invariance, ema 0
 * is plain MF bit for bit, the Woodbury solve follows the Cholesky trajectory, and numerical
 * failures are reported (not thrown) with the state left as before the failing step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MfKernelConfig } from '../../src/backend/types.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { backends } from '../helpers/backends.js';
import {
  assertMfRunsAgree,
  assertSameMfRun,
  mfData,
  mfInitialState,
  mfKernelConfig,
  runMf,
  skipUnlessMf,
} from '../helpers/mf.js';

const CHUNK_VARIANTS: [string, Partial<MfKernelConfig>][] = [
  ['plain, cholesky', {}],
  [
    'ARD, aligned, woodbury, erf',
    { ardEma: 0.05, branch: 1, solve: 'woodbury', activation: 'erf' },
  ],
  ['every step sampled, tanh, gamma 1', { burnIn: 0, sampleEvery: 1, observeEvery: 1, gamma: 1 }],
  ['ARD neuron-wise, aligned', { ardEma: 0.05, ardPrecisions: 'neuron', branch: 1 }],
];

/** Measured 3e-14 to 1e-13 after 40 steps (P = 90 > M = 32 and P = 40 < M = 48). */
const SOLVE_TOLERANCE = 1e-9;

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessMf(backend);

  for (const [name, overrides] of CHUNK_VARIANTS) {
    test(`[0, 17) + [17, 60) equals [0, 60) exactly: ${name} ${tag}`, { skip }, () => {
      const config = mfKernelConfig(overrides);
      const data = mfData(config);
      const whole = runMf(backend, config, data);
      const parts = runMf(backend, config, data, [0, 17, 17, 60]);
      assertSameMfRun(parts, whole);
      assert.deepEqual(
        parts.results.map((r) => r.stepsDone),
        [17, 0, 43],
      );
    });
  }

  test(`ardEma 0 is plain MF bit for bit, whatever the hyperprior ${tag}`, { skip }, () => {
    const config = mfKernelConfig();
    const data = mfData(config);
    const plain = runMf(backend, config, data);
    const frozen = runMf(backend, { ...config, ardAlpha0: 7, ardBeta0: 0.3 }, data);
    assertSameMfRun(frozen, plain);
    assert.ok(plain.state.rho.every((r) => r === 1));
    const moved = runMf(backend, { ...config, ardEma: 0.05 }, data);
    assert.ok(
      moved.state.rho.some((r) => Math.abs(r - 1) > 1e-6),
      'rho did not move with ARD',
    );
  });

  for (const [name, shape] of [
    ['P = 90 > M = 32', { P: 90, M: 32 }],
    ['P = 40 < M = 48', {}],
  ] as const) {
    test(`woodbury and cholesky give the same trajectory: ${name} ${tag}`, { skip }, (t) => {
      let worst = 0;
      for (const activation of ['relu', 'tanh'] as const) {
        for (const gamma of [0.5, 1]) {
          const config = mfKernelConfig({ ...shape, activation, gamma, steps: 40, ardEma: 0.05 });
          const data = mfData(config);
          const cholesky = runMf(backend, config, data);
          const woodbury = runMf(backend, { ...config, solve: 'woodbury' }, data);
          const label = `${activation}, gamma ${gamma}`;
          const error = assertMfRunsAgree(woodbury, cholesky, config, SOLVE_TOLERANCE, label);
          worst = Math.max(worst, error);
        }
      }
      t.diagnostic(`largest relative difference: ${worst.toExponential(2)}`);
    });
  }

  test(`a particle overflowing stops the run, state as before that step ${tag}`, { skip }, () => {
    const config = mfKernelConfig({ dt: 1e4, steps: 200, burnIn: 150 });
    const data = mfData(config);
    const failed = runMf(backend, config, data);
    const [result] = failed.results;
    assert.ok(result, 'no result');
    assert.equal(result.failure, 'nonFinite');
    assert.equal(result.info, 0);
    assert.ok(result.failedStep > 0 && result.failedStep < 150, `step ${result.failedStep}`);
    assert.equal(result.stepsDone, result.failedStep);
    const before = runMf(backend, config, data, [0, result.failedStep]);
    assertSameMfRun({ ...failed, results: [] }, { ...before, results: [] });
    assert.ok(failed.state.W.every(Number.isFinite));
  });

  for (const solve of ['cholesky', 'woodbury'] as const) {
    test(
      `a non-positive-definite solve is reported with LAPACK's info: ${solve} ${tag}`,
      { skip },
      () => {
        // w . x / sqrt(d) = 6e308 / sqrt(6) overflows to +inf in any summation order: Lambda = inf,
        // B = inf * 0 = NaN, and the factorisation fails.
        const config = mfKernelConfig({ solve, activation: 'linear', burnIn: 0 });
        const data = mfData(config);
        data.X.fill(1);
        const state = mfInitialState(config);
        state.W.fill(1e308);
        const acc = createMfAccumulators(config);
        const result = backend.mfRun(config, data, state, acc, 3, 10);
        assert.equal(result.failure, 'notPositiveDefinite');
        assert.equal(result.failedStep, 3);
        assert.equal(result.stepsDone, 0);
        assert.ok(result.info >= 1 && result.info <= (solve === 'woodbury' ? config.M : config.P));
        assert.ok(
          state.W.every((w) => w === 1e308),
          'state changed',
        );
        assert.deepEqual(acc, createMfAccumulators(config), 'accumulators changed');
      },
    );
  }
}
