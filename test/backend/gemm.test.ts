/** gemm: native (BLAS) and js agree on every transpose combination; bad shapes are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/index.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { relativeError } from '../helpers/compare.js';

function gaussian(n: number, stream: number): Float64Array {
  const out = new Float64Array(n);
  jsBackend.fillGaussian(99, stream, 0, out);
  return out;
}

for (const backend of availableBackends()) {
  test(`gemm on ${backend.name} matches the definition for all transposes`, () => {
    const [M, N, K] = [7, 5, 3];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const A = gaussian(M * K, 1);
        const B = gaussian(K * N, 2);
        const C0 = gaussian(M * N, 3);
        const C = C0.slice();
        backend.gemm({ transA, transB, M, N, K, alpha: 0.5, beta: -2 }, A, B, C);
        const expected = new Float64Array(M * N);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let p = 0; p < K; p++) {
              s +=
                (transA ? A[p * M + i]! : A[i * K + p]!) * (transB ? B[j * K + p]! : B[p * N + j]!);
            }
            expected[i * N + j] = 0.5 * s - 2 * C0[i * N + j]!;
          }
        }
        assert.ok(relativeError(C, expected) < 1e-14, `transA=${transA} transB=${transB}`);
      }
    }
  });
}

test('native gemm refuses wrong lengths and aliasing', (t) => {
  const native = availableBackends().find((b) => b.name === 'native');
  if (!native) {
    t.skip('native backend unavailable');
    return;
  }
  const o = { transA: false, transB: false, M: 2, N: 2, K: 2, alpha: 1, beta: 0 };
  const buf = new Float64Array(4);
  assert.throws(() => native.gemm(o, new Float64Array(3), buf, new Float64Array(4)), {
    code: 'ERR_MFL_INVALID_TYPE',
    message: /^A: expected a Float64Array of length 4 \(M\*K\), got length 3/,
  });
  assert.throws(() => native.gemm(o, buf, buf, buf), { message: /^C: .*A/ });
  assert.throws(() => native.gemm({ ...o, M: 0 }, buf, buf, new Float64Array(4)), {
    message: /^M: must be an integer in \[1, 2\^31 - 1\], got 0/,
  });
});
