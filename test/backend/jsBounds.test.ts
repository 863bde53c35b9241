/**
 * The js kernels refuse loop bounds that would never end (n = 0, subnormal or fractional orders,
 * huge or bigint degrees and dimensions) with the binding's coded errors, instead of hanging.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../src/backend/js/index.js';
import type { KernelSpec, NetworkShape, TaskParams } from '../../src/backend/types.js';

const range = (message: RegExp) => ({
  code: 'ERR_MFL_OUT_OF_RANGE',
  name: 'MflRangeError',
  message,
});
const type = (message: RegExp) => ({ code: 'ERR_MFL_INVALID_TYPE', name: 'MflTypeError', message });

test('choleskySolve and cholesky: n must be an integer in [1, 2^31 - 1]', { timeout: 5000 }, () => {
  const L = Float64Array.of(2, 0, 1, 3);
  for (const n of [0, 5e-324, 1.5, -1, NaN, 2 ** 31]) {
    assert.throws(
      () => jsBackend.choleskySolve(L, n, new Float64Array(4)),
      range(/^n: must be an integer in \[1, 2\^31 - 1\], got /),
      String(n),
    );
    assert.throws(() => jsBackend.cholesky(L.slice(), n, 0), range(/^n: /), String(n));
  }
  assert.throws(
    () => jsBackend.choleskySolve(L, 2n as unknown as number, new Float64Array(4)),
    type(/^n: expected a number, got 2$/),
  );
  assert.throws(
    () => jsBackend.choleskySolve(L, 2, new Float64Array(3)),
    type(/^B: expected a Float64Array whose length is a multiple of n = 2, got "length 3"$/),
  );
  const B = Float64Array.of(2, 3);
  jsBackend.choleskySolve(L, 2, B);
  assert.ok(B.every(Number.isFinite));
});

test('generateTaskRows: d and k are checked before any loop', { timeout: 5000 }, () => {
  const rows = { X: new Float64Array(6), y: new Float64Array(2), rowOffset: 0, test: false };
  const params: TaskParams = { kind: 'parity', d: 3, k: 2, labelNoise: 0, seed: 1 };
  const k = (value: unknown) => ({ ...params, k: value as number });
  assert.throws(
    () => jsBackend.generateTaskRows(k(2n ** 64n), rows),
    type(/^k: expected a number/),
  );
  assert.throws(
    () => jsBackend.generateTaskRows(k(1e15), rows),
    range(/^k: must be an integer in \[0, 3\]/),
  );
  assert.throws(
    () => jsBackend.generateTaskRows({ ...k(5), kind: 'single-index' }, rows),
    range(/^k: must be an integer in \[0, 3\]/),
  );
  assert.throws(
    () => jsBackend.generateTaskRows({ ...params, d: 5e-324 }, rows),
    range(/^d: must be an integer in \[1, 2\^31 - 1\]/),
  );
  jsBackend.generateTaskRows(params, rows);
  assert.ok(rows.y.every((v) => v === 1 || v === -1));
});

test('nngp kernels: d is checked before rows are counted', { timeout: 5000 }, () => {
  const spec: KernelSpec = { kernel: 'relu', d: 1e15, sigmaW: 1, sigmaB: 1, bias: false };
  assert.throws(
    () => jsBackend.nngpDiag(spec, new Float64Array(4), new Float64Array(1)),
    range(/^d: /),
  );
  assert.throws(
    () => jsBackend.nngpGram({ ...spec, d: 0 }, new Float64Array(4), new Float64Array(1)),
    range(/^d: /),
  );
});

test('gemm: M, N, K and the array lengths are checked before any loop', { timeout: 5000 }, () => {
  const o = { transA: false, transB: false, M: 2, N: 2, K: 2, alpha: 1, beta: 0 };
  const A = new Float64Array(4);
  for (const M of [0, 1.5, 2 ** 53, 2n ** 64n]) {
    assert.throws(
      () => jsBackend.gemm({ ...o, M: M as number }, A, A, A),
      { message: /^M: / },
      String(M),
    );
  }
  assert.throws(
    () => jsBackend.gemm({ ...o, K: 2 ** 30 }, A, A, A),
    type(/^A: expected a Float64Array of length M\*K = 2147483648, got Float64Array of length 4$/),
  );
});

test(
  'forward and lossGradient: P, d, N and the array lengths are checked',
  { timeout: 5000 },
  () => {
    const shape: NetworkShape = { P: 2, d: 3, N: 4, gamma: 0.5, activation: 'erf', bias: false };
    const X = new Float64Array(6);
    const params = { W: new Float64Array(12), a: new Float64Array(4), b: null };
    for (const P of [0, 0.5, 2 ** 31, 2n ** 64n]) {
      const f = new Float64Array(2);
      assert.throws(() => jsBackend.forward({ ...shape, P: P as number }, X, params, f), {
        message: /^P: /,
      });
    }
    assert.throws(
      () => jsBackend.forward({ ...shape, N: 2 ** 30 }, X, params, new Float64Array(2)),
      type(/^W: expected a Float64Array of length N\*d = 3221225472/),
    );
    const out = {
      f: new Float64Array(2),
      gW: new Float64Array(12),
      ga: new Float64Array(3),
      gb: null,
    };
    assert.throws(
      () => jsBackend.lossGradient(shape, X, new Float64Array(2), params, out),
      type(/^ga: expected a Float64Array of length N = 4, got Float64Array of length 3$/),
    );
    out.ga = new Float64Array(4);
    assert.equal(jsBackend.lossGradient(shape, X, new Float64Array(2), params, out), 0);
  },
);
