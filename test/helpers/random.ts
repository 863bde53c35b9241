/**
 * Seeded inputs for tests, drawn from the project's own generator (the js backend's fillGaussian
 * and fillUniform on stream purpose 0, which mfl itself never uses), so every backend sees the
 * same inputs and a failure reproduces from its seed.
 */
import { jsBackend } from '../../src/backend/js/index.js';
import type { Activation, NetworkParams, NetworkShape } from '../../src/backend/types.js';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'erf', 'tanh', 'linear'];
export const GAMMAS: readonly number[] = [0.5, 0.75, 1];

/** A reproducible source of test numbers: consecutive draws of one (seed, stream). */
export class TestRng {
  private offset = 0;
  constructor(
    readonly seed: number,
    readonly stream = 0,
  ) {}

  gaussian(n: number, sigma = 1): Float64Array {
    const out = new Float64Array(n);
    jsBackend.fillGaussian(this.seed, this.stream, this.offset, out);
    this.offset += n;
    if (sigma !== 1) for (let i = 0; i < n; i++) out[i] = out[i]! * sigma;
    return out;
  }

  uniform(n: number): Float64Array {
    const out = new Float64Array(n);
    jsBackend.fillUniform(this.seed, this.stream, this.offset, out);
    this.offset += n;
    return out;
  }

  /** An integer uniform in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform(1)[0]! * (hi - lo + 1));
  }
}

/** A random network shape with P, d, N in [1, max]. */
export function randomShape(
  rng: TestRng,
  max: { P: number; d: number; N: number },
  activation: Activation,
  gamma: number,
  bias: boolean,
): NetworkShape {
  return {
    P: rng.int(1, max.P),
    d: rng.int(1, max.d),
    N: rng.int(1, max.N),
    gamma,
    activation,
    bias,
  };
}

/** Standard-normal W (N x d), a and (with bias) b, as the prior of THEORY.md section 2. */
export function randomParams(rng: TestRng, shape: NetworkShape): NetworkParams {
  return {
    W: rng.gaussian(shape.N * shape.d),
    a: rng.gaussian(shape.N),
    b: shape.bias ? rng.gaussian(shape.N) : null,
  };
}

/** Inputs X (P x d) and targets y (P), standard normal. */
export function randomData(
  rng: TestRng,
  shape: NetworkShape,
): { X: Float64Array; y: Float64Array } {
  return { X: rng.gaussian(shape.P * shape.d), y: rng.gaussian(shape.P) };
}
