/**
 * forward and lossGradient (THEORY.md sections 2-3) on every backend: forward against the
 * formula written out independently, E and f consistent, and the gradient against central finite
 * differences of E for every activation, gamma and bias.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { erf } from '../../src/backend/js/erf.js';
import type {
  Activation,
  Backend,
  GradientOutputs,
  NetworkParams,
  NetworkShape,
} from '../../src/backend/types.js';
import { backends } from '../helpers/backends.js';
import { relativeError } from '../helpers/compare.js';
import {
  ACTIVATIONS,
  GAMMAS,
  TestRng,
  randomData,
  randomParams,
  randomShape,
} from '../helpers/random.js';

const PHI: Record<Activation, (h: number) => number> = {
  relu: (h) => Math.max(h, 0),
  erf,
  tanh: Math.tanh,
  linear: (h) => h,
};

/** Pre-activations h[mu][i] = w_i . x_mu / sqrt(d) (+ b_i), straight from the definition. */
function preActivations(shape: NetworkShape, X: Float64Array, params: NetworkParams): number[][] {
  const { P, d, N } = shape;
  return Array.from({ length: P }, (_, mu) =>
    Array.from({ length: N }, (_, i) => {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += params.W[i * d + j]! * X[mu * d + j]!;
      return dot / Math.sqrt(d) + (params.b ? params.b[i]! : 0);
    }),
  );
}

function formulaForward(shape: NetworkShape, X: Float64Array, params: NetworkParams): number[] {
  return preActivations(shape, X, params).map(
    (h) =>
      h.reduce((sum, hi, i) => sum + params.a[i]! * PHI[shape.activation](hi), 0) /
      shape.N ** shape.gamma,
  );
}

function gradientOutputs(shape: NetworkShape): GradientOutputs {
  return {
    f: new Float64Array(shape.P),
    gW: new Float64Array(shape.N * shape.d),
    ga: new Float64Array(shape.N),
    gb: shape.bias ? new Float64Array(shape.N) : null,
  };
}

function loss(
  backend: Backend,
  shape: NetworkShape,
  X: Float64Array,
  y: Float64Array,
  params: NetworkParams,
): number {
  const f = new Float64Array(shape.P);
  backend.forward(shape, X, params, f);
  return f.reduce((sum, fm, mu) => sum + (fm - y[mu]!) ** 2, 0) / 2;
}

/** Central differences of E over every parameter, in the order W, a, b. */
function finiteDifferences(
  backend: Backend,
  shape: NetworkShape,
  X: Float64Array,
  y: Float64Array,
  params: NetworkParams,
  step: number,
): number[] {
  const arrays = [params.W, params.a, ...(params.b ? [params.b] : [])];
  const out: number[] = [];
  for (const array of arrays) {
    for (let k = 0; k < array.length; k++) {
      const saved = array[k]!;
      array[k] = saved + step;
      const plus = loss(backend, shape, X, y, params);
      array[k] = saved - step;
      const minus = loss(backend, shape, X, y, params);
      array[k] = saved;
      out.push((plus - minus) / (2 * step));
    }
  }
  return out;
}

/** Parameters whose relu pre-activations all stay at least `margin` away from the kink. */
function paramsAwayFromKink(
  rng: TestRng,
  shape: NetworkShape,
  X: Float64Array,
  margin: number,
): NetworkParams {
  for (;;) {
    const params = randomParams(rng, shape);
    const h = preActivations(shape, X, params).flat();
    if (shape.activation !== 'relu' || h.every((v) => Math.abs(v) > margin)) return params;
  }
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;

  test(`forward equals the formula of THEORY.md section 2 ${tag}`, () => {
    const rng = new TestRng(31);
    for (const activation of ACTIVATIONS) {
      for (const gamma of GAMMAS) {
        for (const bias of [false, true]) {
          const shape = randomShape(rng, { P: 20, d: 15, N: 25 }, activation, gamma, bias);
          const params = randomParams(rng, shape);
          const { X } = randomData(rng, shape);
          const f = new Float64Array(shape.P);
          backend.forward(shape, X, params, f);
          const error = relativeError(f, formulaForward(shape, X, params));
          assert.ok(error < 1e-13, `${JSON.stringify(shape)}: relative error ${error}`);
        }
      }
    }
  });

  test(`lossGradient returns E = 1/2 sum (f - y)^2 and the forward outputs ${tag}`, () => {
    const rng = new TestRng(32);
    for (const activation of ACTIVATIONS) {
      const shape = randomShape(rng, { P: 30, d: 10, N: 20 }, activation, 0.5, true);
      const params = randomParams(rng, shape);
      const { X, y } = randomData(rng, shape);
      const out = gradientOutputs(shape);
      const E = backend.lossGradient(shape, X, y, params, out);
      const f = new Float64Array(shape.P);
      backend.forward(shape, X, params, f);
      assert.ok(relativeError(out.f, f) < 1e-14, 'f differs from forward');
      const want = loss(backend, shape, X, y, params);
      assert.ok(Math.abs(E - want) <= 1e-13 * want, `E = ${E}, want ${want}`);
    }
  });

  test(`gradient equals central finite differences for every activation, gamma and bias ${tag}`, () => {
    const rng = new TestRng(33);
    // Step 1e-6: truncation ~ step^2 ~ 1e-12, rounding ~ 1e-16 E / step ~ 1e-10; allow 1e-6.
    const step = 1e-6;
    for (const activation of ACTIVATIONS) {
      for (const gamma of GAMMAS) {
        for (const bias of [false, true]) {
          for (let trial = 0; trial < 3; trial++) {
            const shape = randomShape(rng, { P: 5, d: 4, N: 4 }, activation, gamma, bias);
            const { X, y } = randomData(rng, shape);
            // A step moves h by at most step * max|x| ~ 1e-5 (|x| < 6), so 1e-3 is safe.
            const params = paramsAwayFromKink(rng, shape, X, 1e-3);
            const out = gradientOutputs(shape);
            backend.lossGradient(shape, X, y, params, out);
            const analytic = [...out.gW, ...out.ga, ...(out.gb ?? [])];
            const numeric = finiteDifferences(backend, shape, X, y, params, step);
            const error = relativeError(numeric, analytic);
            assert.ok(error < 1e-6, `${JSON.stringify(shape)}: relative error ${error}`);
          }
        }
      }
    }
  });
}
