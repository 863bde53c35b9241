/**
 * The NNGP spec (THEORY.md section 5): the task, the network whose infinite-width kernel is used,
 * the noise level and how the posterior mean is computed. Same field names as the SGLD spec where
 * they mean the same (task, network, kappa, loss). Parsing is idempotent.
 */
import * as z from 'zod';
import type { KernelName } from '../../backend/types.js';
import { networkSpecSchema } from '../../network/spec.js';
import type { NetworkSpecInput } from '../../network/spec.js';
import { MAX_SEED, taskSpecSchema } from '../../tasks/spec.js';
import type { TaskSpec, TaskSpecInput } from '../../tasks/spec.js';
import { int, oneOf, parseSpec, plainObject, positive } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';
import { LOSSES } from '../sgld/spec.js';
import { KERNELS } from './kernel.js';

/** How the posterior mean is computed: explicit kernel ridge regression, or eigenlearning. */
export const NNGP_METHODS = ['krr', 'eigen'] as const;

/** N enters only the ridge kappa N^(2 gamma - 1)/sigma_a^2, so it may be any width (or none). */
const nngpNetworkSchema = networkSpecSchema.extend({
  N: int(1, MAX_SEED).nullable().default(null),
});

const nngpSchema = z
  .strictObject({
    task: taskSpecSchema,
    network: plainObject(nngpNetworkSchema).prefault({}),
    kappa: positive(),
    loss: oneOf(LOSSES).default('sum'),
    method: oneOf(NNGP_METHODS).default('krr'),
    variance: z.boolean({ error: 'a boolean' }).default(false),
    memoryLimitBytes: int(1, MAX_SEED).nullable().default(null),
  })
  .check((ctx) => {
    const { network, task, method, variance } = ctx.value;
    const issue = (path: PropertyKey[], input: unknown, message: string) =>
      ctx.issues.push({ code: 'custom', path, input, message });
    if (!(KERNELS as readonly string[]).includes(network.activation)) {
      issue(
        ['network', 'activation'],
        network.activation,
        `one of ${KERNELS.map((k) => JSON.stringify(k)).join(', ')} (activations with a ` +
          `closed-form NNGP kernel)`,
      );
    }
    if (network.N === null && network.gamma !== 0.5) {
      issue(
        ['network', 'N'],
        undefined,
        `an integer >= 1 when gamma != 0.5 (the ridge is kappa N^(2 gamma - 1) / sigma_a^2)`,
      );
    }
    if (method === 'eigen' && task.task === 'custom') {
      issue(
        ['method'],
        method,
        '"krr" for custom data (eigen needs the spectrum of a generated task: parity or ' +
          'single-index)',
      );
    }
    if (method === 'eigen' && variance) {
      issue(['variance'], variance, 'false with method "eigen" (variances need method "krr")');
    }
  });

/** The network of an NNGP spec: the SGLD network fields, N optional, activations with a kernel. */
export interface NngpNetworkSpec {
  /** Width, integer >= 1, or null (default): the ridge does not depend on N at gamma = 1/2. */
  N: number | null;
  /** Output scaling exponent in [0.5, 1] (default 0.5). gamma != 0.5 needs N. */
  gamma: number;
  /** relu (default), erf or linear; tanh has no closed-form kernel and is rejected. */
  activation: KernelName;
  bias: boolean;
  sigmaW: number;
  sigmaA: number;
  sigmaB: number;
}

/** A validated, normalised NNGP spec. */
export interface NngpSpec {
  task: TaskSpec;
  network: NngpNetworkSpec;
  /** Noise level kappa, finite > 0: the posterior exp(-ls E / kappa) x prior (THEORY.md 3). */
  kappa: number;
  /** "sum" (default) or "mean" (E / P, i.e. kappa_eff = P kappa): THEORY.md section 3. */
  loss: 'sum' | 'mean';
  /** "krr" (default): explicit kernel ridge regression on the data; "eigen": the population
   *  learning curve from the kernel's spectrum (generated tasks only). */
  method: 'krr' | 'eigen';
  /** Also compute the posterior variance on the test rows (krr only). Default false. */
  variance: boolean;
  /**
   * Memory the krr fit may use for kernel matrices, in bytes (integer >= 1); null (default):
   * 70% of the free memory (`os.freemem()`) when the fit starts. A fit needing more (8 P^2 bytes
   * for the P x P matrix) is refused before allocating.
   */
  memoryLimitBytes: number | null;
}

/** An NNGP spec as callers write it: only task and kappa are required. */
export interface NngpSpecInput {
  task: TaskSpecInput | TaskSpec;
  network?: Partial<Omit<NetworkSpecInput, 'N'>> & { N?: number | null };
  kappa: number;
  loss?: 'sum' | 'mean';
  method?: 'krr' | 'eigen';
  variance?: boolean;
  memoryLimitBytes?: number | null;
}

/**
 * Validates an NNGP spec and fills in its defaults: network as `parseNetworkSpec` but N optional
 * (null) and activation relu, erf or linear; loss "sum"; method "krr"; variance false;
 * memoryLimitBytes null (70% of free memory at run time).
 * @param input e.g. `{ task: { task: 'parity', d: 12, k: 4, P: 400 }, kappa: 0.01 }`
 * @param options how fields are named in messages (the CLI names flags)
 * @returns the normalised spec (parses to itself)
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key (with a suggestion)
 * @throws MflTypeError ERR_MFL_INVALID_TYPE for a wrong type or a missing field (kappa, task)
 * @throws MflRangeError ERR_MFL_OUT_OF_RANGE for a value out of range, naming the field, e.g.
 *   'network.activation: must be one of "relu", "erf", "linear" (activations with a closed-form
 *   NNGP kernel), got "tanh"'
 */
export function parseNngpSpec(input: unknown, options: ParseSpecOptions = {}): NngpSpec {
  const parsed = parseSpec(nngpSchema, input, 'nngp spec', options);
  const activation = parsed.network.activation as KernelName;
  return { ...parsed, network: { ...parsed.network, activation } };
}

/** kappa_eff = kappa (loss "sum") or P kappa (loss "mean"): THEORY.md section 3. */
export function effectiveKappa(spec: Pick<NngpSpec, 'kappa' | 'loss'>, P: number): number {
  return spec.loss === 'mean' ? P * spec.kappa : spec.kappa;
}

/**
 * The ridge kappa_eff N^(2 gamma - 1) / sigma_a^2 (THEORY.md section 5); N^0 = 1 when N is null
 * at gamma = 1/2.
 */
export function nngpRidge(spec: Pick<NngpSpec, 'kappa' | 'loss' | 'network'>, P: number): number {
  const { N, gamma, sigmaA } = spec.network;
  const width = N === null ? 1 : N ** (2 * gamma - 1);
  return (effectiveKappa(spec, P) * width) / (sigmaA * sigmaA);
}

/** The variance scale c = sigma_a^2 N^(1 - 2 gamma) of the prior of f (THEORY.md section 2). */
export function priorScale(network: NngpNetworkSpec): number {
  const { N, gamma, sigmaA } = network;
  return sigmaA * sigmaA * (N === null ? 1 : N ** (1 - 2 * gamma));
}
