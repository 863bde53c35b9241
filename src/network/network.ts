/**
 * The two-layer network as data (THEORY.md section 2): parameters sampled from the prior, the
 * forward pass and the gradient of E = 1/2 sum_mu (f(x_mu) - y_mu)^2 (section 3), checked once
 * here and run on the selected backend.
 */
import * as z from 'zod';
import { resolveBackend } from '../backend/index.js';
import { backendOption } from '../backend/options.js';
import type { Backend, BackendName, NetworkShape } from '../backend/types.js';
import { MflTypeError, invalidType, outOfRange } from '../errors.js';
import { Purpose, streamId } from '../rng/streams.js';
import { isPlainObject, parseOptions, parseSpec } from '../validate.js';
import {
  networkSpecSchema,
  parseNetworkSpec,
  type NetworkSpec,
  type NetworkSpecInput,
} from './spec.js';

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
  /**
   * Backend (or its name, "native" or "js") to run on; default `getBackend()`, i.e.
   * MFL_BACKEND or native when available.
   */
  backend?: Backend | BackendName;
}

const backendOptionSchema = z.strictObject({ backend: backendOption().optional() });

/** Largest input dimension of a network (as sampleNetworkPrior allows). */
const MAX_D = 1 << 20;

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
  const { backend: option } = parseOptions(backendOptionSchema, options);
  const spec = parseNetworkSpec(specInput);
  checkInteger('d', d, 1, MAX_D);
  checkInteger('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('chain', chain, 0, 2 ** 32 - 1);
  const backend = resolveBackend(option);
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

/**
 * f(x) on the rows of X (P x d, row-major). X without rows gives an empty f.
 * @throws MflTypeError / MflRangeError naming the field (net, net.spec.*, net.d, W, a, b, X,
 *   options.backend) for a bad argument
 */
export function forward(net: Network, X: Float64Array, options: BackendOption = {}): Float64Array {
  const { backend: option } = parseOptions(backendOptionSchema, options);
  const { shape, params } = checkedNetwork(net, X);
  const f = new Float64Array(shape.P);
  if (shape.P > 0) resolveBackend(option).forward(shape, X, params, f);
  return f;
}

/**
 * E and its gradient with respect to W, a (and b) on the training set (X, y). X without rows
 * gives E = 0, an empty f and zero gradients.
 * @throws MflTypeError / MflRangeError naming the field for a bad argument, as `forward`
 */
export function lossGradient(
  net: Network,
  X: Float64Array,
  y: Float64Array,
  options: BackendOption = {},
): LossGradient {
  const { backend: option } = parseOptions(backendOptionSchema, options);
  const { shape, params } = checkedNetwork(net, X);
  checkVector('y', y, shape.P, `P = ${shape.P}`);
  const out = {
    f: new Float64Array(shape.P),
    gW: new Float64Array(params.W.length),
    ga: new Float64Array(shape.N),
    gb: params.b ? new Float64Array(shape.N) : null,
  };
  const E = shape.P > 0 ? resolveBackend(option).lossGradient(shape, X, y, params, out) : 0;
  return { E, ...out };
}

/**
 * The shape and parameters of `net` on X, checked. Every field of `net` is read once, before
 * any check (an accessor cannot change what was checked), and the backend gets the copies.
 */
function checkedNetwork(
  net: unknown,
  X: unknown,
): { shape: NetworkShape; params: Pick<Network, 'W' | 'a' | 'b'> } {
  if (!isPlainObject(net)) {
    throw invalidType('net', 'a Network {spec, d, W, a, b} (sampleNetworkPrior())', net);
  }
  const { spec: specInput, d, W, a, b } = net;
  const { N, gamma, activation, bias } = parseSpec(networkSpecSchema, specInput, 'net.spec', {
    label: (path) => ['net', 'spec', ...path.map(String)].join('.'),
  });
  checkInteger('net.d', d, 1, MAX_D);
  checkVector('W', W, N * d, `N*d = ${N}*${d}`);
  checkVector('a', a, N, `N = ${N}`);
  if (bias) checkVector('b', b, N, `N = ${N}`);
  else if (b !== null) throw invalidType('b', 'null (the spec has bias: false)', b);
  if (!(X instanceof Float64Array)) throw invalidType('X', 'a Float64Array', X);
  if (isDetached(X)) {
    throw new MflTypeError('X: expected a Float64Array, got one whose buffer was detached');
  }
  if (X.length % d !== 0) {
    throw outOfRange('X', `a multiple of d = ${d} in length (P rows of d inputs)`, X.length);
  }
  checkFinite('X', X);
  return {
    shape: { P: X.length / d, d, N, gamma, activation, bias },
    params: { W, a, b: bias ? (b as Float64Array) : null },
  };
}

/** Whether the buffer under `v` was transferred away (its length then reads 0). */
function isDetached(v: Float64Array): boolean {
  const buffer = v.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength > 0) return false;
  // Before ArrayBuffer.prototype.detached (Node < 22): only a detached buffer refuses a view.
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function checkVector(
  field: string,
  v: unknown,
  length: number,
  formula: string,
): asserts v is Float64Array {
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

function checkInteger(field: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number') throw invalidType(field, 'a number', v);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw outOfRange(field, `an integer in [${min}, ${max}]`, v);
  }
}
