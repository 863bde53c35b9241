/**
 * `meanField()`: the driver of docs/mf.md. Resolves the spec, builds the data, runs the
 * Rao-Blackwellised particle solver for each branch (init prior, aligned or both) as one
 * asynchronous kernel call (`backend.mfRunAsync`, cancellable, with progress), and turns the
 * accumulators into the result.
 */
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { resolveBackend } from '../../backend/index.js';
import { backendOption, progressOption, signalOption } from '../../backend/options.js';
import type { Backend, BackendName } from '../../backend/types.js';
import { cancelled, outOfRange } from '../../errors.js';
import { makeDataset } from '../../tasks/dataset.js';
import { int, labelsOption, parseOptions } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';
import { cleanTarget, relevantCoordinates } from '../../tasks/target.js';
import { defaultMemoryLimit } from '../nngp/krr.js';
import { mfCeiling } from './ceiling.js';
import { createMfAccumulators, mfRunBytes } from './layout.js';
import { BRANCH_INDEX, divergedError, initialState } from './particles.js';
import type { MfConfig, MfData } from './particles.js';
import { buildBranch } from './result.js';
import type { MfBranch, MfResult } from './result.js';
import { parseMfSpec } from './spec.js';
import { defaultSgldThreads, MAX_THREADS } from '../sgld/run.js';
import type { MfSpec, MfSpecInput } from './spec.js';

/** Options of `meanField`. */
export interface MfOptions {
  /** Backend (or its name); default `getBackend()`. */
  backend?: Backend | BackendName;
  /** Cancels at a step boundary; the promise rejects with ERR_MFL_CANCELLED. */
  signal?: AbortSignal;
  /** Progress in steps over all branches: (done, branches x steps). */
  onProgress?: (done: number, total: number) => void;
  labels?: ParseSpecOptions;
  /**
   * Threads the native kernel runs a step's particle blocks and kernel tiles on, integer in
   * [1, 256]; default floor(os.availableParallelism() / BLAS threads), at least 1 (as SGLD's
   * chains). The numbers are bitwise those of one thread (docs/mf.md, "Threads"), so this is a
   * run option, not part of the spec.
   */
  threads?: number;
}

const mfOptionsSchema = z.strictObject({
  backend: backendOption().optional(),
  signal: signalOption().optional(),
  onProgress: progressOption().optional(),
  labels: labelsOption().optional(),
  threads: int(1, MAX_THREADS).optional(),
});

/**
 * The kernel's threads when the option is not given: the cores of this process divided by the
 * BLAS threads of each call (SGLD's rule with no cap from the chains; the kernel itself uses no
 * more threads than a step has blocks or tiles).
 */
export function defaultMfThreads(blasThreads: number): number {
  return defaultSgldThreads(MAX_THREADS, blasThreads);
}

/** What the kernel config needs to know about the data. */
export interface MfDataShape {
  P: number;
  d: number;
  PTest: number;
  /** Leading coordinates in the target set S (0 for custom data). */
  nRelevant: number;
}

/**
 * The solver config of one branch: the spec's settings resolved to numbers. solve 'auto' takes
 * the Woodbury form when P > M, where its M x M factorisation is the smaller one.
 */
export function mfConfig(
  spec: MfSpec,
  init: 'prior' | 'aligned',
  shape: MfDataShape,
  threads = 1,
): MfConfig {
  const { network: net, solver: s } = spec;
  const { P, d, PTest, nRelevant } = shape;
  const M = s.particles;
  const auto = P > M ? 'woodbury' : 'cholesky';
  return {
    P,
    d,
    PTest,
    M,
    N: net.N,
    gamma: net.gamma,
    kappa: s.kappa,
    sigmaW: net.sigmaW,
    sigmaA: net.sigmaA,
    activation: net.activation,
    dt: s.dt,
    seed: s.seed,
    branch: BRANCH_INDEX[init],
    steps: s.steps,
    burnIn: s.burnIn,
    sampleEvery: s.sampleEvery,
    observeEvery: s.observeEvery,
    batches: s.batches,
    nRelevant,
    // Plain MF: ema 0 skips the update, the hyperprior is never read.
    ardAlpha0: s.ard?.alpha0 ?? 1,
    ardBeta0: s.ard?.beta0 ?? net.sigmaW ** 2,
    ardEma: s.ard?.ema ?? 0,
    ardPrecisions: s.ard?.precisions ?? 'coordinate',
    histBins: s.histBins,
    histRange: s.histRange,
    solve: s.solve === 'auto' ? auto : s.solve,
    average: s.average,
    threads,
    init,
    ard: s.ard !== null,
  };
}

/**
 * Refuses, before allocating, a run whose working memory (docs/mf.md, "Memory") exceeds the
 * limit, naming the particle count that would fit.
 */
function checkMemory(config: MfConfig, limit: number, label: (path: PropertyKey[]) => string) {
  const needed = mfRunBytes(config);
  if (needed <= limit) return;
  let M = config.M;
  while (M > 1 && mfRunBytes({ ...config, M }) > limit) M = Math.floor(M / 2);
  const fits = mfRunBytes({ ...config, M }) <= limit;
  // The kernel average keeps S x M x d samples and a P x P matrix; the step average neither.
  const stepAverage =
    config.average === 'kernel' && mfRunBytes({ ...config, average: 'predictor' }) <= limit
      ? `; solver.average 'predictor' (--average predictor) fits with ${config.M} particles`
      : '';
  throw outOfRange(
    label(['solver', 'particles']),
    `a particle count whose working memory fits the limit of ${limit} bytes (this run needs ` +
      `${needed} bytes with ${config.M} particles and P = ${config.P}` +
      (fits ? `; ${M} particles fit` : '; even 1 particle does not fit: reduce P') +
      stepAverage +
      `; raise solver.memoryLimitBytes / --memory-limit knowingly)`,
    config.M,
  );
}

/**
 * Coexisting solutions (docs/mf.md, "Branches and hysteresis"): the branches' mS differ by more
 * than tol and both converged. Branches that differ while one is still moving prove nothing
 * (null: undetermined, run longer), nor do branches without mS (custom data).
 */
export function hysteresisOf(prior: MfBranch, aligned: MfBranch, tol: number): boolean | null {
  if (prior.mS === null || aligned.mS === null) return null;
  if (Math.abs(prior.mS - aligned.mS) <= tol) return false;
  return prior.converged && aligned.converged ? true : null;
}

/**
 * Solves the plain MF (or MF-ARD) self-consistency of THEORY.md sections 6-7 by the
 * Rao-Blackwellised particle method (docs/mf.md).
 *
 * @param input the spec (see `parseMfSpec`)
 * @param options backend ("native", "js" or a Backend), signal (an AbortSignal), onProgress,
 *   labels; unknown keys are errors
 * @returns observables under the SGLD names (time-averaged fbar after burn-in), convergence,
 *   rho (ARD), both branches and the hysteresis flag with init "both"
 * @throws MflRangeError for a bad spec; ERR_MFL_DIVERGED when a particle becomes non-finite;
 *   ERR_MFL_CANCELLED when `signal` aborts
 * @example
 * const r = await meanField({
 *   task: { task: 'parity', d: 12, k: 4, P: 200, seed: 1 },
 *   network: { N: 128 },
 *   solver: { kappa: 0.01, steps: 6000, seed: 1 },
 * });
 */
export async function meanField(
  input: MfSpecInput | MfSpec,
  optionsInput: MfOptions = {},
): Promise<MfResult> {
  const options: MfOptions = parseOptions(mfOptionsSchema, optionsInput);
  const spec = parseMfSpec(input, options.labels);
  const label = options.labels?.label ?? ((path) => path.map(String).join('.'));
  if (spec.network.bias) {
    throw outOfRange(
      label(['network', 'bias']),
      'false (the MF solver has no bias yet; docs/mf.md)',
      true,
    );
  }
  const backend = resolveBackend(options.backend);
  const threads = options.threads ?? defaultMfThreads(backend.info().blas?.threads ?? 1);
  const dataset = await makeDataset(spec.task, { backend, signal: options.signal });
  if (dataset.P < 1) throw outOfRange(label(['task', 'P']), 'an integer >= 1 for mf', dataset.P);
  const data: MfData = {
    X: dataset.X,
    y: dataset.y,
    XTest: dataset.XTest,
    yTest: dataset.yTest,
    targetTest: cleanTarget(dataset),
  };
  const nRelevant = relevantCoordinates(dataset);
  const inits: ('prior' | 'aligned')[] =
    spec.solver.init === 'both' ? ['prior', 'aligned'] : [spec.solver.init];
  const { steps } = spec.solver;
  const total = inits.length * steps;
  const started = performance.now();
  const built: ReturnType<typeof buildBranch>[] = [];
  const memoryLimit = spec.solver.memoryLimitBytes ?? defaultMemoryLimit();
  checkMemory(mfConfig(spec, inits[0]!, { ...dataset, nRelevant }, threads), memoryLimit, label);
  for (const [b, init] of inits.entries()) {
    const config = mfConfig(spec, init, { ...dataset, nRelevant }, threads);
    const state = initialState(config, backend);
    const acc = createMfAccumulators(config);
    if (options.signal?.aborted) throw cancelled('mf');
    const onProgress = options.onProgress;
    const result = await backend.mfRunAsync(config, data, state, acc, 0, steps, {
      signal: options.signal,
      onProgress: onProgress && ((done) => onProgress(b * steps + done, total)),
    });
    if (result.failure !== 'none') throw divergedError(config, result);
    if (result.stepsDone !== steps) throw cancelled('mf');
    built.push(
      buildBranch({
        config,
        data,
        state,
        acc,
        tol: spec.solver.tol,
        driftTol: spec.solver.driftTol,
        z: spec.solver.z,
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const first = built[0]!;
  const branches: MfBranch[] = built.map((x) => x.branch);
  const hysteresis =
    branches.length === 2
      ? hysteresisOf(branches[0]!, branches[1]!, spec.solver.hysteresisTol)
      : null;
  const top: Omit<MfBranch, 'init'> & { init?: unknown } = { ...first.branch };
  delete top.init;
  const result: Omit<MfResult, 'predictions'> = {
    method: spec.solver.ard ? 'mf-ard' : 'mf',
    spec,
    ...top,
    init: spec.solver.init,
    branches: branches.length === 2 ? branches : null,
    hysteresis,
    particles: spec.solver.particles,
    dt: spec.solver.dt,
    ridge: spec.solver.kappa * spec.network.N ** (2 * spec.network.gamma - 1),
    ceiling: mfCeiling(spec.task, spec.network.N, spec.network.activation),
    backend: backend.name,
    version: backend.info().version,
    seconds,
    stepsPerSecond: seconds > 0 ? total / seconds : 0,
    threads: backend.name === 'native' ? threads : 1,
  };
  Object.defineProperty(result, 'predictions', {
    value: (split: 'test' | 'train' = 'test') =>
      (split === 'train' ? first.fbarTrain : first.fbarTest).slice(),
    enumerable: false,
  });
  return result as MfResult;
}
