/**
 * Kernel ridge regression (THEORY.md section 5) on every backend: predictions and posterior
 * variances against a direct dense solve (Gaussian elimination in JS on the same kernel matrices)
 * to 1e-10 relative, fbar_train = y - ridge alpha = K alpha, chunked prediction equal to one
 * chunk, the memory refusal before any allocation, and the not-positive-definite message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend, KernelName, KernelSpec } from '../../../src/backend/types.js';
import { fitKrr, NotPositiveDefiniteError } from '../../../src/methods/nngp/krr.js';
import { backends } from '../../helpers/backends.js';
import { relativeError } from '../../helpers/compare.js';
import { TestRng } from '../../helpers/random.js';
import { denseSolve } from '../../helpers/linalg.js';
import { spyBackend } from './helpers.js';

const P = 80;
const Q = 37;
const d = 6;

function data(seed: number) {
  const rng = new TestRng(seed, 1);
  const X = rng.gaussian(P * d);
  const Xs = rng.gaussian(Q * d);
  const y = Float64Array.from({ length: P }, (_, i) => Math.sin(X[i * d]!) + 0.3 * X[i * d + 1]!);
  return { X, Xs, y };
}

/** The same quantities by a dense solve: alpha = (K + ridge I)^-1 y, f = K* alpha, and the GP
 *  variance c (K** - k*^T (K + ridge I)^-1 k*). */
function direct(backend: Backend, spec: KernelSpec, ridge: number, scale: number, seed: number) {
  const { X, Xs, y } = data(seed);
  const K = new Float64Array(P * P);
  backend.nngpGram(spec, X, K);
  const A = Float64Array.from(K);
  for (let i = 0; i < P; i++) A[i * P + i] = A[i * P + i]! + ridge;
  const alpha = denseSolve(A, P, y);
  const Ks = new Float64Array(Q * P);
  backend.nngpCross(spec, Xs, X, Ks);
  const diag = new Float64Array(Q);
  backend.nngpDiag(spec, Xs, diag);
  const mean = new Float64Array(Q);
  const variance = new Float64Array(Q);
  for (let q = 0; q < Q; q++) {
    const k = Ks.subarray(q * P, (q + 1) * P);
    const solved = denseSolve(A, P, k);
    let m = 0;
    let quad = 0;
    for (let j = 0; j < P; j++) {
      m += k[j]! * alpha[j]!;
      quad += k[j]! * solved[j]!;
    }
    mean[q] = m;
    variance[q] = scale * (diag[q]! - quad);
  }
  const train = Float64Array.from({ length: P }, (_, i) => {
    let s = 0;
    for (let j = 0; j < P; j++) s += K[i * P + j]! * alpha[j]!;
    return s;
  });
  return { X, Xs, y, alpha, mean, variance, train };
}

const CASES: readonly [KernelName, boolean, number][] = [
  ['relu', false, 0.01],
  ['relu', true, 0.1],
  ['erf', false, 0.05],
  ['erf', true, 0.01],
  ['linear', true, 0.5],
];

for (const backend of backends) {
  describe(`fitKrr on ${backend.name}`, () => {
    for (const [kernel, bias, ridge] of CASES) {
      test(`${kernel}${bias ? ' + bias' : ''}, ridge ${ridge}: matches a dense solve to 1e-10`, () => {
        const spec: KernelSpec = { kernel, d, sigmaW: 1.1, sigmaB: 0.7, bias };
        const ref = direct(backend, spec, ridge, 2.5, 11);
        const fit = fitKrr(ref.X, ref.y, spec, ridge, backend, { priorScale: 2.5 });
        assert.ok(relativeError(fit.alpha, ref.alpha) < 1e-10);
        assert.ok(relativeError(fit.predict(ref.Xs), ref.mean) < 1e-10);
        assert.ok(relativeError(fit.variance(ref.Xs), ref.variance) < 1e-10);
        assert.ok(relativeError(fit.trainPredictions, ref.train) < 1e-10);
        const both = fit.predictWithVariance(ref.Xs);
        assert.ok(relativeError(both.mean, ref.mean) < 1e-10);
        assert.ok(relativeError(both.variance, ref.variance) < 1e-10);
        assert.ok(both.variance.every((v) => v >= 0));
      });
    }

    test('prediction in one-row chunks equals one chunk (the Q x P cross kernel is never whole)', () => {
      const spec: KernelSpec = { kernel: 'relu', d, sigmaW: 1, sigmaB: 1, bias: true };
      const { X, Xs, y } = data(5);
      const whole = fitKrr(X, y, spec, 0.01, backend);
      const { backend: spy, calls } = spyBackend(backend);
      const tight = fitKrr(X, y, spec, 0.01, spy, { memoryLimitBytes: 8 * P * P + 8 * P });
      calls.clear();
      const error = relativeError(tight.predict(Xs), whole.predict(Xs));
      assert.ok(error < 1e-13, String(error));
      assert.equal(calls.get('nngpCross'), Q);
      assert.ok(relativeError(tight.variance(Xs), whole.variance(Xs)) < 1e-12);
    });

    test('refuses before allocating when 8 P^2 bytes exceed the memory limit', () => {
      const spec: KernelSpec = { kernel: 'relu', d, sigmaW: 1, sigmaB: 1, bias: false };
      const { X, y } = data(1);
      const { backend: spy, calls } = spyBackend(backend);
      assert.throws(
        () => fitKrr(X, y, spec, 0.01, spy, { memoryLimitBytes: 8 * P * P }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'ERR_MFL_OUT_OF_RANGE');
          assert.match(err.message, /^P: must be at most 79 for kernel ridge regression within/);
          assert.match(err.message, /8 P\^2 = 51200 bytes/);
          assert.match(err.message, /got 80$/);
          return true;
        },
      );
      assert.equal(calls.size, 0, 'no backend call');
      // A P whose matrix (8e12 bytes) could never be allocated is refused, not attempted.
      const huge = 1_000_000;
      assert.throws(
        () =>
          fitKrr(new Float64Array(huge), new Float64Array(huge), { ...spec, d: 1 }, 0.01, backend, {
            memoryLimitBytes: 2 ** 40,
            sizeField: '--P',
          }),
        (err: Error & { code?: string }) =>
          err.code === 'ERR_MFL_OUT_OF_RANGE' &&
          err.message.startsWith('--P: must be at most 370727 '),
      );
    });

    test('not positive definite: a clear error naming the ridge and one that works', () => {
      // Identical rows: K = c 11^T exactly, so the second pivot of K + 1e-300 I is exactly 0.
      const spec: KernelSpec = { kernel: 'linear', d: 2, sigmaW: 1, sigmaB: 1, bias: false };
      const n = 30;
      const X = new Float64Array(2 * n).fill(1);
      const y = new Float64Array(n).fill(1);
      let suggested = 0;
      assert.throws(
        () => fitKrr(X, y, spec, 1e-300, backend),
        (err: unknown) => {
          assert.ok(err instanceof NotPositiveDefiniteError);
          assert.equal(err.code, 'ERR_MFL_OUT_OF_RANGE');
          assert.match(err.message, /not positive definite at ridge = 1e-300/);
          assert.match(err.message, /leading minor 2 of 30/);
          assert.match(err.message, /the smallest ridge that works is about 1e-12/);
          suggested = err.suggestedRidge ?? 0;
          return true;
        },
      );
      assert.equal(suggested, 1e-12);
      const fit = fitKrr(X, y, spec, suggested, backend);
      assert.ok(fit.alpha.every(Number.isFinite));
    });
  });
}
