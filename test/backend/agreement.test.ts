/**
 * native vs js: bit-identical random numbers and task data, network kernels within 1e-12 relative
 * in the norm sense (max |native - js| / max |js| per output array; summation orders differ, and
 * native's std::erf is not the js erf). Skipped, with the reason, when the addon does not load.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GradientOutputs, NetworkShape, TaskParams } from '../../src/backend/types.js';
import { jsBackend, requireNative, skipUnlessNative } from '../helpers/backends.js';
import { assertBitIdentical, relativeError } from '../helpers/compare.js';
import {
  ACTIVATIONS,
  GAMMAS,
  TestRng,
  randomData,
  randomParams,
  randomShape,
} from '../helpers/random.js';

const skip = skipUnlessNative();
const TOLERANCE = 1e-12;

const STREAMS: [seed: number, stream: number, offset: number][] = [
  [0, 0, 0],
  [1, 2 ** 32 + 1, 1],
  [123456789, 4 * 2 ** 32, 99999],
  [2 ** 40 + 3, 7, 2 ** 33 - 12345],
  [2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 200001],
];

test('philox4x32 is bit-identical on random counters and keys', { skip }, () => {
  const words = new TestRng(41).uniform(6 * 1000);
  for (let t = 0; t < 1000; t++) {
    const w = Uint32Array.from(words.subarray(6 * t, 6 * t + 6), (u) => Math.floor(u * 2 ** 32));
    const counter = w.subarray(0, 4);
    const key = w.subarray(4);
    assert.deepEqual(
      Array.from(requireNative().philox4x32(counter, key)),
      Array.from(jsBackend.philox4x32(counter, key)),
    );
  }
});

for (const kind of ['fillUniform', 'fillGaussian'] as const) {
  test(
    `${kind} is bit-identical: 1e5 values at several seeds, streams and offsets`,
    { skip },
    () => {
      for (const [seed, stream, offset] of STREAMS) {
        const a = new Float64Array(100000);
        const b = new Float64Array(100000);
        requireNative()[kind](seed, stream, offset, a);
        jsBackend[kind](seed, stream, offset, b);
        assertBitIdentical(a, b, `${kind}(${seed}, ${stream}, ${offset})`);
      }
    },
  );
}

test(
  'task rows are bit-identical: parity and single-index, label noise, train and test',
  { skip },
  () => {
    const cases: TaskParams[] = [
      { kind: 'parity', d: 13, k: 4, labelNoise: 0, seed: 3 },
      { kind: 'parity', d: 30, k: 3, labelNoise: 0.25, seed: 2 ** 45 + 1 },
      { kind: 'single-index', d: 9, k: 0, labelNoise: 0.1, seed: 4 },
      { kind: 'single-index', d: 5, k: 3, labelNoise: 0, seed: 5 },
      { kind: 'single-index', d: 20, k: 20, labelNoise: 0.5, seed: 6 },
    ];
    for (const params of cases) {
      for (const testSplit of [false, true]) {
        for (const [rowOffset, n] of [
          [0, 2000],
          [777, 1001],
        ] as const) {
          const a = { X: new Float64Array(n * params.d), y: new Float64Array(n) };
          const b = { X: new Float64Array(n * params.d), y: new Float64Array(n) };
          requireNative().generateTaskRows(params, { test: testSplit, rowOffset, ...a });
          jsBackend.generateTaskRows(params, { test: testSplit, rowOffset, ...b });
          const what = `${JSON.stringify(params)} test=${testSplit} rows [${rowOffset}, +${n})`;
          assertBitIdentical(a.X, b.X, `${what} X`);
          assertBitIdentical(a.y, b.y, `${what} y`);
        }
      }
    }
  },
);

function outputs(shape: NetworkShape): GradientOutputs {
  return {
    f: new Float64Array(shape.P),
    gW: new Float64Array(shape.N * shape.d),
    ga: new Float64Array(shape.N),
    gb: shape.bias ? new Float64Array(shape.N) : null,
  };
}

function assertAgree(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const error = relativeError(a, b);
  assert.ok(error <= TOLERANCE, `${what}: relative error ${error}`);
}

test(
  'forward and lossGradient agree to 1e-12 on random shapes, all activations, gammas and bias',
  { skip },
  () => {
    const rng = new TestRng(42);
    for (const activation of ACTIVATIONS) {
      for (const gamma of GAMMAS) {
        for (const bias of [false, true]) {
          // One small and one large shape per combination.
          for (const max of [
            { P: 8, d: 6, N: 8 },
            { P: 300, d: 200, N: 300 },
          ]) {
            const shape = randomShape(rng, max, activation, gamma, bias);
            const params = randomParams(rng, shape);
            const { X, y } = randomData(rng, shape);
            const what = JSON.stringify(shape);
            const fa = new Float64Array(shape.P);
            const fb = new Float64Array(shape.P);
            requireNative().forward(shape, X, params, fa);
            jsBackend.forward(shape, X, params, fb);
            assertAgree(fa, fb, `${what} forward f`);
            const a = outputs(shape);
            const b = outputs(shape);
            const Ea = requireNative().lossGradient(shape, X, y, params, a);
            const Eb = jsBackend.lossGradient(shape, X, y, params, b);
            assertAgree([Ea], [Eb], `${what} E`);
            assertAgree(a.f, b.f, `${what} f`);
            assertAgree(a.gW, b.gW, `${what} gW`);
            assertAgree(a.ga, b.ga, `${what} ga`);
            if (bias) assertAgree(a.gb!, b.gb!, `${what} gb`);
          }
        }
      }
    }
  },
);
