/**
 * Single-precision twin of the row-blocked network routines of native/core/network.cpp (the SGLD
 * kernel's float32 mode): every value the C++ code stores as a float (pre-activations, outputs,
 * residuals, hidden gradients, the gradient accumulators) is rounded to float here too, through a
 * Float32Array or Math.fround. Arithmetic inside one expression runs in double, and the sums run
 * in other orders than BLAS's, so results agree with the native ones to float rounding, not
 * bitwise. E is summed in double, as in C++.
 */
import type { NetworkShape } from '../types.js';
import { activate, activateDerivative } from './network.js';

export interface NetworkParams32 {
  W: Float32Array;
  a: Float32Array;
  b: Float32Array | null;
}

export interface GradientOutputs32 {
  f: Float32Array;
  gW: Float32Array;
  ga: Float32Array;
  gb: Float32Array | null;
}

const fround = Math.fround;

/** Pre-activations of row mu, rounded to float: fl(dot / sqrt(d) + b_i). */
function preActivations32(
  shape: NetworkShape,
  X: Float32Array,
  mu: number,
  params: NetworkParams32,
  h: Float32Array,
): void {
  const { d, N } = shape;
  const { W, b } = params;
  const alpha = fround(1 / Math.sqrt(d));
  const x0 = mu * d;
  for (let i = 0; i < N; i++) {
    const w0 = i * d;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += W[w0 + j]! * X[x0 + j]!;
    h[i] = shape.bias && b ? alpha * fround(dot) + b[i]! : alpha * fround(dot);
  }
}

/** f (P) on inputs X (P x d), in single precision. */
export function forward32(
  shape: NetworkShape,
  X: Float32Array,
  params: NetworkParams32,
  f: Float32Array,
): void {
  const { P, N, activation } = shape;
  const scale = fround(N ** -shape.gamma);
  const h = new Float32Array(N);
  for (let mu = 0; mu < P; mu++) {
    preActivations32(shape, X, mu, params, h);
    let sum = 0;
    for (let i = 0; i < N; i++)
      sum = fround(sum + params.a[i]! * fround(activate(activation, h[i]!)));
    f[mu] = scale * sum;
  }
}

/**
 * E = 1/2 sum_mu r_mu^2 (summed in double) with f, ga, gb and gW in single precision, as
 * lossGradientBlocked<float>: per row r = fl(f - y), c = fl(N^-gamma r), ga_i += c phi_i,
 * G_i = c a_i phi'(h_i), gb_i += G_i, and gW = (1/sqrt(d)) sum_mu G_mu x_mu.
 */
export function lossGradient32(
  shape: NetworkShape,
  X: Float32Array,
  y: Float32Array,
  params: NetworkParams32,
  out: GradientOutputs32,
): number {
  const { P, N, d, activation } = shape;
  const { a } = params;
  const { f, gW, ga } = out;
  const gb = shape.bias && out.gb ? out.gb : null;
  gW.fill(0);
  ga.fill(0);
  gb?.fill(0);
  const scale = fround(N ** -shape.gamma);
  const alpha = fround(1 / Math.sqrt(d));
  const h = new Float32Array(N);
  const phi = new Float32Array(N);
  const G = new Float32Array(N);
  let twiceE = 0;
  for (let mu = 0; mu < P; mu++) {
    preActivations32(shape, X, mu, params, h);
    let sum = 0;
    for (let i = 0; i < N; i++) {
      phi[i] = activate(activation, h[i]!);
      sum = fround(sum + a[i]! * phi[i]!);
    }
    const fmu = fround(scale * sum);
    f[mu] = fmu;
    const r = fround(fmu - y[mu]!);
    twiceE += r * r;
    const c = fround(scale * r);
    for (let i = 0; i < N; i++) {
      ga[i] = ga[i]! + c * phi[i]!;
      G[i] = fround(c * a[i]!) * fround(activateDerivative(activation, h[i]!));
      if (gb) gb[i] = gb[i]! + G[i]!;
    }
    const x0 = mu * d;
    for (let i = 0; i < N; i++) {
      const g = G[i]!;
      if (g === 0) continue;
      const w0 = i * d;
      for (let j = 0; j < d; j++) gW[w0 + j] = gW[w0 + j]! + g * X[x0 + j]!;
    }
  }
  for (let k = 0; k < gW.length; k++) gW[k] = alpha * gW[k]!;
  return twiceE / 2;
}
