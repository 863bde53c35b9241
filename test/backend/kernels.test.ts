/**
 * NNGP kernels (THEORY.md section 5) on every backend: the closed forms on hand-checkable pairs,
 * Gram symmetric and positive semi-definite, nngpDiag equal to the Gram diagonal, nngpCross(X, X)
 * equal to the Gram; native vs js within 1e-12 relative in the norm sense (max |native - js| /
 * max |js| per output). The tolerance is not bitwise because Sigma = sigmaW^2 X X^T / d comes from
 * BLAS (dsyrk/dgemm) on native and from index-order loops on js: the dot products are summed in
 * different orders (and acos/asin may differ in the last ulp). Then the binding's argument checks.
 * (Agreement with Monte Carlo estimates of E[phi(u) phi(v)] lives with the nngp method tests.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNative } from '../../src/binding.js';
import type { Backend, KernelName, KernelSpec } from '../../src/backend/types.js';
import { backends, jsBackend, nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { relativeError } from '../helpers/compare.js';
import { TestRng } from '../helpers/random.js';

const KERNELS: readonly KernelName[] = ['relu', 'erf', 'linear'];
const AGREEMENT = 1e-12;
const skip = skipUnlessNative();

type Inputs = 'parity' | 'gaussian';

/** P x d inputs: parity rows (task data of THEORY.md section 1) or standard normal rows. */
function inputs(kind: Inputs, P: number, d: number, seed: number): Float64Array {
  if (kind === 'gaussian') return new TestRng(seed, 1).gaussian(P * d);
  const X = new Float64Array(P * d);
  const params = { kind: 'parity', d, k: Math.min(2, d), labelNoise: 0, seed } as const;
  jsBackend.generateTaskRows(params, { test: false, rowOffset: 0, X, y: new Float64Array(P) });
  return X;
}

function spec(kernel: KernelName, d: number, bias: boolean): KernelSpec {
  return { kernel, d, sigmaW: 1.3, sigmaB: 0.7, bias };
}

function gram(backend: Backend, s: KernelSpec, X: Float64Array): Float64Array {
  const P = X.length / s.d;
  const K = new Float64Array(P * P).fill(NaN); // every entry must be written
  backend.nngpGram(s, X, K);
  return K;
}

function cross(backend: Backend, s: KernelSpec, Xs: Float64Array, X: Float64Array): Float64Array {
  const K = new Float64Array((Xs.length / s.d) * (X.length / s.d)).fill(NaN);
  backend.nngpCross(s, Xs, X, K);
  return K;
}

function diag(backend: Backend, s: KernelSpec, X: Float64Array): Float64Array {
  const out = new Float64Array(X.length / s.d).fill(NaN);
  backend.nngpDiag(s, X, out);
  return out;
}

/** The THEORY.md formulas written out independently, for one pair (s12, s11, s22). */
function reference(kernel: KernelName, s12: number, s11: number, s22: number): number {
  if (kernel === 'linear') return s12;
  if (kernel === 'erf')
    return (2 / Math.PI) * Math.asin((2 * s12) / Math.sqrt((1 + 2 * s11) * (1 + 2 * s22)));
  const t = Math.acos(Math.max(-1, Math.min(1, s12 / Math.sqrt(s11 * s22))));
  return (Math.sqrt(s11 * s22) / (2 * Math.PI)) * (Math.sin(t) + (Math.PI - t) * Math.cos(t));
}

interface Case {
  inputs: Inputs;
  P: number;
  Q: number;
  d: number;
  seed: number;
}

/** Random shapes, plus P = 130 > 2 tiles of the native map (64) and d = 1 (correlations +-1). */
function cases(): Case[] {
  const rng = new TestRng(2024, 3);
  const out: Case[] = [];
  for (const kind of ['parity', 'gaussian'] as const) {
    out.push(
      { inputs: kind, P: 130, Q: 9, d: 35, seed: 1 },
      { inputs: kind, P: 20, Q: 5, d: 1, seed: 2 },
    );
    for (let i = 0; i < 6; i++) {
      out.push({
        inputs: kind,
        P: rng.int(1, 70),
        Q: rng.int(1, 30),
        d: rng.int(1, 40),
        seed: 10 + i,
      });
    }
  }
  return out;
}

for (const backend of backends) {
  const name = backend.name;

  test(`${name}: kernel values match the closed forms of THEORY.md section 5`, () => {
    // Rows x = (1, 2, 0), x' = (-1, 0.5, 3), 0, -x: with sigmaW = 1.3, sigmaB = 0.7.
    const d = 3;
    const X = Float64Array.from([1, 2, 0, -1, 0.5, 3, 0, 0, 0, -1, -2, 0]);
    const rows = [X.subarray(0, 3), X.subarray(3, 6), X.subarray(6, 9), X.subarray(9, 12)];
    for (const kernel of KERNELS) {
      for (const bias of [false, true]) {
        const s = spec(kernel, d, bias);
        const sigma = (a: Float64Array, b: Float64Array): number =>
          (1.69 / d) * (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) + (bias ? 0.49 : 0);
        const K = gram(backend, s, X);
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 4; j++) {
            const s11 = sigma(rows[i]!, rows[i]!);
            const s22 = sigma(rows[j]!, rows[j]!);
            // relu with a zero row: K = 0 (the formula's 0/0 is the limit 0).
            const want =
              s11 * s22 === 0 && kernel === 'relu'
                ? 0
                : reference(kernel, sigma(rows[i]!, rows[j]!), s11, s22);
            const got = K[i * 4 + j]!;
            assert.ok(
              Math.abs(got - want) <= 1e-14 * Math.max(1, Math.abs(want)),
              `${kernel} bias=${bias} (${i}, ${j}): ${got} vs ${want}`,
            );
          }
        }
        // Opposite rows: relu of (u, -u) never fires together, erf and linear are odd.
        if (!bias) {
          const expectedOpposite = kernel === 'relu' ? 0 : -K[0]!;
          assert.ok(Math.abs(K[0 * 4 + 3]! - expectedOpposite) < 1e-15, `${kernel}: K(x, -x)`);
        }
      }
    }
  });

  test(`${name}: Gram symmetric and PSD, diag and cross(X, X) agree with it`, () => {
    for (const c of cases()) {
      const X = inputs(c.inputs, c.P, c.d, c.seed);
      for (const kernel of KERNELS) {
        for (const bias of [false, true]) {
          const s = spec(kernel, c.d, bias);
          const what = `${kernel} bias=${bias} ${c.inputs} P=${c.P} d=${c.d}`;
          const K = gram(backend, s, X);
          for (let i = 0; i < c.P; i++) {
            for (let j = 0; j < i; j++) {
              assert.equal(K[i * c.P + j], K[j * c.P + i], `${what}: K symmetric at (${i}, ${j})`);
            }
          }
          assertPsd(backend, K, c.P, what);
          const D = diag(backend, s, X);
          const KD = Float64Array.from({ length: c.P }, (_, i) => K[i * c.P + i]!);
          assert.ok(relativeError(D, KD) <= 1e-14, `${what}: nngpDiag = Gram diagonal`);
          assert.ok(
            relativeError(cross(backend, s, X, X), K) <= 1e-13,
            `${what}: cross(X, X) = Gram`,
          );
        }
      }
    }
  });
}

/**
 * Positive semi-definite up to rounding: z^T K z >= -1e-12 * scale for random z, and a Cholesky
 * with a ridge of 1e-9 * max diagonal succeeds (linear kernels with P > d and parity inputs with
 * repeated rows are exactly singular, so some ridge is needed).
 */
function assertPsd(backend: Backend, K: Float64Array, P: number, what: string): void {
  let maxDiag = 0;
  for (let i = 0; i < P; i++) maxDiag = Math.max(maxDiag, K[i * P + i]!);
  const rng = new TestRng(P, 4);
  for (let trial = 0; trial < 5; trial++) {
    const z = rng.gaussian(P);
    let quad = 0;
    let norm = 0;
    for (let i = 0; i < P; i++) {
      norm += z[i]! * z[i]!;
      for (let j = 0; j < P; j++) quad += z[i]! * K[i * P + j]! * z[j]!;
    }
    assert.ok(quad >= -1e-12 * maxDiag * norm * P, `${what}: z^T K z = ${quad}`);
  }
  assert.equal(backend.cholesky(K.slice(), P, 1e-9 * maxDiag), 0, `${what}: Cholesky with ridge`);
}

test('native and js agree within 1e-12 relative: gram, cross, diag', { skip }, (t) => {
  const native = nativeBackend()!;
  const worst = { gram: 0, cross: 0, diag: 0 };
  for (const c of cases()) {
    const X = inputs(c.inputs, c.P, c.d, c.seed);
    const Xs = inputs(c.inputs, c.Q, c.d, c.seed + 1000);
    for (const kernel of KERNELS) {
      for (const bias of [false, true]) {
        const s = spec(kernel, c.d, bias);
        const what = `${kernel} bias=${bias} ${c.inputs} P=${c.P} Q=${c.Q} d=${c.d}`;
        const errors = {
          gram: relativeError(gram(native, s, X), gram(jsBackend, s, X)),
          cross: relativeError(cross(native, s, Xs, X), cross(jsBackend, s, Xs, X)),
          diag: relativeError(diag(native, s, X), diag(jsBackend, s, X)),
        };
        for (const key of ['gram', 'cross', 'diag'] as const) {
          assert.ok(errors[key] <= AGREEMENT, `${what}: ${key} relative error ${errors[key]}`);
          worst[key] = Math.max(worst[key], errors[key]);
        }
      }
    }
  }
  t.diagnostic(`largest relative errors: ${JSON.stringify(worst)}`);
});

test('native kernels refuse bad arguments, naming the field', { skip }, () => {
  const native = nativeBackend()!;
  const addon = loadNative().addon!;
  const s = spec('relu', 3, false);
  const X = new Float64Array(12).fill(0.5); // P = 4
  const K = new Float64Array(16);
  const range = { name: 'RangeError', code: 'ERR_MFL_OUT_OF_RANGE' };
  const type = { name: 'TypeError', code: 'ERR_MFL_INVALID_TYPE' };

  // options: strict keys, each field's range
  assert.throws(() => addon.nngpGram({ ...s, sigmaw: 1 } as KernelSpec, X, K), {
    code: 'ERR_MFL_UNKNOWN_OPTION',
    message: /^spec: unknown option "sigmaw" \(allowed: kernel, d, sigmaW, sigmaB, bias\)/,
  });
  assert.throws(() => native.nngpGram({ ...s, kernel: 'tanh' as KernelName }, X, K), {
    ...range,
    message: /^kernel: must be one of "relu", "erf", "linear", got "tanh"/,
  });
  assert.throws(() => native.nngpGram({ ...s, d: 0 }, X, K), {
    ...range,
    message: /^d: must be an integer in \[1, 2\^31 - 1\], got 0/,
  });
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => native.nngpGram({ ...s, sigmaW: bad }, X, K), {
      ...range,
      message: /^sigmaW: must be a finite number > 0/,
    });
    assert.throws(() => native.nngpDiag({ ...s, sigmaB: bad }, X, new Float64Array(4)), {
      ...range,
      message: /^sigmaB: must be a finite number > 0/,
    });
  }
  assert.throws(() => native.nngpGram({ ...s, bias: 1 as unknown as boolean }, X, K), {
    ...type,
    message: /^bias: expected a boolean, got 1/,
  });

  // shapes: rows from X.length / d, exact output lengths with their formula
  assert.throws(() => native.nngpGram(s, new Float64Array(7), K), {
    ...type,
    message:
      /^X: expected a Float64Array whose length is a positive multiple of d = 3, got length 7/,
  });
  assert.throws(() => native.nngpGram(s, new Float64Array(0), K), { ...type, message: /^X: / });
  assert.throws(() => native.nngpGram(s, new Float32Array(12) as unknown as Float64Array, K), {
    ...type,
    message: /^X: expected a Float64Array, got Float32Array of length 12/,
  });
  assert.throws(() => native.nngpGram(s, X, new Float64Array(15)), {
    ...type,
    message: /^K: expected a Float64Array of length 16 \(P\*P = 4\*4\), got length 15/,
  });
  assert.throws(() => native.nngpCross(s, new Float64Array(6), X, new Float64Array(9)), {
    ...type,
    message: /^K: expected a Float64Array of length 8 \(Q\*P = 2\*4\), got length 9/,
  });
  assert.throws(() => native.nngpCross(s, new Float64Array(5), X, new Float64Array(8)), {
    ...type,
    message: /^Xs: expected a Float64Array whose length is a positive multiple of d = 3/,
  });
  assert.throws(() => native.nngpDiag(s, X, new Float64Array(3)), {
    ...type,
    message: /^out: expected a Float64Array of length 4 \(P = 4\), got length 3/,
  });

  // aliasing of an output with an input; inputs may alias each other
  const shared = new Float64Array(28);
  assert.throws(() => native.nngpGram(s, shared.subarray(0, 12), shared.subarray(8, 24)), {
    ...range,
    message: /^K: must be a buffer distinct from X, got overlapping memory/,
  });
  assert.throws(() => native.nngpDiag(s, shared.subarray(0, 12), shared.subarray(11, 15)), {
    ...range,
    message: /^out: must be a buffer distinct from X/,
  });
  native.nngpCross(s, X, X, K);

  // finite inputs
  const bad = X.slice();
  bad[5] = NaN;
  assert.throws(() => native.nngpGram(s, bad, K), {
    ...range,
    message: /^X\[5\]: must be finite, got NaN/,
  });
  bad[5] = -Infinity;
  assert.throws(() => native.nngpCross(s, bad, X, K), {
    ...range,
    message: /^Xs\[5\]: must be finite, got -Infinity/,
  });
});
