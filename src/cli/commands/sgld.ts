/**
 * `mfl sgld`: samples the posterior of a two-layer network with SGLD (THEORY.md sections 2-4,
 * docs/sgld.md) and prints the observables, as a short table or one JSON object (--json).
 */
import type { Command } from 'commander';
import { invalidType, outOfRange } from '../../errors.js';
import { MAX_THREADS, sgld } from '../../methods/sgld/run.js';
import type { SgldResult } from '../../methods/sgld/result.js';
import { parseSgldSpec } from '../../methods/sgld/spec.js';
import type { SgldSpec } from '../../methods/sgld/spec.js';
import { formatValue, keyValueLines } from '../format.js';
import { preparePredictFile, writePredictions } from '../predictions.js';
import { printJson } from '../io.js';
import { printWarnings } from '../warnings.js';
import { representabilityWarnings } from '../../tasks/representability.js';
import type { CliIo } from '../io.js';
import {
  addJsonOption,
  defined,
  addNetworkOptions,
  addSamplerOptions,
  addTaskOptions,
  methodFlagLabels,
  numberFlag,
  taskInputFromFlags,
} from '../options.js';
import type {
  JsonFlagValue,
  NetworkFlagValues,
  SamplerFlagValues,
  TaskFlagValues,
} from '../options.js';
import { createProgress } from '../progress.js';
import { warnIfSlowBackend } from '../fallback.js';

interface SgldFlags extends TaskFlagValues, NetworkFlagValues, SamplerFlagValues, JsonFlagValue {
  checkpoint?: string;
  resume?: boolean;
  predict?: string;
  threads?: number;
}

const NETWORK_FLAGS = ['N', 'gamma', 'activation', 'bias', 'sigmaW', 'sigmaA', 'sigmaB'] as const;
const SAMPLER_FLAGS = [
  'kappa',
  'eta',
  'steps',
  'burnIn',
  'thin',
  'batchSize',
  'chains',
  'seed',
  'mala',
  'loss',
  'freezeW',
  'observeEvery',
  'histBins',
  'histRange',
  'checkpointEvery',
  'integrator',
  'friction',
] as const;

/** The SGLD spec the flags describe (not yet validated). */
export function sgldInputFromFlags(flags: SgldFlags): Record<string, unknown> {
  const dataSeed = flags.dataSeed ?? flags.seed;
  const task = taskInputFromFlags({
    ...flags,
    seed: flags.train === undefined ? dataSeed : undefined,
  });
  const weightDecay = {
    ...(flags.weightDecayW !== undefined && { W: flags.weightDecayW }),
    ...(flags.weightDecayA !== undefined && { a: flags.weightDecayA }),
    ...(flags.weightDecayB !== undefined && { b: flags.weightDecayB }),
  };
  return {
    task,
    network: defined(flags, NETWORK_FLAGS),
    sampler: {
      ...defined(flags, SAMPLER_FLAGS),
      ...(Object.keys(weightDecay).length > 0 && { weightDecay }),
    },
    ...(flags.precision !== undefined && { precision: flags.precision }),
  };
}

function etaText(r: SgldResult): string {
  if (r.eta === null) return 'no eta (P = 0: exact prior draws)';
  return `eta = ${formatValue(r.eta)} (${r.etaRule === 'given' ? 'given' : 'default rule'})`;
}

function taskLabel(spec: SgldSpec): string {
  const t = spec.task;
  if (t.task === 'custom') return `custom (${t.train}${t.test ? `, test ${t.test}` : ''})`;
  return `${t.task}(d = ${t.d}, k = ${t.k}), P = ${t.P}, P_test = ${t.PTest}, data seed ${t.seed}`;
}

/** Human form: what ran, then the observables and diagnostics. */
export function formatSgld(r: SgldResult): string {
  const { network: n, sampler: s } = r.spec;
  const d = r.diagnostics;
  const lines: [string, string][] = [
    ['task', taskLabel(r.spec)],
    [
      'network',
      `N = ${n.N}, gamma = ${n.gamma}, ${n.activation}${n.bias ? ' + bias' : ''}, ` +
        `sigma_w = ${n.sigmaW}, sigma_a = ${n.sigmaA}`,
    ],
    [
      'sampler',
      `kappa = ${s.kappa} (loss ${r.loss}), ${etaText(r)}, ${s.chains} chain(s) x ` +
        `${s.steps} steps, burn-in ${s.burnIn}, thin ${s.thin}` +
        `${s.mala ? ', MALA' : ''}${s.batchSize !== null ? `, batch ${s.batchSize}` : ''}` +
        `${s.integrator === 'baoab' ? `, BAOAB (friction ${formatValue(s.friction ?? NaN)})` : ''}`,
    ],
    ['testMse', `${formatValue(r.testMse)}  (samples: ${formatValue(r.sampleTestMse)})`],
    ['trainMse', `${formatValue(r.trainMse)}  (samples: ${formatValue(r.sampleTrainMse)})`],
    ['mS', formatValue(r.mS)],
    ['anisotropy', formatValue(r.anisotropy)],
    ['specialisation', formatValue(r.specialisation)],
  ];
  if (r.mala) lines.push(['MALA acceptance', formatValue(r.mala.acceptance)]);
  lines.push(
    ['R-hat (mS, testMse)', `${formatValue(d.rhat.mS, 3)}, ${formatValue(d.rhat.testMse, 3)}`],
    ['ESS (mS, testMse)', `${formatValue(d.ess.mS, 0)}, ${formatValue(d.ess.testMse, 0)}`],
    [
      'run',
      `${r.samplesPerChain} samples per chain, ${r.seconds.toFixed(1)} s, ` +
        `${r.stepsPerSecond.toFixed(0)} steps/s, backend ${r.backend}, ` +
        `${r.threads} thread${r.threads === 1 ? '' : 's'}` +
        `${r.resumedFromStep > 0 ? `, resumed at step ${r.resumedFromStep}` : ''}`,
    ],
  );
  return keyValueLines(lines);
}

/** Parses the flags, runs SGLD with a progress bar, writes --predict, prints the result. */
export async function runSgldCommand(flags: SgldFlags, io: CliIo): Promise<void> {
  const labels = methodFlagLabels(flags.dataSeed !== undefined);
  const spec = parseSgldSpec(sgldInputFromFlags(flags), labels);
  await preparePredictFile(flags.predict, spec.task);
  if (flags.resume && flags.checkpoint === undefined) {
    throw invalidType('--checkpoint', 'a checkpoint file when --resume is given', undefined);
  }
  const { threads } = flags;
  if (
    threads !== undefined &&
    !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)
  ) {
    throw outOfRange('--threads', `an integer in [1, ${MAX_THREADS}]`, threads);
  }
  printWarnings(io, representabilityWarnings(spec.task, spec.network));
  const progress = createProgress('sgld');
  let result: SgldResult;
  try {
    result = await sgld(spec, {
      labels,
      // At the first report: after every check of the input, before the long work.
      onProgress: (done, total) => {
        warnIfSlowBackend(io);
        progress.update(done, total);
      },
      ...(flags.checkpoint !== undefined && { checkpoint: { path: flags.checkpoint } }),
      resume: flags.resume === true,
      ...(threads !== undefined && { threads }),
    });
  } finally {
    progress.stop();
  }
  if (flags.predict !== undefined) await writePredictions(flags.predict, result.predictions());
  if (flags.json) printJson(io, result);
  else io.stdout(formatSgld(result));
}

/** Registers `sgld` on `program`. */
export function registerSgld(program: Command, io: CliIo): void {
  const command = program
    .command('sgld')
    .description(
      'sample the posterior of a two-layer network with SGLD and report testMse, mS, q, ... ' +
        '(THEORY.md sections 2-4)',
    );
  addTaskOptions(command, { seed: 'sampler' });
  addNetworkOptions(command);
  addSamplerOptions(command);
  command
    .option(
      '--checkpoint <file>',
      'write the full state to FILE (atomically) every --checkpoint-every steps',
    )
    .option(
      '--checkpoint-every <int>',
      'checkpoint interval in steps (default: steps / 20)',
      numberFlag('--checkpoint-every', 'an integer'),
    )
    .option('--resume', 'continue the run saved in --checkpoint (same flags), bit-identically')
    .option(
      '--predict <file>',
      'write the posterior-mean predictor on the test rows to FILE (.csv or .npy)',
    )
    .option(
      '--threads <n>',
      'threads the chains run on, a block of chains each (default: one per chain, up to the ' +
        'cores); the numbers do not depend on it',
      numberFlag('--threads', 'an integer'),
    );
  addJsonOption(command)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  mfl sgld --task parity --d 12 --k 4 --P 400 --N 128 --kappa 0.01 --steps 20000 ' +
        '--seed 1 --json\n' +
        '  mfl sgld --train data/train.csv --test data/test.csv --N 64 --kappa 0.05 ' +
        '--steps 5000 --predict fbar.npy\n' +
        '  mfl sgld ... --checkpoint run.ckpt        (then, after an interruption: same ' +
        'command + --resume)\n' +
        '\nExit codes: 0 success, 1 divergence (non-finite loss: lower --eta) or unexpected ' +
        'failure, 2 bad input.\n',
    )
    .action(async (flags: SgldFlags) => runSgldCommand(flags, io));
}
