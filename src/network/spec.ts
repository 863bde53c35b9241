/**
 * Network spec (THEORY.md section 2): f(x) = N^-gamma sum_i a_i phi(w_i . x / sqrt(d) + b_i),
 * prior w_ij ~ N(0, sigmaW^2), a_i ~ N(0, sigmaA^2), b_i ~ N(0, sigmaB^2).
 */
import { z } from 'zod';
import { finite, int, oneOf, parseSpec } from '../validate.js';

export const ACTIVATIONS = ['relu', 'erf', 'tanh', 'linear'] as const;

/** Largest width accepted; N is a parameter of the theory elsewhere, but here it is allocated. */
export const MAX_WIDTH = 1 << 20;

/**
 * Bounds of the prior standard deviations: their squares, reciprocal squares and sampled
 * weights stay finite and non-zero.
 */
export const MIN_PRIOR_SD = 1e-150;
export const MAX_PRIOR_SD = 1e150;

const priorSd = () => finite(MIN_PRIOR_SD, MAX_PRIOR_SD).default(1);

export const networkSpecSchema = z.strictObject({
  /** Width N, integer in [1, 2^20]. */
  N: int(1, MAX_WIDTH),
  /** Output scaling exponent gamma in [0.5, 1]; 0.5 (default) is the NNGP scaling. */
  gamma: finite(0.5, 1).default(0.5),
  /** Activation phi (default relu). */
  activation: oneOf(ACTIVATIONS).default('relu'),
  /** Whether neurons carry a bias b_i (default false). */
  bias: z.boolean({ error: 'a boolean' }).default(false),
  /** Prior standard deviations, in [1e-150, 1e150] (default 1). */
  sigmaW: priorSd(),
  sigmaA: priorSd(),
  sigmaB: priorSd(),
});

export type NetworkSpecInput = z.input<typeof networkSpecSchema>;
export type NetworkSpec = z.output<typeof networkSpecSchema>;

/**
 * Validates a network spec and fills its defaults.
 * @throws MflTypeError / MflRangeError naming the field; MflError ERR_MFL_UNKNOWN_OPTION for
 *   misspelled keys.
 */
export function parseNetworkSpec(input: unknown): NetworkSpec {
  return parseSpec(networkSpecSchema, input, 'network');
}
