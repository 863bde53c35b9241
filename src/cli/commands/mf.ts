/**
 * `mfl mf`: the mean-field theory of a finite-width network (THEORY.md sections 6-7, docs/mf.md),
 * plain MF or MF-ARD (--ard), solved by the particle method on the task's training set, printed as
 * a short table or one JSON object (--json) with the observables under the SGLD names.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { meanField } from '../../methods/mf/run.js';
import { MAX_THREADS } from '../../methods/sgld/run.js';
import { outOfRange } from '../../errors.js';
import type { MfCeiling } from '../../methods/mf/ceiling.js';
import type { MfBranch, MfResult } from '../../methods/mf/result.js';
import { ARD_PRECISIONS, AVERAGES, INITS, SOLVES, parseMfSpec } from '../../methods/mf/spec.js';
import type { MfSpec } from '../../methods/mf/spec.js';
import type { RhoMarginals, RhoSpread } from '../../methods/mf/ard.js';
import { NotConvergedError } from '../errors.js';
import { formatValue, keyValueLines } from '../format.js';
import { printJson } from '../io.js';
import { printWarnings } from '../warnings.js';
import { representabilityWarnings } from '../../tasks/representability.js';
import type { CliIo } from '../io.js';
import {
  addHistogramOptions,
  addJsonOption,
  defined,
  addNetworkOptions,
  addTaskOptions,
  methodFlagLabels,
  numberFlag,
  numberOption,
  taskInputFromFlags,
} from '../options.js';
import type { JsonFlagValue, NetworkFlagValues, TaskFlagValues } from '../options.js';
import { preparePredictFile, writePredictions } from '../predictions.js';
import { createProgress } from '../progress.js';
import { warnIfSlowBackend } from '../fallback.js';
import { runMfCritical } from './mfCritical.js';

interface MfFlags extends TaskFlagValues, NetworkFlagValues, JsonFlagValue {
  dataSeed?: number;
  kappa?: number;
  steps?: number;
  particles?: number;
  dt?: number;
  burnIn?: number;
  sampleEvery?: number;
  observeEvery?: number;
  init?: string;
  solve?: string;
  average?: string;
  ard?: boolean;
  alpha0?: number;
  beta0?: number;
  ardEma?: number;
  ardPrecisions?: string;
  tol?: number;
  driftTol?: number;
  z?: number;
  batches?: number;
  hysteresisTol?: number;
  histBins?: number;
  histRange?: number;
  predict?: string;
  memoryLimit?: number;
  critical?: boolean;
  threads?: number;
}

const NETWORK_FLAGS = ['N', 'gamma', 'activation', 'bias', 'sigmaW', 'sigmaA', 'sigmaB'] as const;
const SOLVER_FLAGS = [
  'kappa',
  'steps',
  'particles',
  'dt',
  'burnIn',
  'sampleEvery',
  'observeEvery',
  'seed',
  'init',
  'solve',
  'average',
  'tol',
  'driftTol',
  'z',
  'batches',
  'hysteresisTol',
  'histBins',
  'histRange',
] as const;
/** MF-ARD flags and the spec fields they set. */
const ARD_FLAGS = {
  alpha0: 'alpha0',
  beta0: 'beta0',
  ardEma: 'ema',
  ardPrecisions: 'precisions',
} as const;

/** The ARD part of the solver spec: --ard, or any ARD setting, turns MF-ARD on. */
function ardInput(flags: MfFlags): Record<string, unknown> | undefined {
  const settings = Object.fromEntries(
    Object.entries(ARD_FLAGS).flatMap(([flag, field]) => {
      const value = flags[flag as keyof typeof ARD_FLAGS];
      return value === undefined ? [] : [[field, value]];
    }),
  );
  if (!flags.ard && Object.keys(settings).length === 0) return undefined;
  return { ard: settings };
}

/** The MF spec the flags describe (not yet validated). */
export function mfInputFromFlags(flags: MfFlags): Record<string, unknown> {
  const dataSeed = flags.dataSeed ?? flags.seed;
  const task = taskInputFromFlags({
    ...flags,
    seed: flags.train === undefined ? dataSeed : undefined,
  });
  return {
    task,
    network: defined(flags, NETWORK_FLAGS),
    solver: {
      ...defined(flags, SOLVER_FLAGS),
      ...ardInput(flags),
      ...(flags.memoryLimit !== undefined && { memoryLimitBytes: flags.memoryLimit }),
    },
  };
}

/** Spec fields whose flag is not their last segment. */
const FLAG_OF_FIELD: Record<string, string> = {
  'solver.ard.ema': '--ard-ema',
  'solver.ard.precisions': '--ard-precisions',
  'solver.memoryLimitBytes': '--memory-limit',
};

/** Spec fields named by their flags. */
function mfFlagLabels(dataSeedGiven: boolean) {
  const base = methodFlagLabels(dataSeedGiven);
  return {
    label: (path: readonly PropertyKey[]) => {
      const dotted = path.map(String).join('.');
      return FLAG_OF_FIELD[dotted] ?? base.label?.(path) ?? dotted;
    },
  };
}

function taskLabel(spec: MfSpec): string {
  const t = spec.task;
  if (t.task === 'custom') return `custom (${t.train}${t.test ? `, test ${t.test}` : ''})`;
  return `${t.task}(d = ${t.d}, k = ${t.k}), P = ${t.P}, P_test = ${t.PTest}, data seed ${t.seed}`;
}

function theoryLabel(r: MfResult): string {
  const ard = r.spec.solver.ard;
  if (!ard) return 'plain MF';
  const neuron = ard.precisions === 'neuron' ? ', neuron-wise precisions' : '';
  return `MF-ARD (alpha0 = ${ard.alpha0}, beta0 = ${ard.beta0}, ema ${ard.ema}${neuron})`;
}

function convergenceText(b: Omit<MfBranch, 'init'>): string {
  const c = b.convergence;
  return (
    `${b.converged ? 'yes' : 'NO'}: residual ${formatValue(c.residual)} ` +
    `(se ${formatValue(c.residualSe)}), drift of ${c.driftOf} ${formatValue(c.drift)} ` +
    `(se ${formatValue(c.driftSe)}); each must be within ${c.z} se of 0` +
    (c.tol === null ? '' : `, the residual <= tol ${c.tol}`) +
    (c.driftTol === null ? '' : `, the drift <= drift-tol ${c.driftTol}`)
  );
}

/** A criterion against what it had to meet: z se, and tol when set. */
function limitText(value: number, se: number | null, z: number, tol: number | null): string {
  const seText = se === null ? 'se n/a' : `${z} se = ${formatValue(z * se)}`;
  return `${formatValue(value)} vs ${seText}${tol === null ? '' : `, tol ${tol}`}`;
}

function rhoText(rho: number[], nRelevant: number): string {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  if (nRelevant === 0 || nRelevant >= rho.length) return formatValue(mean(rho));
  return (
    `${formatValue(mean(rho.slice(0, nRelevant)))} on S, ` +
    `${formatValue(mean(rho.slice(nRelevant)))} off S (means)`
  );
}

/** Neuron-wise precisions: the middle 80% of rho_pj on and off S. */
function rhoSpreadText(m: RhoMarginals): string {
  const range = (x: RhoSpread | null) => x && `${formatValue(x.q10)} to ${formatValue(x.q90)}`;
  const parts = [
    m.relevant && `${range(m.relevant)} on S`,
    m.irrelevant && `${range(m.irrelevant)} off S`,
  ];
  return `${parts.filter((x) => x).join(', ')} (10% to 90% quantiles over particles)`;
}

function branchLines(
  b: Omit<MfBranch, 'init'>,
  nRelevant: number,
  neuron: boolean,
  kernelAverage: boolean,
): [string, string][] {
  const lines: [string, string][] = [
    ['testMse', formatValue(b.testMse)],
    ['trainMse', formatValue(b.trainMse)],
    ['mS', formatValue(b.mS)],
  ];
  if (kernelAverage) {
    lines.push([
      'step average',
      `testMse ${formatValue(b.stepAverage.testMse)}, mS ${formatValue(b.stepAverage.mS)} ` +
        "(the mean of each sample's predictor)",
    ]);
  }
  lines.push(
    ['anisotropy', formatValue(b.anisotropy)],
    ['specialisation', formatValue(b.specialisation)],
  );
  if (b.rho) lines.push(['rho', rhoText(b.rho, nRelevant)]);
  if (neuron && b.rhoMarginals) lines.push(['rho_pj', rhoSpreadText(b.rhoMarginals)]);
  lines.push(['converged', convergenceText(b)]);
  return lines;
}

/** The mean-field ceiling on mS at this width and the squared cosine c^2 behind it. */
function ceilingText(c: MfCeiling, N: number): string {
  return `${formatValue(c.mS)} (N c^2 / (1 + N c^2), c^2 = ${formatValue(c.c2)}, N = ${N})`;
}

/** Target coordinates S of a generated task (the first k, or 1 for single-index). */
function relevantCount(spec: MfSpec): number {
  const t = spec.task;
  if (t.task === 'parity') return t.k;
  if (t.task === 'single-index') return 1;
  return 0;
}

/** Human form: what ran, then the observables (each branch with --init both). */
export function formatMf(r: MfResult): string {
  const { network: n, solver: s } = r.spec;
  const nRelevant = relevantCount(r.spec);
  const neuron = s.ard?.precisions === 'neuron';
  const kernelAverage = s.average === 'kernel';
  const lines: [string, string][] = [
    ['task', taskLabel(r.spec)],
    [
      'network',
      `N = ${n.N}, gamma = ${n.gamma}, ${n.activation}, sigma_w = ${n.sigmaW}, ` +
        `sigma_a = ${n.sigmaA}`,
    ],
    [
      'theory',
      `${theoryLabel(r)}, kappa = ${s.kappa}, ridge = ${formatValue(r.ridge)}; ` +
        `${r.particles} particles x ${s.steps} steps of dt = ${r.dt}, burn-in ${s.burnIn}, ` +
        `${r.samples} samples, ${s.average} average`,
    ],
  ];
  if (r.branches) {
    for (const b of r.branches) {
      lines.push([`-- init ${b.init}`, '']);
      lines.push(...branchLines(b, nRelevant, neuron, kernelAverage));
    }
    lines.push(['hysteresis', r.hysteresis === null ? 'n/a' : r.hysteresis ? 'YES' : 'no']);
  } else {
    lines.push(...branchLines(r, nRelevant, neuron, kernelAverage));
  }
  if (r.ceiling) lines.push(['mS ceiling', ceilingText(r.ceiling, n.N)]);
  lines.push([
    'run',
    `init ${r.init}, ${r.seconds.toFixed(1)} s, ${r.stepsPerSecond.toFixed(0)} steps/s, ` +
      `backend ${r.backend}, ${r.threads} thread${r.threads === 1 ? '' : 's'}`,
  ]);
  return keyValueLines(lines);
}

/** Why one branch did not converge: each criterion against its tolerance. */
function unconvergedText(b: Omit<MfBranch, 'init'>, init: string): string {
  const c = b.convergence;
  const residual =
    c.residual === null
      ? 'residual n/a (too few samples in a half of the sampling window)'
      : `residual ${limitText(c.residual, c.residualSe, c.z, c.tol)}`;
  const drift =
    c.drift === null
      ? `drift of ${c.driftOf} n/a (too few samples for 3 batches)`
      : `drift of ${c.driftOf} ${limitText(Math.abs(c.drift), c.driftSe, c.z, c.driftTol)}`;
  return `init ${init}: ${residual}, ${drift}`;
}

/**
 * The one-line verdict on a result whose branch (or any of both branches) did not converge, or
 * null when every reported branch converged.
 */
export function notConvergedMessage(r: MfResult): string | null {
  const branches = r.branches ?? [{ ...r, init: r.init }];
  const failed = branches.filter((b) => !b.converged);
  if (failed.length === 0) return null;
  const { steps } = r.spec.solver;
  return (
    `mf finished without converging (${failed.map((b) => unconvergedText(b, b.init)).join('; ')}); ` +
    `try more --steps (now ${steps}) or more --particles (now ${r.particles})`
  );
}

/**
 * Parses the flags, solves with a progress bar, writes --predict, prints the result; then throws
 * NotConvergedError (exit code 3) if a reported branch did not converge.
 */
export async function runMfCommand(flags: MfFlags, io: CliIo): Promise<void> {
  if (flags.critical) {
    runMfCritical(flags, io);
    return;
  }
  const labels = mfFlagLabels(flags.dataSeed !== undefined);
  const spec = parseMfSpec(mfInputFromFlags(flags), labels);
  const { threads } = flags;
  if (
    threads !== undefined &&
    !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)
  ) {
    throw outOfRange('--threads', `an integer in [1, ${MAX_THREADS}]`, threads);
  }
  await preparePredictFile(flags.predict, spec.task);
  printWarnings(io, representabilityWarnings(spec.task, spec.network));
  const progress = createProgress(spec.solver.ard ? 'mf-ard' : 'mf');
  let result: MfResult;
  try {
    result = await meanField(spec, {
      labels,
      // At the first report: after every check of the input, before the long work.
      onProgress: (done, total) => {
        warnIfSlowBackend(io);
        progress.update(done, total);
      },
      ...(threads !== undefined && { threads }),
    });
  } finally {
    progress.stop();
  }
  if (flags.predict !== undefined) await writePredictions(flags.predict, result.predictions());
  if (flags.json) printJson(io, result);
  else io.stdout(formatMf(result));
  const unconverged = notConvergedMessage(result);
  if (unconverged !== null) throw new NotConvergedError(unconverged);
}

function addSolverOptions(command: Command): void {
  const int = 'an integer';
  const num = 'a number';
  numberOption(command, '--kappa', 'x', 'noise level (temperature) kappa > 0 (required)', num);
  numberOption(command, '--steps', 'int', 'Langevin steps of the particles (default: 8000)', int);
  numberOption(
    command,
    '--particles',
    'int',
    'particles M (Monte Carlo resolution of q, not the width) (default: clamp(4 N, 256, 2048))',
    int,
  );
  numberOption(command, '--dt', 'x', 'Langevin time step of the particles (default: 0.0025)', num);
  numberOption(
    command,
    '--burn-in',
    'int',
    'steps before time averaging (default: steps / 2)',
    int,
  );
  numberOption(
    command,
    '--sample-every',
    'int',
    'time-average every this many steps after burn-in (default: at most 200 samples)',
    int,
  );
  numberOption(
    command,
    '--observe-every',
    'int',
    'time-series interval in steps (default: steps / 200)',
    int,
  );
  command.addOption(
    new Option(
      '--init <branch>',
      'initial particles: the prior (symmetric), aligned with the target coordinates, or both ' +
        'branches, flagging hysteresis (default: prior)',
    ).choices(INITS),
  );
  command.addOption(
    new Option(
      '--solve <form>',
      'residual solve: the P x P Cholesky, the M x M Woodbury form, or auto (the smaller; default)',
    ).choices(SOLVES),
  );
  command.addOption(
    new Option(
      '--average <what>',
      'what is time-averaged: the kernel K_q, the predictor then formed once (default), or each ' +
        "step's predictor (biased by the particle count M in the kernel limit; docs/mf.md)",
    ).choices(AVERAGES),
  );
  command.option(
    '--ard',
    'MF-ARD: coordinate precisions rho_j updated self-consistently (THEORY.md section 7)',
  );
  numberOption(command, '--alpha0', 'x', 'MF-ARD hyperprior shape alpha0 > 0 (default: 1)', num);
  numberOption(
    command,
    '--beta0',
    'x',
    'MF-ARD hyperprior rate beta0 > 0 (default: alpha0 sigma_w^2, the isotropic fixed point)',
    num,
  );
  numberOption(
    command,
    '--ard-ema',
    'x',
    'MF-ARD EMA rate of the rho_j update per step, in [0, 1]; 0 freezes rho (default: 0.01)',
    num,
  );
  command.addOption(
    new Option(
      '--ard-precisions <kind>',
      'MF-ARD precisions: one rho_j per input coordinate shared by all neurons, or one rho_ij ' +
        'per neuron and coordinate (a Student-t prior per weight) (default: coordinate)',
    ).choices(ARD_PRECISIONS),
  );
  numberOption(
    command,
    '--tol',
    'x',
    'also require the fixed-point residual to be at most this to call the run converged ' +
      '(default: none; it must be within --z standard errors of zero)',
    num,
  );
  numberOption(
    command,
    '--drift-tol',
    'x',
    'as --tol, for the drift of mS over the sampling window (default: none)',
    num,
  );
  numberOption(
    command,
    '--z',
    'x',
    'convergence: residual and drift must be within this many Monte Carlo standard errors ' +
      '(batch means) of zero (default: 3)',
    num,
  );
  numberOption(
    command,
    '--batches',
    'int',
    'batches of the sampling window for the standard errors, even, in [4, 100] (default: 10)',
    int,
  );
  numberOption(
    command,
    '--hysteresis-tol',
    'x',
    '--init both: branches whose mS differ by more than this flag hysteresis (default: 0.1)',
    num,
  );
  addHistogramOptions(command);
  numberOption(
    command,
    '--memory-limit',
    'bytes',
    'refuse runs whose working memory (about 8 (3 M P + min(P, M)^2) bytes) exceeds this ' +
      '(default: 70% of free memory)',
    int,
  );
}

/** Registers `mf` on `program`. */
export function registerMf(program: Command, io: CliIo): void {
  const command = program
    .command('mf')
    .description(
      'mean-field theory at finite width: plain MF or MF-ARD (--ard) solved by particles on the ' +
        'training set; reports testMse, mS, q, rho, ... (THEORY.md sections 6-7)',
    );
  addTaskOptions(command, { seed: 'sampler' });
  addNetworkOptions(
    command,
    'width N of the theory, a number >= 1 (may be huge, e.g. 1e8: the kernel limit)',
  );
  addSolverOptions(command);
  command.option(
    '--critical',
    'print the critical noise kappa_c from the equations instead of solving (parity only; ' +
      'MF-ARD with --ard; THEORY.md section 9); --kappa is not needed',
  );
  command.option(
    '--predict <file>',
    'write the time-averaged MF predictor on the test rows to FILE (.csv or .npy)',
  );
  command.option(
    '--threads <n>',
    "threads a step's particle blocks run on (default: the cores / BLAS threads); the numbers " +
      'do not depend on it',
    numberFlag('--threads', 'an integer'),
  );
  addJsonOption(command)
    .addHelpText(
      'after',
      '\nN is a parameter of the theory here: any number >= 1 (e.g. 1e8 for the kernel limit).\n' +
        '\nExamples:\n' +
        '  mfl mf --task parity --d 12 --k 4 --P 200 --N 128 --kappa 0.01 --seed 1 --json\n' +
        '  mfl mf --task parity --d 12 --k 4 --P 200 --N 128 --kappa 0.01 --seed 1 --ard\n' +
        '  mfl mf ... --init both          (symmetric and aligned starts; flags hysteresis)\n' +
        '  mfl mf --task parity --d 12 --k 4 --P 400 --N 64 --ard --critical\n' +
        '  mfl mf --train data/train.csv --test data/test.csv --N 64 --kappa 0.05 ' +
        '--predict fbar.npy\n' +
        '\nExit codes: 0 success (converged; with --init both, both branches), 1 divergence ' +
        '(lower --dt) or unexpected failure, 2 bad input, 3 finished without converging (the ' +
        'result is printed; stderr says which criterion missed: try more --steps or more ' +
        '--particles).\n',
    )
    .action(async (flags: MfFlags) => runMfCommand(flags, io));
}
