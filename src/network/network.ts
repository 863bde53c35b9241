/**
 * The two-layer network as data (THEORY.md section 2): parameters sampled from the prior, the
 * forward pass and the gradient of E = 1/2 sum_mu (f(x_mu) - y_mu)^2 (section 3), checked once
 * here and run on the selected backend.
 */
import { getBackend } from '../backend/index.js';
import type { Backend, NetworkShape } from '../backend/types.js';
import { invalidType, outOfRange } from '../errors.js';
import { Purpose, streamId } from '../rng/streams.js';
import { parseNetworkSpec, type NetworkSpec, type NetworkSpecInput } from './spec.js';

/** A network: its spec, input dimension and parameters (W is N x d row-major). */
export interface Network {
  spec: NetworkSpec;
  d: number;
  W: Float64Array;
  a: Float64Array;
  /** Present exactly when spec.bias is true. */
  b: Float64Array | null;
}

export interface LossGradient {
  /** E = 1/2 sum_mu (f(x_mu) - y_mu)^2. */
  E: number;
  f: Float64Array;
  gW: Float64Array;
  ga: Float64Array;
  gb: Float64Array | null;
}

export interface BackendOption {
  /** Backend to run on (default: `getBackend()`, i.e. MFL_BACKEND or native when available). */
  backend?: Backend;
}

/**
 * Draws a network from its prior: W, then a, then b, consecutive values of the Gaussian stream
 * (seed, paramInit/chain), so every backend draws the same network.
 * @param d input dimension, integer >= 1
 * @param seed integer in [0, 2^53)
 * @param chain independent draw index (default 0), integer in [0, 2^32)
 */
export function sampleNetworkPrior(
  specInput: NetworkSpecInput,
  d: number,
  seed: number,
  chain = 0,
  options: BackendOption = {},
): Network {
  const spec = parseNetworkSpec(specInput);
  checkInteger('d', d, 1, 1 << 20);
  checkInteger('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('chain', chain, 0, 2 ** 32 - 1);
  const backend = options.backend ?? getBackend();
  const { N } = spec;
  const stream = streamId(Purpose.paramInit, chain);
  const W = scaled(backend, seed, stream, 0, N * d, spec.sigmaW);
  const a = scaled(backend, seed, stream, N * d, N, spec.sigmaA);
  const b = spec.bias ? scaled(backend, seed, stream, N * d + N, N, spec.sigmaB) : null;
  return { spec, d, W, a, b };
}

function scaled(
  backend: Backend,
  seed: number,
  stream: number,
  offset: number,
  n: number,
  sigma: number,
): Float64Array {
  const out = new Float64Array(n);
  backend.fillGaussian(seed, stream, offset, out);
  for (let i = 0; i < n; i++) out[i]! *= sigma;
  return out;
}

/** f(x) on the rows of X (P x d, row-major). */
export function forward(net: Network, X: Float64Array, options: BackendOption = {}): Float64Array {
  const shape = checkedShape(net, X);
  const f = new Float64Array(shape.P);
  (options.backend ?? getBackend()).forward(shape, X, net, f);
  return f;
}

/** E and its gradient with respect to W, a (and b) on the training set (X, y). */
export function lossGradient(
  net: Network,
  X: Float64Array,
  y: Float64Array,
  options: BackendOption = {},
): LossGradient {
  const shape = checkedShape(net, X);
  checkVector('y', y, shape.P, `P = ${shape.P}`);
  const out = {
    f: new Float64Array(shape.P),
    gW: new Float64Array(net.W.length),
    ga: new Float64Array(shape.N),
    gb: net.b ? new Float64Array(shape.N) : null,
  };
  const E = (options.backend ?? getBackend()).lossGradient(shape, X, y, net, out);
  return { E, ...out };
}

function checkedShape(net: Network, X: Float64Array): NetworkShape {
  const { N, gamma, activation, bias } = net.spec;
  const d = net.d;
  checkVector('W', net.W, N * d, `N*d = ${N}*${d}`);
  checkVector('a', net.a, N, `N = ${N}`);
  if (bias) checkVector('b', net.b, N, `N = ${N}`);
  else if (net.b !== null) throw invalidType('b', 'null (the spec has bias: false)', net.b);
  if (!(X instanceof Float64Array)) throw invalidType('X', 'a Float64Array', X);
  if (X.length % d !== 0) {
    throw outOfRange('X', `a multiple of d = ${d} in length (P rows of d inputs)`, X.length);
  }
  checkFinite('X', X);
  return { P: X.length / d, d, N, gamma, activation, bias };
}

function checkVector(field: string, v: unknown, length: number, formula: string): void {
  if (!(v instanceof Float64Array)) throw invalidType(field, 'a Float64Array', v);
  if (v.length !== length) {
    // A shape mismatch is reported as the native binding does: a type error naming the length.
    throw invalidType(field, `a Float64Array of length ${length} (${formula})`, v);
  }
  checkFinite(field, v);
}

function checkFinite(field: string, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw outOfRange(`${field}[${i}]`, 'finite', v[i]);
  }
}

function checkInteger(field: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number') throw invalidType(field, 'a number', v);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw outOfRange(field, `an integer in [${min}, ${max}]`, v);
  }
}
