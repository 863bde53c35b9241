/**
 * `mfl nngp`: the infinite-width (NNGP) theory of a task (THEORY.md section 5): kernel ridge
 * regression on the data (--method krr) or the population learning curve from the kernel's
 * spectrum (--method eigen), printed as a short table or one JSON object (--json).
 */
import path from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { invalidType, outOfRange } from '../../errors.js';
import { nngp } from '../../methods/nngp/run.js';
import type { EigenResult, KrrResult, NngpResult } from '../../methods/nngp/run.js';
import { NNGP_METHODS, parseNngpSpec } from '../../methods/nngp/spec.js';
import type { NngpSpec } from '../../methods/nngp/spec.js';
import { LOSSES } from '../../methods/sgld/spec.js';
import { formatNumber } from '../../tasks/io/csv.js';
import { ensureDir, writeFileAtomic } from '../../tasks/io/files.js';
import { writeNpy } from '../../tasks/io/npy.js';
import type { ParseSpecOptions } from '../../validate.js';
import { keyValueLines } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import {
  addJsonOption,
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

function defined<K extends string>(
  values: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Record<string, unknown> {
  return Object.fromEntries(keys.flatMap((k) => (values[k] === undefined ? [] : [[k, values[k]]])));
}

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

/** --predict must name a .csv or .npy file, with method krr and test rows to predict on. */
function checkPredict(file: string | undefined, spec: NngpSpec): void {
  if (file === undefined) return;
  if (!/\.(csv|npy)$/i.test(file)) {
    throw outOfRange('--predict', 'a file name ending in .csv or .npy', file);
  }
  if (spec.method !== 'krr') {
    throw outOfRange(
      '--method',
      '"krr" with --predict (eigen computes the population curve, not per-row predictions)',
      spec.method,
    );
  }
  const noTest = spec.task.task === 'custom' ? spec.task.test === undefined : spec.task.PTest === 0;
  if (noTest) {
    throw invalidType(
      '--predict',
      'test data to predict on (--test for custom data, --P-test >= 1)',
      file,
    );
  }
}

/** Writes fbar on the test rows: one value per row, CSV (header "fbar") or a 1-D .npy. */
export async function writeNngpPredictions(file: string, values: Float64Array): Promise<void> {
  await ensureDir(path.dirname(file));
  if (/\.npy$/i.test(file)) {
    await writeNpy(file, values, [values.length]);
    return;
  }
  const lines = Array.from(values, formatNumber);
  await writeFileAtomic(file, [`fbar\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`]);
}

function fmt(x: number | null, digits = 4): string {
  if (x === null) return '-';
  const abs = Math.abs(x);
  if (!Number.isFinite(x)) return String(x);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? x.toExponential(digits - 1) : x.toFixed(digits);
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
      `${fmt(r.ridge)} (kappa = ${r.spec.kappa}, loss ${r.loss}, ` +
        `kappa_eff = ${fmt(r.kappaEffective)})`,
    ],
    ['testMse', fmt(r.testMse)],
    ['trainMse', fmt(r.trainMse)],
    ['mS', fmt(r.mS)],
  ];
}

function krrLines(r: KrrResult): [string, string][] {
  const lines: [string, string][] = [];
  if (r.meanVariance !== null) lines.push(['mean variance', fmt(r.meanVariance)]);
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
      `L_${r.targetDegree} = ${fmt(r.mS)} (mS), kt = ${fmt(r.kt)}, E0 = ${fmt(r.E0)}`,
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
  const result = await nngp(spec, { labels: nngpFlagLabels });
  if (flags.predict !== undefined && result.method === 'krr') {
    await writeNngpPredictions(flags.predict, result.predictions());
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
