/**
 * `mfl nngp`: the infinite-width (NNGP) theory of a task (THEORY.md section 5): kernel ridge
 * regression on the data (--method krr) or the population learning curve from the kernel's
 * spectrum (--method eigen), printed as a short table or one JSON object (--json).
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { outOfRange } from '../../errors.js';
import { nngp } from '../../methods/nngp/run.js';
import type { EigenResult, KrrResult, NngpResult } from '../../methods/nngp/run.js';
import { NNGP_METHODS, parseNngpSpec } from '../../methods/nngp/spec.js';
import type { NngpSpec } from '../../methods/nngp/spec.js';
import { LOSSES } from '../../methods/sgld/spec.js';
import type { ParseSpecOptions } from '../../validate.js';
import { formatValue, keyValueLines } from '../format.js';
import { checkPredictFile, preparePredictFile, writePredictions } from '../predictions.js';
import { printJson } from '../io.js';
import { printWarnings } from '../warnings.js';
import { representabilityWarnings } from '../../tasks/representability.js';
import type { CliIo } from '../io.js';
import {
  addJsonOption,
  defined,
  addNetworkOptions,
  addTaskOptions,
  methodFlagLabels,
  numberFlag,
  taskInputFromFlags,
} from '../options.js';
import type { JsonFlagValue, NetworkFlagValues, TaskFlagValues } from '../options.js';

interface NngpFlags extends TaskFlagValues, NetworkFlagValues, JsonFlagValue {
  kappa?: number;
  loss?: string;
  method?: string;
  variance?: boolean;
  predict?: string;
  memoryLimit?: number;
}

const NETWORK_FLAGS = ['N', 'gamma', 'activation', 'bias', 'sigmaW', 'sigmaA', 'sigmaB'] as const;

/** The NNGP spec the flags describe (not yet validated). */
export function nngpInputFromFlags(flags: NngpFlags): Record<string, unknown> {
  return {
    task: taskInputFromFlags(flags),
    network: defined(flags, NETWORK_FLAGS),
    ...defined(flags, ['kappa', 'loss', 'method', 'variance'] as const),
    ...(flags.memoryLimit !== undefined && { memoryLimitBytes: flags.memoryLimit }),
  };
}

/** Spec fields named by their flags (memoryLimitBytes is --memory-limit). */
export const nngpFlagLabels: ParseSpecOptions = {
  label: (p) =>
    p.length === 1 && p[0] === 'memoryLimitBytes'
      ? '--memory-limit'
      : (methodFlagLabels(false).label?.(p) ?? p.map(String).join('.')),
};

/** --predict needs method krr (eigen has no per-row predictions) besides a file and test rows. */
function checkPredict(file: string | undefined, spec: NngpSpec): void {
  if (file === undefined) return;
  checkPredictFile(file, spec.task);
  if (spec.method !== 'krr') {
    throw outOfRange(
      '--method',
      '"krr" with --predict (eigen computes the population curve, not per-row predictions)',
      spec.method,
    );
  }
}

function taskLabel(spec: NngpSpec): string {
  const t = spec.task;
  if (t.task === 'custom') return `custom (${t.train}${t.test ? `, test ${t.test}` : ''})`;
  return `${t.task}(d = ${t.d}, k = ${t.k}), P = ${t.P}, P_test = ${t.PTest}, data seed ${t.seed}`;
}

function commonLines(r: NngpResult): [string, string][] {
  const n = r.spec.network;
  return [
    ['task', taskLabel(r.spec)],
    [
      'kernel',
      `${n.activation}${n.bias ? ' + bias' : ''} NNGP, sigma_w = ${n.sigmaW}, sigma_a = ` +
        `${n.sigmaA}${n.bias ? `, sigma_b = ${n.sigmaB}` : ''}, gamma = ${n.gamma}` +
        `${n.N === null ? '' : `, N = ${n.N}`}`,
    ],
    [
      'ridge',
      `${formatValue(r.ridge)} (kappa = ${r.spec.kappa}, loss ${r.loss}, ` +
        `kappa_eff = ${formatValue(r.kappaEffective)})`,
    ],
    ['testMse', formatValue(r.testMse)],
    ['trainMse', formatValue(r.trainMse)],
    ['mS', formatValue(r.mS)],
  ];
}

function krrLines(r: KrrResult): [string, string][] {
  const lines: [string, string][] = [];
  if (r.meanVariance !== null) lines.push(['mean variance', formatValue(r.meanVariance)]);
  lines.push([
    'run',
    `kernel ridge regression, P = ${r.P}, ${r.PTest} test rows, ${r.seconds.toFixed(2)} s, ` +
      `backend ${r.backend}`,
  ]);
  return lines;
}

function eigenLines(r: EigenResult): [string, string][] {
  return [
    [
      'learnability',
      `L_${r.targetDegree} = ${formatValue(r.mS)} (mS), kt = ${formatValue(r.kt)}, E0 = ${formatValue(r.E0)}`,
    ],
    ['approximation', r.approximation],
    ['run', `eigenlearning on the ${r.inputs} spectrum, ${(r.seconds * 1000).toFixed(1)} ms`],
  ];
}

/** Human form: what ran, then the observables. */
export function formatNngp(r: NngpResult): string {
  const lines = commonLines(r);
  lines.push(...(r.method === 'krr' ? krrLines(r) : eigenLines(r)));
  return keyValueLines(lines);
}

/** Parses the flags, runs the theory, writes --predict, prints the result. */
export async function runNngpCommand(flags: NngpFlags, io: CliIo): Promise<void> {
  const spec = parseNngpSpec(nngpInputFromFlags(flags), nngpFlagLabels);
  checkPredict(flags.predict, spec);
  await preparePredictFile(flags.predict, spec.task);
  printWarnings(io, representabilityWarnings(spec.task, spec.network));
  const result = await nngp(spec, { labels: nngpFlagLabels });
  if (flags.predict !== undefined && result.method === 'krr') {
    await writePredictions(flags.predict, result.predictions());
  }
  if (flags.json) printJson(io, result);
  else io.stdout(formatNngp(result));
}

/** Registers `nngp` on `program`. */
export function registerNngp(program: Command, io: CliIo): void {
  const command = program
    .command('nngp')
    .description(
      'infinite-width theory: kernel ridge regression with the NNGP kernel, or the population ' +
        'learning curve from its spectrum (THEORY.md section 5)',
    );
  addTaskOptions(command);
  addNetworkOptions(command);
  command
    .option(
      '--kappa <x>',
      'noise level kappa > 0 (required); ridge = kappa_eff N^(2 gamma - 1) / sigma_a^2',
      numberFlag('--kappa', 'a number'),
    )
    .addOption(
      new Option(
        '--loss <form>',
        'E as a sum over samples or its mean E / P (kappa_eff = P kappa) (default: sum)',
      ).choices(LOSSES),
    )
    .addOption(
      new Option(
        '--method <name>',
        'krr: kernel ridge regression on the data; eigen: population learning curve from the ' +
          'spectrum, no P x P solve (default: krr)',
      ).choices(NNGP_METHODS),
    )
    .option('--variance', 'also compute the GP posterior variance on the test rows (krr)')
    .option(
      '--predict <file>',
      'write the posterior mean on the test rows to FILE (.csv or .npy; krr)',
    )
    .option(
      '--memory-limit <bytes>',
      'refuse krr fits whose P x P matrix (8 P^2 bytes) exceeds this (default: 70% of free memory)',
      numberFlag('--memory-limit', 'an integer'),
    );
  addJsonOption(command)
    .addHelpText(
      'after',
      '\nN only sets the ridge (any integer >= 1; not needed at gamma = 0.5). --seed is the data ' +
        'seed.\n' +
        '\nExamples:\n' +
        '  mfl nngp --task parity --d 12 --k 4 --P 400 --kappa 0.01 --json\n' +
        '  mfl nngp --task parity --d 35 --k 4 --P 100000 --kappa 0.01 --method eigen\n' +
        '  mfl nngp --train data/train.csv --test data/test.csv --kappa 0.05 --predict fbar.npy\n',
    )
    .action(async (flags: NngpFlags) => runNngpCommand(flags, io));
}
