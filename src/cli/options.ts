/**
 * Flags shared by every command that runs a method, defined once so names, parsing and help stay
 * consistent: the task flags, the network flags (--N --gamma --activation ...), the sampler flags
 * (--kappa --eta --steps ...) and --json.
 *
 * Numbers are parsed strictly here ("12abc" and "0x10" are rejected, naming the flag); ranges and
 * integer-ness are checked once, by the spec schemas, with messages that name the flag.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { invalidType } from '../errors.js';
import { INTEGRATORS, LOSSES } from '../methods/sgld/spec.js';
import { ACTIVATIONS, MAX_WIDTH } from '../network/spec.js';
import { DEFAULT_P_TEST, GENERATED_TASKS, MAX_D, parseTaskSpec } from '../tasks/spec.js';
import type { TaskSpec } from '../tasks/spec.js';
import { parseDecimal } from '../validate.js';
import type { ParseSpecOptions } from '../validate.js';

/** Values of the task flags as commander stores them (camelCase attribute names). */
export interface TaskFlagValues {
  task?: string;
  d?: number;
  k?: number;
  P?: number;
  PTest?: number;
  labelNoise?: number;
  seed?: number;
  train?: string;
  test?: string;
}

/** Values of --json. */
export interface JsonFlagValue {
  json?: boolean;
}

/**
 * A commander argument parser for a number flag: accepts decimal literals only ("12", "1e3",
 * "-0.5"); integer-ness and range are left to the spec, which names the flag too.
 * @param flag the flag, e.g. "--d", for messages
 * @param expected what the flag takes, e.g. "an integer"
 * @throws MflTypeError "--d: expected an integer, got \"abc\""
 */
export function numberFlag(flag: string, expected: string): (text: string) => number {
  return (text) => {
    const value = parseDecimal(text);
    if (value === null) throw invalidType(flag, expected, text);
    return value;
  };
}

/** The flag of a spec field: `PTest` -> `--P-test`, `labelNoise` -> `--label-noise`. */
export function flagOf(field: string): string {
  return `--${field.slice(0, 1)}${field.slice(1).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** parseSpec options naming flags instead of spec fields (the last path segment is the flag). */
export const flagLabels: ParseSpecOptions = {
  label: (path) => flagOf(String(path[path.length - 1] ?? '')),
};

const GENERATED_FLAGS = ['task', 'd', 'k', 'P', 'PTest', 'labelNoise', 'seed'] as const;

/** How a command uses --seed. */
export interface TaskOptionsConfig {
  /**
   * "data" (default): --seed is the data seed. "sampler": --seed seeds the method and also the
   * data unless --data-seed is given; --seed then stays allowed beside --train.
   */
  seed?: 'data' | 'sampler';
}

/**
 * Adds the task flags to `command`: --task --d --k --P --P-test --label-noise --seed for a
 * generated task, or --train/--test for custom data (and --data-seed with `seed: 'sampler'`).
 */
export function addTaskOptions(command: Command, config: TaskOptionsConfig = {}): Command {
  const samplerSeed = config.seed === 'sampler';
  const conflicts: string[] = samplerSeed
    ? [...GENERATED_FLAGS.filter((f) => f !== 'seed'), 'dataSeed']
    : [...GENERATED_FLAGS];
  command
    .addOption(
      new Option('--task <name>', 'generated task (THEORY.md section 1)').choices(GENERATED_TASKS),
    )
    .option(
      '--d <int>',
      `input dimension, integer in [1, ${MAX_D}]`,
      numberFlag('--d', 'an integer'),
    )
    .option(
      '--k <int>',
      'parity order / Hermite degree, integer in [0, d] (single-index: also <= 20)',
      numberFlag('--k', 'an integer'),
    )
    .option('--P <int>', 'training samples, integer >= 0', numberFlag('--P', 'an integer'))
    .option(
      '--P-test <int>',
      `test samples, integer >= 0 (default: ${DEFAULT_P_TEST})`,
      numberFlag('--P-test', 'an integer'),
    )
    .option(
      '--label-noise <x>',
      'label noise sigma_eps >= 0: y += sigma_eps * N(0,1) (default: 0)',
      numberFlag('--label-noise', 'a number'),
    )
    .option(
      '--seed <int>',
      samplerSeed
        ? 'sampler seed, integer in [0, 2^53 - 1]; also the data seed unless --data-seed ' +
            '(default: 0)'
        : 'data seed, integer in [0, 2^53 - 1] (default: 0)',
      numberFlag('--seed', 'an integer'),
    );
  if (samplerSeed) {
    command.option(
      '--data-seed <int>',
      'data seed, integer in [0, 2^53 - 1] (default: --seed)',
      numberFlag('--data-seed', 'an integer'),
    );
  }
  return command
    .addOption(
      new Option(
        '--train <path>',
        'custom training data: a .csv file or the prefix of an X/y .npy pair',
      ).conflicts(conflicts),
    )
    .option('--test <path>', 'custom test data (same formats; with --train)');
}

/** Adds --json (machine-readable output on stdout). */
export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print a JSON document on stdout instead of text');
}

/** The custom-data spec of --train/--test (commander rejects generated-task flags beside them). */
function customSpec(values: TaskFlagValues): unknown {
  return {
    task: 'custom',
    train: values.train,
    ...(values.test !== undefined && { test: values.test }),
  };
}

/**
 * The task spec the flags describe, validated; errors name flags ("--k: must be an integer in
 * [0, d] = [0, 12], got 13").
 * @throws MflTypeError / MflRangeError / MflError as `parseTaskSpec`, worded with flag names
 */
export function taskSpecFromFlags(values: TaskFlagValues): TaskSpec {
  return parseTaskSpec(taskInputFromFlags(values), flagLabels);
}

/**
 * The task spec the flags describe, not yet validated (for specs that embed it).
 * @throws MflTypeError naming --train or --task when neither a custom nor a generated task is
 *   described
 */
export function taskInputFromFlags(values: TaskFlagValues): unknown {
  if (values.train !== undefined) return customSpec(values);
  if (values.test !== undefined) {
    throw invalidType('--train', 'a path when --test is given (custom data)', undefined);
  }
  if (values.task === undefined) {
    throw invalidType(
      '--task',
      `one of ${GENERATED_TASKS.join(', ')} (or --train PATH for custom data)`,
      undefined,
    );
  }
  return Object.fromEntries(
    GENERATED_FLAGS.flatMap((f) => (values[f] === undefined ? [] : [[f, values[f]]])),
  );
}

/** Values of the network flags (THEORY.md section 2). */
export interface NetworkFlagValues {
  N?: number;
  gamma?: number;
  activation?: string;
  bias?: boolean;
  sigmaW?: number;
  sigmaA?: number;
  sigmaB?: number;
}

/**
 * Adds the network flags: --N --gamma --activation --bias --sigma-w --sigma-a --sigma-b.
 * @param widthHelp help of --N where the width is a parameter of a theory rather than a size
 */
export function addNetworkOptions(command: Command, widthHelp?: string): Command {
  return command
    .option(
      '--N <int>',
      widthHelp ?? `width N, integer in [1, ${MAX_WIDTH}]`,
      numberFlag('--N', widthHelp === undefined ? 'an integer' : 'a number'),
    )
    .option(
      '--gamma <x>',
      'output scaling N^-gamma, gamma in [0.5, 1] (default: 0.5, the NNGP scaling)',
      numberFlag('--gamma', 'a number'),
    )
    .addOption(
      new Option('--activation <name>', 'activation phi (default: relu)').choices(ACTIVATIONS),
    )
    .option('--bias', 'neurons carry a bias b_i ~ N(0, sigma_b^2) (default: no bias)')
    .option(
      '--sigma-w <x>',
      'prior std dev of first-layer weights, > 0 (default: 1)',
      numberFlag('--sigma-w', 'a number'),
    )
    .option(
      '--sigma-a <x>',
      'prior std dev of second-layer weights, > 0 (default: 1)',
      numberFlag('--sigma-a', 'a number'),
    )
    .option(
      '--sigma-b <x>',
      'prior std dev of biases, > 0 (default: 1)',
      numberFlag('--sigma-b', 'a number'),
    );
}

/** Values of the sampler flags (THEORY.md section 3, docs/sgld.md). */
export interface SamplerFlagValues {
  kappa?: number;
  eta?: number;
  steps?: number;
  burnIn?: number;
  thin?: number;
  batchSize?: number;
  chains?: number;
  seed?: number;
  dataSeed?: number;
  mala?: boolean;
  loss?: string;
  freezeW?: boolean;
  observeEvery?: number;
  histBins?: number;
  histRange?: number;
  checkpointEvery?: number;
  weightDecayW?: number;
  weightDecayA?: number;
  weightDecayB?: number;
  precision?: string;
  integrator?: string;
  friction?: number;
}

/** A number flag with its help text; `what` words a parse failure ("an integer"). */
export function numberOption(
  command: Command,
  flag: string,
  arg: string,
  help: string,
  what: string,
): void {
  command.option(`${flag} <${arg}>`, help, numberFlag(flag, what));
}

/**
 * Adds the sampler flags: --kappa --eta --steps --burn-in --thin --batch-size --chains --mala
 * --loss --freeze-w --observe-every --hist-bins --hist-range --weight-decay-w/-a/-b --precision
 * --integrator --friction.
 */
export function addSamplerOptions(command: Command): Command {
  const int = 'an integer';
  const num = 'a number';
  numberOption(command, '--kappa', 'x', 'noise level (temperature) kappa > 0 (required)', num);
  numberOption(
    command,
    '--eta',
    'x',
    'step size > 0 (default: 1 / (trace bound on the largest curvature), see README)',
    num,
  );
  numberOption(command, '--steps', 'int', 'SGLD steps, integer >= 1 (required)', int);
  numberOption(command, '--burn-in', 'int', 'steps before sampling (default: steps / 2)', int);
  numberOption(
    command,
    '--thin',
    'int',
    'keep every thin-th step after burn-in (default: at most 1000 samples per chain)',
    int,
  );
  numberOption(
    command,
    '--batch-size',
    'int',
    'minibatch size B in [1, P], rows drawn with replacement (default: full batch)',
    int,
  );
  numberOption(command, '--chains', 'int', 'independent chains, in [1, 1024] (default: 2)', int);
  command
    .option('--mala', 'Metropolis-adjust every step (full batch only); reports the acceptance')
    .addOption(
      new Option(
        '--loss <form>',
        'E as a sum over samples or its mean E / P (default: sum)',
      ).choices(LOSSES),
    )
    .option('--freeze-w', 'keep the first layer at its initial prior draw (a linear model in a)');
  numberOption(
    command,
    '--observe-every',
    'int',
    'time-series interval in steps, 0 for none (default: steps / 200)',
    int,
  );
  addHistogramOptions(command);
  for (const [layer, name] of [
    ['w', 'first-layer weights'],
    ['a', 'second-layer weights'],
    ['b', 'biases'],
  ] as const) {
    numberOption(
      command,
      `--weight-decay-${layer}`,
      'x',
      `weight decay lambda > 0 of the ${name}, instead of --sigma-${layer}: ` +
        `sigma = sqrt(kappa / lambda)`,
      num,
    );
  }
  command.option(
    '--precision <p>',
    'float64 (default) or float32 (single-precision kernel, faster)',
  );
  command.addOption(
    new Option(
      '--integrator <name>',
      'euler (default: the SGLD step) or baoab (underdamped Langevin, BAOAB splitting)',
    ).choices(INTEGRATORS),
  );
  numberOption(
    command,
    '--friction',
    'x',
    'BAOAB friction gamma > 0 (default: 2 sqrt(kappa) / max sigma); only with --integrator baoab',
    num,
  );
  return command;
}

/** Adds --hist-bins and --hist-range (the marginal histograms of THEORY.md section 4). */
export function addHistogramOptions(command: Command): Command {
  numberOption(
    command,
    '--hist-bins',
    'int',
    'histogram bins per marginal (default: 60)',
    'an integer',
  );
  numberOption(
    command,
    '--hist-range',
    'x',
    'histogram half-width in prior std devs (default: 6)',
    'a number',
  );
  return command;
}

/** The flags among `keys` that were given, as spec fields. */
export function defined<K extends string>(
  values: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Record<string, unknown> {
  return Object.fromEntries(keys.flatMap((k) => (values[k] === undefined ? [] : [[k, values[k]]])));
}

/** Which spec field each sampler or network flag names. */
const SPEC_FLAG: Record<string, string> = {
  'sampler.weightDecay.W': '--weight-decay-w',
  'sampler.weightDecay.a': '--weight-decay-a',
  'sampler.weightDecay.b': '--weight-decay-b',
};

/**
 * parseSpec options naming flags for a method spec { task, network, sampler, ... }: the task's
 * seed is --data-seed when that was given, else --seed; other fields by their last segment.
 */
export function methodFlagLabels(dataSeedGiven: boolean): ParseSpecOptions {
  return {
    label: (path) => {
      const dotted = path.map(String).join('.');
      if (SPEC_FLAG[dotted]) return SPEC_FLAG[dotted];
      if (dotted === 'task.seed' && dataSeedGiven) return '--data-seed';
      return flagOf(String(path[path.length - 1] ?? ''));
    },
  };
}
