/**
 * The task spec (THEORY.md section 1): which data a method trains and tests on. Either a generated
 * task (parity or single-index, reproducible from a seed) or custom data loaded from files.
 */
import * as z from 'zod';
import { finite, int, nonEmptyString, oneOf, parseSpec } from '../validate.js';
import type { ParseSpecOptions } from '../validate.js';

/** Largest input dimension. */
export const MAX_D = 4096;
/** Largest Hermite degree of single-index tasks (He_k / sqrt(k!) stays well conditioned). */
export const MAX_SINGLE_INDEX_K = 20;
/** Largest number of float64 values in one split's X (keeps every index a 32-bit integer). */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** Largest label noise: the test error sigma_eps^2 and the noisy labels stay finite. */
export const MAX_LABEL_NOISE = 1e150;

/** Largest seed: seeds are integers in [0, 2^53) (docs/rng.md). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/**
 * Default number of test samples. The Monte Carlo error of a test MSE estimate is about
 * sqrt(2 / PTest) relative, so 4000 gives ~2%, enough to compare theory and simulation curves.
 */
export const DEFAULT_P_TEST = 4000;

/** Names of the generated tasks. */
export const GENERATED_TASKS = ['parity', 'single-index'] as const;

/** A generated task: parity(d, k) or single-index(d, k), THEORY.md section 1. */
export interface GeneratedTaskSpec {
  /** "parity": x uniform on {-1,+1}^d, y = x_1 ... x_k; "single-index": x ~ N(0, I_d),
   *  y = He_k(x_1) / sqrt(k!). */
  task: 'parity' | 'single-index';
  /** Input dimension, integer in [1, 4096]. */
  d: number;
  /** Parity order / Hermite degree, integer in [0, d]; single-index also k <= 20. */
  k: number;
  /** Training samples, integer >= 0 (0: no data, e.g. prior sampling), P * d <= 2^31 - 1. */
  P: number;
  /** Test samples, integer >= 0, PTest * d <= 2^31 - 1. Default 4000. */
  PTest: number;
  /** Label noise sigma_eps in [0, 1e150] (sigma_eps^2 stays finite): y += sigma_eps * N(0, 1).
   *  Default 0. */
  labelNoise: number;
  /** Data seed, integer in [0, 2^53 - 1]. Default 0. */
  seed: number;
}

/** Custom data: a .csv file or the prefix of an X/y .npy pair (see `loadData`). */
export interface CustomTaskSpec {
  task: 'custom';
  /** Training data path. */
  train: string;
  /** Test data path (optional; without it there is no test split). */
  test?: string | undefined;
}

/** A validated, normalised task spec (defaults filled in). */
export type TaskSpec = GeneratedTaskSpec | CustomTaskSpec;

/** A task spec as callers may write it: defaulted fields optional. */
export type TaskSpecInput =
  | (Omit<GeneratedTaskSpec, 'PTest' | 'labelNoise' | 'seed'> &
      Partial<Pick<GeneratedTaskSpec, 'PTest' | 'labelNoise' | 'seed'>>)
  | CustomTaskSpec;

/** k <= d, and k <= 20 for single-index; rows * d within MAX_ELEMENTS for both splits. */
function checkGenerated(ctx: z.core.ParsePayload<GeneratedTaskSpec>): void {
  const spec = ctx.value;
  const kMax = spec.task === 'single-index' ? Math.min(spec.d, MAX_SINGLE_INDEX_K) : spec.d;
  if (spec.k > kMax) {
    const bound = spec.task === 'single-index' ? 'min(d, 20)' : 'd';
    ctx.issues.push({
      code: 'custom',
      path: ['k'],
      input: spec.k,
      message: `an integer in [0, ${bound}] = [0, ${kMax}]`,
    });
  }
  for (const rows of ['P', 'PTest'] as const) {
    const max = Math.floor(MAX_ELEMENTS / spec.d);
    if (spec[rows] > max) {
      ctx.issues.push({
        code: 'custom',
        path: [rows],
        input: spec[rows],
        message: `an integer in [0, ${max}] (${rows} * d <= ${MAX_ELEMENTS} with d = ${spec.d})`,
      });
    }
  }
}

const generatedSchema = z
  .strictObject({
    task: oneOf(GENERATED_TASKS),
    d: int(1, MAX_D),
    k: int(0, MAX_D),
    P: int(0, MAX_ELEMENTS),
    PTest: int(0, MAX_ELEMENTS).default(DEFAULT_P_TEST),
    labelNoise: finite(0, MAX_LABEL_NOISE).default(0),
    seed: int(0, MAX_SEED).default(0),
  })
  .check(checkGenerated);

const customSchema = z.strictObject({
  task: z.literal('custom'),
  train: nonEmptyString(),
  test: nonEmptyString().optional(),
});

/** The zod schema of task specs (strict: unknown keys are errors). */
export const taskSpecSchema = z.discriminatedUnion('task', [generatedSchema, customSchema]);

// Compile-time check that the documented interfaces and the schema agree.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesInterface: Equal<z.output<typeof taskSpecSchema>, TaskSpec> = true;
void schemaMatchesInterface;

/**
 * Validates a task spec and fills in defaults.
 * @param input the spec, e.g. `{ task: 'parity', d: 12, k: 4, P: 400 }`
 * @param options how fields are named in messages (the CLI names flags)
 * @returns the normalised spec
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key (with a suggestion)
 * @throws MflTypeError for a wrong type or a missing field
 * @throws MflRangeError for a value out of range, e.g.
 *   "k: must be an integer in [0, d] = [0, 12], got 13"
 * @example parseTaskSpec({ task: 'parity', d: 12, k: 4, P: 400 }).PTest // 4000
 */
export function parseTaskSpec(input: unknown, options: ParseSpecOptions = {}): TaskSpec {
  return parseSpec(taskSpecSchema, input, 'task spec', options);
}

/** True for generated (parity, single-index) specs. */
export function isGenerated(spec: TaskSpec): spec is GeneratedTaskSpec {
  return spec.task !== 'custom';
}
