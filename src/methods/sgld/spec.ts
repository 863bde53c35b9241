/**
 * The SGLD spec (THEORY.md sections 2-3): task, network, sampler and precision, validated once
 * here. Parsing is idempotent: the normalised spec parses to itself, which is what lets a
 * checkpoint compare the spec of a resumed run with the one it was written with.
 */
import * as z from 'zod';
import { outOfRange } from '../../errors.js';
import { MAX_PRIOR_SD, MIN_PRIOR_SD, networkSpecSchema } from '../../network/spec.js';
import type { NetworkSpec, NetworkSpecInput } from '../../network/spec.js';
import { MAX_SEED, taskSpecSchema } from '../../tasks/spec.js';
import type { TaskSpec, TaskSpecInput } from '../../tasks/spec.js';
import { burnInBelowSteps, int, oneOf, parseSpec, plainObject, positive } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';

/** Largest number of steps: step indices address random numbers (docs/sgld.md). */
export const MAX_STEPS = 2 ** 40;
/** Largest number of chains of one run. */
export const MAX_CHAINS = 1024;
/** Largest number of histogram bins per group. */
export const MAX_HIST_BINS = 100_000;
/** Samples kept per chain by the default thinning (sizes the R-hat/ESS traces). */
export const DEFAULT_SAMPLES_PER_CHAIN = 1000;
/** Rows of the time series of the default observe interval. */
export const DEFAULT_OBSERVE_ROWS = 200;
/** Largest number of trace values (chains x samples) kept in memory; 2^27 doubles = 1 GiB. */
export const MAX_TRACE_VALUES = 2 ** 27;
/** Loss normalisations (THEORY.md section 3). */
export const LOSSES = ['sum', 'mean'] as const;
/** Updates of the sampler (docs/sgld.md): the SGLD (Euler) step and BAOAB. */
export const INTEGRATORS = ['euler', 'baoab'] as const;
/** Precisions the spec can name; only float64 runs today. */
export const PRECISIONS = ['float64', 'float32'] as const;

function bool(): z.ZodBoolean {
  return z.boolean({ error: 'a boolean' });
}

/** Per-layer weight decay lambda = kappa / sigma^2 (THEORY.md section 3), each > 0. */
const weightDecaySchema = z.strictObject({
  W: positive().optional(),
  a: positive().optional(),
  b: positive().optional(),
});

const samplerSchema = z
  .strictObject({
    kappa: positive(),
    eta: positive().nullable().default(null),
    steps: int(1, MAX_STEPS),
    burnIn: int(0, MAX_STEPS).nullable().default(null),
    thin: int(1, MAX_STEPS).nullable().default(null),
    batchSize: int(1).nullable().default(null),
    chains: int(1, MAX_CHAINS).default(2),
    seed: int(0, MAX_SEED).default(0),
    mala: bool().default(false),
    loss: oneOf(LOSSES).default('sum'),
    freezeW: bool().default(false),
    observeEvery: int(0, MAX_STEPS).nullable().default(null),
    histBins: int(1, MAX_HIST_BINS).default(60),
    histRange: positive().default(6),
    checkpointEvery: int(1, MAX_STEPS).nullable().default(null),
    weightDecay: plainObject(weightDecaySchema).optional(),
    integrator: oneOf(INTEGRATORS).default('euler'),
    friction: positive().nullable().default(null),
  })
  .check((ctx) => {
    burnInBelowSteps(ctx);
    const s = ctx.value;
    if (s.integrator === 'euler' && s.friction !== null) {
      ctx.issues.push({
        code: 'custom',
        path: ['friction'],
        input: s.friction,
        message: 'null (omitted) unless integrator is "baoab" (the friction is BAOAB\'s)',
      });
    }
    if (s.integrator === 'baoab' && s.mala) {
      ctx.issues.push({
        code: 'custom',
        path: ['mala'],
        input: s.mala,
        message: 'false when integrator is "baoab" (MALA adjusts the Euler step)',
      });
    }
    if (s.mala && s.batchSize !== null) {
      ctx.issues.push({
        code: 'custom',
        path: ['batchSize'],
        input: s.batchSize,
        message: 'null (full batch) when mala is true (MALA needs the exact gradient)',
      });
    }
  });

const sgldSchema = z
  .strictObject({
    task: taskSpecSchema,
    network: networkSpecSchema,
    sampler: samplerSchema,
    precision: oneOf(PRECISIONS).default('float64'),
  })
  .check((ctx) => {
    const { task, sampler } = ctx.value;
    if (task.task !== 'custom' && sampler.batchSize !== null && sampler.batchSize > task.P) {
      ctx.issues.push({
        code: 'custom',
        path: ['sampler', 'batchSize'],
        input: sampler.batchSize,
        message: `null (full batch) or an integer in [1, P] = [1, ${task.P}]`,
      });
    }
  });

/**
 * Sampler settings (THEORY.md section 3, docs/sgld.md), normalised: every default resolved
 * except `eta` (which needs the data: see `defaultEta`) and `checkpointEvery`.
 */
export interface SamplerSpec {
  /** Noise level (temperature) kappa, finite > 0. Posterior exp(-ls E / kappa) x prior. */
  kappa: number;
  /** Step size, finite > 0; null (default): the stability rule of `defaultEta`. */
  eta: number | null;
  /** Steps of the run, integer in [1, 2^40]. */
  steps: number;
  /** Steps discarded before sampling, integer in [0, steps - 1]. Default floor(steps / 2). */
  burnIn: number;
  /** Keep every thin-th state after burn-in, integer >= 1. Default: the smallest thinning
   *  that keeps at most 1000 samples per chain, max(1, ceil((steps - burnIn) / 1000)). */
  thin: number;
  /** Minibatch size B in [1, P] (rows drawn with replacement); null (default): full batch. */
  batchSize: number | null;
  /** Independent chains, integer in [1, 1024]. Default 2, so R-hat and ESS exist. */
  chains: number;
  /** Sampler seed (initial draws, noise, minibatches), integer in [0, 2^53 - 1]. Default 0. */
  seed: number;
  /** Metropolis-adjust every full-batch step (MALA). Default false. */
  mala: boolean;
  /** "sum" (default, E = 1/2 sum_mu r^2) or "mean" (E / P): THEORY.md section 3. */
  loss: 'sum' | 'mean';
  /** Keep the first layer at its initial prior draw (a linear model in a). Default false. */
  freezeW: boolean;
  /** Time-series interval in steps, integer >= 0 (0: none). Default max(1, ceil(steps / 200)). */
  observeEvery: number;
  /** Histogram bins per marginal, integer in [1, 100000]. Default 60. */
  histBins: number;
  /** Histogram half-width in prior standard deviations, finite > 0. Default 6. */
  histRange: number;
  /** Checkpoint interval in steps, integer >= 1; null (default): ceil(steps / 20). Used only
   *  when a checkpoint file is given; it never changes the numbers of a run. */
  checkpointEvery: number | null;
  /**
   * The update (docs/sgld.md): 'euler' (default), the SGLD step; 'baoab', underdamped Langevin
   * dynamics integrated by BAOAB with the same one gradient per step. Present in the normalised
   * spec only for 'baoab', so Euler specs (checkpoints, sweep point ids) are those from before.
   */
  integrator?: 'euler' | 'baoab';
  /**
   * BAOAB's friction gamma, finite > 0; null (default): `defaultFriction`. Present only with
   * integrator 'baoab' (an error with 'euler').
   */
  friction?: number | null;
}

/** A validated, normalised SGLD spec. */
export interface SgldSpec {
  task: TaskSpec;
  network: NetworkSpec;
  sampler: SamplerSpec;
  /**
   * Working precision of the SGLD kernel (docs/sgld.md, "Precision"). 'float64' (default);
   * 'float32' runs the two GEMMs and every elementwise pass in single precision while observables
   * and accumulators stay double: 1.5-2x faster per step at (P, d, N) = (4096, 35, 512) and
   * (1024, 35, 512) (`npm run bench`), the same trajectory up to single-precision rounding
   * (measured: 7e-7 relative to float64 after 200 steps of a small run).
   */
  precision: 'float64' | 'float32';
}

/** Sampler settings as callers write them: only kappa and steps are required. */
export interface SamplerSpecInput {
  kappa: number;
  eta?: number | null;
  steps: number;
  burnIn?: number | null;
  thin?: number | null;
  batchSize?: number | null;
  chains?: number;
  seed?: number;
  mala?: boolean;
  loss?: 'sum' | 'mean';
  freezeW?: boolean;
  observeEvery?: number | null;
  histBins?: number;
  histRange?: number;
  checkpointEvery?: number | null;
  integrator?: 'euler' | 'baoab';
  friction?: number | null;
  /**
   * The (eta, weight decay) form: per-layer weight decay lambda > 0 of the update
   * theta <- theta - eta (grad E + lambda theta) + sqrt(2 eta kappa) xi. Since lambda =
   * kappa / sigma^2 (THEORY.md section 3), it sets the prior standard deviation
   * sigma = sqrt(kappa / lambda) of that layer; giving both sigma and lambda for one layer is an
   * error. The normalised spec holds the resulting sigma.
   */
  weightDecay?: { W?: number; a?: number; b?: number };
}

/** An SGLD spec as callers write it. */
export interface SgldSpecInput {
  task: TaskSpecInput | TaskSpec;
  network: NetworkSpecInput;
  sampler: SamplerSpecInput;
  /** "float64" (default) or "float32" (see `SgldSpec.precision`). */
  precision?: 'float64' | 'float32';
}

const LAYER_SIGMA = { W: 'sigmaW', a: 'sigmaA', b: 'sigmaB' } as const;

/** The raw value at `path` of an unvalidated input, or undefined. */
function rawAt(input: unknown, ...path: string[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function label(options: ParseSpecOptions, path: readonly PropertyKey[]): string {
  return options.label ? options.label(path) : path.map(String).join('.');
}

/** sigma = sqrt(kappa / lambda) for each layer given as weight decay; rejects sigma and lambda. */
function resolveWeightDecay(
  input: unknown,
  network: NetworkSpec,
  kappa: number,
  weightDecay: { W?: number; a?: number; b?: number } | undefined,
  options: ParseSpecOptions,
): NetworkSpec {
  const resolved = { ...network };
  for (const layer of ['W', 'a', 'b'] as const) {
    const lambda = weightDecay?.[layer];
    if (lambda === undefined) continue;
    const sigma = LAYER_SIGMA[layer];
    if (rawAt(input, 'network', sigma) !== undefined) {
      throw outOfRange(
        label(options, ['sampler', 'weightDecay', layer]),
        `omitted when ${label(options, ['network', sigma])} is given (lambda = kappa / ` +
          `sigma^2 fixes sigma: give one of them)`,
        lambda,
      );
    }
    const sd = Math.sqrt(kappa / lambda);
    if (!(sd >= MIN_PRIOR_SD && sd <= MAX_PRIOR_SD)) {
      throw outOfRange(
        label(options, ['sampler', 'weightDecay', layer]),
        `a number with sigma = sqrt(kappa / lambda) in [${MIN_PRIOR_SD}, ${MAX_PRIOR_SD}], ` +
          `i.e. lambda in [kappa / 1e300, kappa / 1e-300] (kappa = ${kappa})`,
        lambda,
      );
    }
    resolved[sigma] = sd;
  }
  return resolved;
}

/** The default burn-in, thinning and observe interval of THEORY.md section 3 conventions. */
function resolveSampler(s: z.output<typeof samplerSchema>): SamplerSpec {
  const burnIn = s.burnIn ?? Math.floor(s.steps / 2);
  const thin = s.thin ?? Math.max(1, Math.ceil((s.steps - burnIn) / DEFAULT_SAMPLES_PER_CHAIN));
  const observeEvery = s.observeEvery ?? Math.max(1, Math.ceil(s.steps / DEFAULT_OBSERVE_ROWS));
  return {
    kappa: s.kappa,
    eta: s.eta,
    steps: s.steps,
    burnIn,
    thin,
    batchSize: s.batchSize,
    chains: s.chains,
    seed: s.seed,
    mala: s.mala,
    loss: s.loss,
    freezeW: s.freezeW,
    observeEvery,
    histBins: s.histBins,
    histRange: s.histRange,
    checkpointEvery: s.checkpointEvery,
    ...(s.integrator === 'baoab' && { integrator: s.integrator, friction: s.friction }),
  };
}

/** Rejects runs whose traces would not fit in memory (chains x samples values). */
function checkTraceSize(sampler: SamplerSpec, options: ParseSpecOptions): void {
  const { steps, burnIn, thin, chains } = sampler;
  const samples = Math.floor((steps - burnIn - 1) / thin) + 1;
  if (samples * chains > MAX_TRACE_VALUES) {
    const least = Math.ceil(((steps - burnIn) * chains) / MAX_TRACE_VALUES);
    throw outOfRange(
      label(options, ['sampler', 'thin']),
      `an integer >= ${least} (chains * samples kept must be <= 2^27)`,
      thin,
    );
  }
}

/**
 * Validates an SGLD spec and fills in its defaults.
 *
 * Defaults and ranges (see `SamplerSpec` for each sampler field): network as `parseNetworkSpec`
 * (sigmaW = sigmaA = sigmaB = 1, gamma 1/2, relu, no bias); sampler burnIn = floor(steps / 2),
 * thin keeps <= 1000 samples per chain, chains = 2, seed = 0, loss "sum", full batch, no MALA,
 * observeEvery = ceil(steps / 200), 60 histogram bins over +-6 prior standard deviations;
 * precision "float64" ("float32": single-precision kernel). `sampler.weightDecay` {W, a, b} is the (eta, weight decay) form:
 * sigma = sqrt(kappa / lambda) per layer. `sampler.integrator` "euler" (default) or "baoab"
 * (underdamped Langevin, docs/sgld.md "Integrators") with `sampler.friction` (> 0; null: the
 * default of `defaultFriction`), which is an error with "euler", as is mala with "baoab".
 *
 * @param input e.g. `{ task: { task: 'parity', d: 12, k: 4, P: 400 }, network: { N: 128 },
 *   sampler: { kappa: 0.01, steps: 20000 } }`
 * @param options how fields are named in messages (the CLI names flags)
 * @returns the normalised spec (parses to itself)
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key (with a suggestion)
 * @throws MflTypeError ERR_MFL_INVALID_TYPE for a wrong type or a missing field
 * @throws MflRangeError ERR_MFL_OUT_OF_RANGE for a value out of range, naming the field, e.g.
 *   "sampler.burnIn: must be an integer in [0, steps - 1] = [0, 99], got 100", or
 *   "precision: must be one of "float64", "float32", got "float16""
 */
export function parseSgldSpec(input: unknown, options: ParseSpecOptions = {}): SgldSpec {
  const parsed = parseSpec(sgldSchema, input, 'sgld spec', options);
  const { task, sampler } = parsed;
  const network = resolveWeightDecay(
    input,
    parsed.network,
    sampler.kappa,
    sampler.weightDecay,
    options,
  );
  const resolved = resolveSampler(sampler);
  checkTraceSize(resolved, options);
  return { task, network, sampler: resolved, precision: parsed.precision };
}

/** Weight decay lambda = kappa / sigma^2 of each layer (THEORY.md section 3). */
export function weightDecayOf(spec: SgldSpec): { W: number; a: number; b: number | null } {
  const { kappa } = spec.sampler;
  const { sigmaW, sigmaA, sigmaB, bias } = spec.network;
  return {
    W: kappa / sigmaW ** 2,
    a: kappa / sigmaA ** 2,
    b: bias ? kappa / sigmaB ** 2 : null,
  };
}
