/**
 * Flags shared by every command that runs a method, defined once so names, parsing and help stay
 * consistent: the task flags (this issue), the network and sampler flags (later issues add
 * `addNetworkOptions` here: --N, --kappa, --gamma, --activation) and --json.
 *
 * Numbers are parsed strictly here ("12abc" and "0x10" are rejected, naming the flag); ranges and
 * integer-ness are checked once, by the spec schemas, with messages that name the flag.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { invalidType } from '../errors.js';
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

/**
 * Adds the task flags to `command`: --task --d --k --P --P-test --label-noise --seed for a
 * generated task, or --train/--test for custom data.
 */
export function addTaskOptions(command: Command): Command {
  return command
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
      'data seed, integer in [0, 2^53 - 1] (default: 0)',
      numberFlag('--seed', 'an integer'),
    )
    .addOption(
      new Option(
        '--train <path>',
        'custom training data: a .csv file or the prefix of an X/y .npy pair',
      ).conflicts([...GENERATED_FLAGS]),
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
  if (values.train !== undefined) return parseTaskSpec(customSpec(values), flagLabels);
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
  const spec = Object.fromEntries(
    GENERATED_FLAGS.flatMap((f) => (values[f] === undefined ? [] : [[f, values[f]]])),
  );
  return parseTaskSpec(spec, flagLabels);
}
