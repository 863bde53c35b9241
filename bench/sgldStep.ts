/**
 * SGLD step cost (target: a full-batch step takes at most 1.3x the time of its two GEMMs):
 * one full-batch step of one chain against the two GEMMs it cannot avoid, X W^T (P x d by d x N)
 * and G^T X (N x P by P x d), timed side by side with the same BLAS in the same process; plus the
 * js backend at the same shape, and steps/s; and the native step in float32 (sgemm, single-
 * precision elementwise work) against float64.
 */
import type { Backend, SgldConfig, SgldData, SgldState } from '../src/backend/types.js';
import { createSgldAccumulators } from '../src/methods/sgld/layout.js';
import { sampleNetworkPrior } from '../src/network/network.js';
import { formatMs, measure, table, type Measurement } from './harness.js';

export interface Shape {
  P: number;
  d: number;
  N: number;
}

type Precision = SgldConfig['precision'];

function config(shape: Shape, steps: number, precision: Precision): SgldConfig {
  return {
    ...shape,
    PTest: 1,
    chains: 1,
    gamma: 0.5,
    activation: 'relu',
    bias: false,
    kappa: 0.01,
    eta: 1e-6,
    lossScale: 1,
    sigmaW: 1,
    sigmaA: 1,
    sigmaB: 1,
    batchSize: shape.P,
    freezeW: false,
    mala: false,
    seed: 1,
    steps,
    // No sample or observe steps inside the timed range: the step alone is measured.
    burnIn: steps - 1,
    thin: 1,
    observeEvery: 0,
    nRelevant: 0,
    histBins: 10,
    histRange: 6,
    precision,
  };
}

function data(backend: Backend, shape: Shape): SgldData {
  const X = new Float64Array(shape.P * shape.d);
  const y = new Float64Array(shape.P);
  const params = { kind: 'parity', d: shape.d, k: 4, labelNoise: 0, seed: 3 } as const;
  backend.generateTaskRows(params, { test: false, rowOffset: 0, X, y });
  return { X, y, XTest: X.subarray(0, shape.d), yTest: y.subarray(0, 1), targetTest: null };
}

/**
 * Seconds per SGLD step on `backend` in `precision`. With float32 each one-step call also converts
 * the data and parameters to float (O(P d + N d), under 1% of a step at the shapes benched).
 */
export function timeStep(
  backend: Backend,
  shape: Shape,
  maxTime: number,
  precision: Precision = 'float64',
): Measurement {
  const steps = 1_000_000;
  const cfg = config(shape, steps, precision);
  const d = data(backend, shape);
  const net = sampleNetworkPrior({ N: shape.N }, shape.d, 1, 0, { backend });
  const state: SgldState = { W: net.W, a: net.a, b: null };
  // Each call runs step t of a run declared as t + 2 steps with burn-in t + 1: no sample or
  // observe step falls in the timed call, and the accumulators' sizes stay the same.
  const acc = createSgldAccumulators({ ...cfg, steps: 2, burnIn: 1 });
  let t = 0;
  return measure(
    `${backend.name} ${precision} step`,
    () => {
      backend.sgldRun({ ...cfg, steps: t + 2, burnIn: t + 1 }, d, state, acc, t, t + 1);
      t++;
    },
    maxTime,
  );
}

/** Seconds for the step's two GEMMs, with preallocated outputs. */
export function timeTwoGemms(backend: Backend, shape: Shape, maxTime: number): Measurement {
  const { P, d, N } = shape;
  const X = new Float64Array(P * d).fill(0.5);
  const W = new Float64Array(N * d).fill(0.25);
  const H = new Float64Array(P * N);
  const gW = new Float64Array(N * d);
  const alpha = 1 / Math.sqrt(d);
  return measure(
    `${backend.name} two GEMMs`,
    () => {
      backend.gemm({ transA: false, transB: true, M: P, N, K: d, alpha, beta: 0 }, X, W, H);
      backend.gemm({ transA: true, transB: false, M: N, N: d, K: P, alpha, beta: 0 }, H, X, gW);
    },
    maxTime,
  );
}

export function sgldStepTable(native: Backend | null, js: Backend, shapes: Shape[]): string {
  const rows = shapes.map((shape) => {
    const label = `(${shape.P}, ${shape.d}, ${shape.N})`;
    const jsStep = timeStep(js, shape, 2);
    if (!native) return [label, '-', '-', '-', formatMs(jsStep.seconds), '-', '-', '-', '-'];
    const gemms = timeTwoGemms(native, shape, 3);
    const step = timeStep(native, shape, 3);
    const step32 = timeStep(native, shape, 3, 'float32');
    return [
      label,
      `${formatMs(gemms.seconds)} ± ${gemms.rme.toFixed(1)}%`,
      `${formatMs(step.seconds)} ± ${step.rme.toFixed(1)}%`,
      (step.seconds / gemms.seconds).toFixed(2),
      formatMs(jsStep.seconds),
      (jsStep.seconds / step.seconds).toFixed(1),
      (1 / step.seconds).toFixed(0),
      `${formatMs(step32.seconds)} ± ${step32.rme.toFixed(1)}%`,
      (step.seconds / step32.seconds).toFixed(2),
    ];
  });
  return table(
    [
      '(P, d, N)',
      'two GEMMs (ms)',
      'native step (ms)',
      'step / GEMMs',
      'js step (ms)',
      'js / native',
      'native steps/s',
      'native f32 step (ms)',
      'f64 / f32',
    ],
    rows,
  );
}
