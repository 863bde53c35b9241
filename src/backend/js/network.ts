/**
 * Two-layer network f(x) = N^-gamma sum_i a_i phi(h_i(x)), h_i(x) = w_i . x / sqrt(d) (+ b_i)
 * (THEORY.md section 2) and the gradient of E = 1/2 sum_mu (f(x_mu) - y_mu)^2 (section 3).
 * Twin of native/core/network.cpp, which uses BLAS; agreement is within 1e-12 relative, not
 * bitwise, because summation orders differ.
 *
 * Plain loops, one row mu at a time: W (N x d, row-major) and x_mu are read along rows, and only
 * O(N) scratch is needed, so memory does not grow with P. The scalings N^-gamma and 1/sqrt(d) are
 * applied once per output instead of once per term.
 */
import type { Activation, GradientOutputs, NetworkParams, NetworkShape } from '../types.js';
import { erf, erfDerivative } from './erf.js';
import { dimension, lengthIs } from './check.js';

type Scalar = (h: number) => number;

const PHI: Record<Activation, Scalar> = {
  relu: (h) => (h > 0 ? h : 0),
  erf,
  tanh: Math.tanh,
  linear: (h) => h,
};

const PHI_PRIME: Record<Activation, Scalar> = {
  // The kink at 0 gets derivative 0, as in the C++ twin.
  relu: (h) => (h > 0 ? 1 : 0),
  erf: erfDerivative,
  tanh: (h) => {
    const t = Math.tanh(h);
    return 1 - t * t;
  },
  linear: () => 1,
};

/** phi(h), exported for tests and for the theory code's finite-width checks. */
export function activate(activation: Activation, h: number): number {
  return PHI[activation](h);
}

/** phi'(h). */
export function activateDerivative(activation: Activation, h: number): number {
  return PHI_PRIME[activation](h);
}

/** phi itself, looked up once by loops over many values. */
export function activationFunction(activation: Activation): Scalar {
  return PHI[activation];
}

/** phi' itself, as activationFunction. */
export function activationDerivativeFunction(activation: Activation): Scalar {
  return PHI_PRIME[activation];
}

/** Pre-activations h_i(x_mu), i = 0..N-1, of row mu into h. */
function preActivations(
  shape: NetworkShape,
  X: Float64Array,
  mu: number,
  params: NetworkParams,
  h: Float64Array,
): void {
  const { d, N } = shape;
  const { W, b } = params;
  const invSqrtD = 1 / Math.sqrt(d);
  const x0 = mu * d;
  for (let i = 0; i < N; i++) {
    const w0 = i * d;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += W[w0 + j]! * X[x0 + j]!;
    h[i] = shape.bias && b ? dot * invSqrtD + b[i]! : dot * invSqrtD;
  }
}

/**
 * The loop bounds P, d, N, checked against the arrays they run over, as the binding checks them:
 * a wrong count cannot make a loop run for ever (the rest is trusted, types.ts).
 */
function checkedShape(
  shape: NetworkShape,
  X: Float64Array,
  params: NetworkParams,
): { P: number; d: number; N: number } {
  const P = dimension(shape.P, 'P');
  const d = dimension(shape.d, 'd');
  const N = dimension(shape.N, 'N');
  lengthIs(X, P * d, 'X', 'P*d');
  lengthIs(params.W, N * d, 'W', 'N*d');
  lengthIs(params.a, N, 'a', 'N');
  if (shape.bias) lengthIs(params.b, N, 'b', 'N');
  return { P, d, N };
}

/** Network outputs f (P) on inputs X (P x d). */
export function forward(
  shape: NetworkShape,
  X: Float64Array,
  params: NetworkParams,
  f: Float64Array,
): void {
  const { P, N } = shape;
  const phi = PHI[shape.activation];
  const scale = N ** -shape.gamma;
  const h = new Float64Array(N);
  for (let mu = 0; mu < P; mu++) {
    preActivations(shape, X, mu, params, h);
    let sum = 0;
    for (let i = 0; i < N; i++) sum += params.a[i]! * phi(h[i]!);
    f[mu] = scale * sum;
  }
}

/** What a gradient pass reads and writes besides the current row. */
interface GradientPass {
  shape: NetworkShape;
  X: Float64Array;
  a: Float64Array;
  phiPrime: Scalar;
  gW: Float64Array;
  ga: Float64Array;
  gb: Float64Array | null;
}

/**
 * E = 1/2 sum_mu r_mu^2 with r_mu = f(x_mu) - y_mu, plus f and the gradient of E:
 *   dE/da_i  = N^-gamma sum_mu r_mu phi(h_i(x_mu))
 *   dE/db_i  = N^-gamma a_i sum_mu r_mu phi'(h_i(x_mu))
 *   dE/dw_ij = N^-gamma a_i sum_mu r_mu phi'(h_i(x_mu)) x_mu,j / sqrt(d)
 */
export function lossGradient(
  shape: NetworkShape,
  X: Float64Array,
  y: Float64Array,
  params: NetworkParams,
  out: GradientOutputs,
): number {
  const { P, N } = shape;
  const phi = PHI[shape.activation];
  const { a } = params;
  const { f } = out;
  const pass: GradientPass = {
    shape,
    X,
    a,
    phiPrime: PHI_PRIME[shape.activation],
    gW: out.gW.fill(0),
    ga: out.ga.fill(0),
    gb: shape.bias && out.gb ? out.gb.fill(0) : null,
  };
  const scale = N ** -shape.gamma;
  const h = new Float64Array(N);
  const phiRow = new Float64Array(N);
  let twiceE = 0;
  for (let mu = 0; mu < P; mu++) {
    preActivations(shape, X, mu, params, h);
    let sum = 0;
    for (let i = 0; i < N; i++) {
      phiRow[i] = phi(h[i]!);
      sum += a[i]! * phiRow[i]!;
    }
    f[mu] = scale * sum;
    const r = f[mu]! - y[mu]!;
    twiceE += r * r;
    accumulateRow(pass, mu, r, h, phiRow);
  }
  scaleGradient(pass, scale);
  return twiceE / 2;
}

/** Adds row mu's unscaled terms r a_i phi'(h_i) x_mu (gW), r phi(h_i) (ga), r a_i phi'(h_i) (gb). */
function accumulateRow(
  pass: GradientPass,
  mu: number,
  r: number,
  h: Float64Array,
  phiRow: Float64Array,
): void {
  const { shape, X, a, phiPrime, gW, ga, gb } = pass;
  const { d, N } = shape;
  const x0 = mu * d;
  for (let i = 0; i < N; i++) {
    ga[i] = ga[i]! + r * phiRow[i]!;
    const g = r * a[i]! * phiPrime(h[i]!);
    if (gb) gb[i] = gb[i]! + g;
    // Inactive relu units contribute nothing; skipping them halves the work on average.
    if (g === 0) continue;
    const w0 = i * d;
    for (let j = 0; j < d; j++) gW[w0 + j] = gW[w0 + j]! + g * X[x0 + j]!;
  }
}

/** Applies N^-gamma to every gradient and the extra 1/sqrt(d) of dh/dw to gW. */
function scaleGradient(pass: GradientPass, scale: number): void {
  const { gW, ga, gb } = pass;
  const wScale = scale / Math.sqrt(pass.shape.d);
  for (let k = 0; k < gW.length; k++) gW[k] = gW[k]! * wScale;
  for (let i = 0; i < ga.length; i++) ga[i] = ga[i]! * scale;
  if (gb) for (let i = 0; i < gb.length; i++) gb[i] = gb[i]! * scale;
}

/** `forward` for the Backend interface: its loop bounds checked first (checkedShape). */
export function checkedForward(
  shape: NetworkShape,
  X: Float64Array,
  params: NetworkParams,
  f: Float64Array,
): void {
  const { P } = checkedShape(shape, X, params);
  lengthIs(f, P, 'f', 'P');
  forward(shape, X, params, f);
}

/** `lossGradient` for the Backend interface: its loop bounds checked first (checkedShape). */
export function checkedLossGradient(
  shape: NetworkShape,
  X: Float64Array,
  y: Float64Array,
  params: NetworkParams,
  out: GradientOutputs,
): number {
  const { P, N } = checkedShape(shape, X, params);
  lengthIs(y, P, 'y', 'P');
  lengthIs(out.f, P, 'f', 'P');
  lengthIs(out.gW, params.W.length, 'gW', 'N*d');
  lengthIs(out.ga, N, 'ga', 'N');
  if (shape.bias) lengthIs(out.gb, N, 'gb', 'N');
  return lossGradient(shape, X, y, params, out);
}
