/**
 * `sgld()`: the driver of docs/sgld.md. Resolves the spec, builds the data, draws the initial
 * parameters, picks the step size, runs the backend's kernel in chunks (checkpointing between
 * them) and turns the accumulators into the result (THEORY.md sections 2-4).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { resolveBackend } from '../../backend/index.js';
import { backendOption, progressOption, signalOption } from '../../backend/options.js';
import type {
  Backend,
  BackendName,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldState,
} from '../../backend/types.js';
import { MflError, cancelled, invalidType, outOfRange } from '../../errors.js';
import { sampleNetworkPrior } from '../../network/network.js';
import { makeDataset } from '../../tasks/dataset.js';
import type { Dataset } from '../../tasks/dataset.js';
import { ensureWritableDir } from '../../tasks/io/files.js';
import { int, labelsOption, nonEmptyString, parseOptions } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';
import { checkResumable, dataDigest, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { defaultEta, defaultFriction, etaRuleText } from './eta.js';
import { createSgldAccumulators } from './layout.js';
import { priorRun } from './prior.js';
import { buildResult } from './result.js';
import type { SgldResult } from './result.js';
import { parseSgldSpec } from './spec.js';
import type { SgldSpec, SgldSpecInput } from './spec.js';
import { cleanTarget, relevantCoordinates } from '../../tasks/target.js';
import { Purpose, streamId } from '../../rng/streams.js';

/** Default checkpoint interval: 20 checkpoints over the run. */
export const DEFAULT_CHECKPOINTS_PER_RUN = 20;
/** Largest `threads` option (the native kernel's limit). */
export const MAX_THREADS = 256;

/** Options of `sgld`. */
export interface SgldOptions {
  /** Backend (or its name); default `getBackend()` (MFL_BACKEND, else native when it loads). */
  backend?: Backend | BackendName;
  /** Cancels the run at a step boundary; the promise rejects with ERR_MFL_CANCELLED. */
  signal?: AbortSignal;
  /** Progress in steps of the whole run: (done, steps), done counting resumed steps. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Write a checkpoint to `path` every `every` steps (default: sampler.checkpointEvery, else
   * ceil(steps / 20)) and at the end. Without `resume`, `path` must not exist yet.
   */
  checkpoint?: { path: string; every?: number };
  /** Continue the run saved in `checkpoint.path` (required then); the spec must match it. */
  resume?: boolean;
  /** How spec fields are named in messages (the CLI names flags). */
  labels?: ParseSpecOptions;
  /**
   * Threads the native kernel runs the chains on, integer in [1, 256]; default
   * min(chains, floor(os.availableParallelism() / BLAS threads)), at least 1 (the `mfl` command
   * runs BLAS with one thread, so there it is min(chains, cores)). Each thread owns a block of
   * chains and the numbers are bitwise those of one thread (docs/sgld.md, "Threads"), so this is
   * a run option rather than part of the spec: a checkpoint resumes with any value. The js
   * backend runs the chains one after another whatever it is.
   */
  threads?: number;
}

/** A run's inputs: resolved spec, kernel config, data and the initial state. */
export interface SgldSetup {
  spec: SgldSpec;
  config: SgldConfig;
  data: SgldData;
  state: SgldState;
  eta: number | null;
  etaRule: string;
}

const sgldOptionsSchema = z.strictObject({
  backend: backendOption().optional(),
  signal: signalOption().optional(),
  onProgress: progressOption().optional(),
  checkpoint: z.strictObject({ path: nonEmptyString(), every: int(1).optional() }).optional(),
  resume: z.boolean({ error: 'a boolean' }).optional(),
  labels: labelsOption().optional(),
  threads: int(1, MAX_THREADS).optional(),
});

function labelOf(options: SgldOptions): (path: readonly PropertyKey[]) => string {
  return options.labels?.label ?? ((path) => path.map(String).join('.'));
}

/**
 * Every chain's initial parameters: chain c is sampleNetworkPrior(network, d, seed, c); with
 * BAOAB also its momenta, N(0, kappa) from stream momentumInit/c (values p = 0..nParams-1).
 */
function initialState(spec: SgldSpec, d: number, backend: Backend): SgldState {
  const { N, bias } = spec.network;
  const { chains, seed, kappa } = spec.sampler;
  const nParams = N * d + N + (bias ? N : 0);
  const state: SgldState = {
    W: new Float64Array(chains * N * d),
    a: new Float64Array(chains * N),
    b: bias ? new Float64Array(chains * N) : null,
    ...(spec.sampler.integrator === 'baoab' && { momentum: new Float64Array(chains * nParams) }),
  };
  for (let c = 0; c < chains; c++) {
    const net = sampleNetworkPrior(spec.network, d, seed, c, { backend });
    state.W.set(net.W, c * N * d);
    state.a.set(net.a, c * N);
    if (state.b && net.b) state.b.set(net.b, c * N);
    if (state.momentum) {
      const momentum = state.momentum.subarray(c * nParams, (c + 1) * nParams);
      backend.fillGaussian(seed, streamId(Purpose.momentumInit, c), 0, momentum);
      for (let p = 0; p < nParams; p++) momentum[p]! *= Math.sqrt(kappa);
    }
  }
  return state;
}

/**
 * The kernel's threads when the option is not given: one per chain, up to the cores of this
 * process divided by the BLAS threads of each call. Chain threads that each call a multi-threaded
 * OpenBLAS oversubscribe the cores and wait on each other: measured 5-8x slower than one thread
 * (BENCHMARKS.md), so with OPENBLAS_NUM_THREADS unset on a 2-core machine the default is 1.
 */
export function defaultSgldThreads(chains: number, blasThreads: number): number {
  const cores = Math.floor(os.availableParallelism() / Math.max(1, blasThreads));
  return Math.max(1, Math.min(chains, cores, MAX_THREADS));
}

function kernelConfig(spec: SgldSpec, dataset: Dataset, threads: number): SgldConfig {
  const { network: net, sampler: s } = spec;
  const { P } = dataset;
  return {
    P,
    d: dataset.d,
    N: net.N,
    PTest: dataset.PTest,
    chains: s.chains,
    gamma: net.gamma,
    activation: net.activation,
    bias: net.bias,
    kappa: s.kappa,
    eta: s.eta ?? 0,
    lossScale: s.loss === 'mean' && P > 0 ? 1 / P : 1,
    sigmaW: net.sigmaW,
    sigmaA: net.sigmaA,
    sigmaB: net.sigmaB,
    batchSize: s.batchSize ?? P,
    freezeW: s.freezeW,
    mala: s.mala,
    seed: s.seed,
    steps: s.steps,
    burnIn: s.burnIn,
    thin: s.thin,
    observeEvery: s.observeEvery,
    nRelevant: relevantCoordinates(dataset),
    histBins: s.histBins,
    histRange: s.histRange,
    precision: spec.precision,
    threads,
    ...(s.integrator === 'baoab' && {
      integrator: 'baoab' as const,
      friction: s.friction ?? defaultFriction({ ...net, kappa: s.kappa, freezeW: s.freezeW }),
    }),
  };
}

/** Threads the native kernel runs `config` on (sgldThreadCount of native/core/sgld.hpp). */
export function sgldThreadCount(config: Pick<SgldConfig, 'threads' | 'chains'>): number {
  return Math.min(config.threads, config.chains);
}

/** Checks that need the data: the batch size of custom data. */
function checkAgainstData(spec: SgldSpec, dataset: Dataset, options: SgldOptions): void {
  const { batchSize } = spec.sampler;
  if (batchSize !== null && batchSize > dataset.P) {
    throw outOfRange(
      labelOf(options)(['sampler', 'batchSize']),
      `null (full batch) or an integer in [1, P] = [1, ${dataset.P}]`,
      batchSize,
    );
  }
}

/**
 * Everything `sgld` computes before running the kernel: data, kernel config (eta resolved),
 * initial state. For tests and tools that drive `Backend.sgldRun` themselves.
 */
export async function prepareSgld(
  spec: SgldSpec,
  backend: Backend,
  options: Pick<SgldOptions, 'signal' | 'labels' | 'threads'> = {},
): Promise<SgldSetup> {
  const dataset = await makeDataset(spec.task, { backend, signal: options.signal });
  checkAgainstData(spec, dataset, options);
  const blasThreads = backend.info().blas?.threads ?? 1;
  const threads = options.threads ?? defaultSgldThreads(spec.sampler.chains, blasThreads);
  const config = kernelConfig(spec, dataset, threads);
  const data: SgldData = {
    X: dataset.X,
    y: dataset.y,
    XTest: dataset.XTest,
    yTest: dataset.yTest,
    targetTest: cleanTarget(dataset),
  };
  const state = initialState(spec, dataset.d, backend);
  let eta = spec.sampler.eta;
  let etaRule = 'given';
  if (dataset.P === 0) {
    etaRule = 'none: P = 0, the posterior is the prior and is sampled exactly';
  } else if (eta === null) {
    const estimate = defaultEta(config, data, state);
    eta = estimate.eta;
    etaRule = etaRuleText(estimate);
  }
  config.eta = eta ?? 0;
  const friction = config.integrator === 'baoab' ? { friction: config.friction } : {};
  const resolved = { ...spec, sampler: { ...spec.sampler, eta, ...friction } };
  return { spec: resolved, config, data, state, eta, etaRule };
}

/** Where a resumed run starts: the checkpoint's step, state and accumulators. */
async function resumeFrom(
  file: string,
  setup: SgldSetup,
  acc: SgldAccumulators,
  backend: Backend,
  options: SgldOptions,
): Promise<number> {
  const { header, state, acc: stored } = await readCheckpoint(file);
  checkResumable(
    file,
    header,
    {
      spec: setup.spec,
      dataDigest: dataDigest(setup.data),
      backend: backend.name,
      version: backend.info().version,
    },
    labelOf(options),
  );
  copyInto(file, 'W', setup.state.W, state.W);
  copyInto(file, 'a', setup.state.a, state.a);
  if (setup.state.b) copyInto(file, 'b', setup.state.b, state.b);
  if (setup.state.momentum)
    copyInto(file, 'momentum', setup.state.momentum, state.momentum ?? null);
  for (const key of Object.keys(acc) as (keyof SgldAccumulators)[]) {
    copyInto(file, key, acc[key], stored[key]);
  }
  return header.step;
}

function copyInto(file: string, name: string, target: Float64Array, source: Float64Array | null) {
  if (!source || source.length !== target.length) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `${file}: checkpoint array "${name}" has ${source?.length ?? 0} values, expected ` +
        `${target.length}`,
    );
  }
  target.set(source);
}

function divergedError(
  setup: SgldSetup,
  chain: number,
  step: number,
  lastCheckpoint: { path: string; step: number } | null,
): MflError {
  const eta = setup.config.eta;
  const smaller = Number((eta / 4).toPrecision(3));
  const kept = lastCheckpoint
    ? `; the last checkpoint (${lastCheckpoint.path}, step ${lastCheckpoint.step}) is intact`
    : '';
  return new MflError(
    'ERR_MFL_DIVERGED',
    `SGLD diverged at step ${step} in chain ${chain}: the loss or a parameter became ` +
      `non-finite with eta = ${eta}; try a smaller step size, e.g. --eta ${smaller} ` +
      `(eta: ${smaller})${kept}`,
  );
}

/** Resolves on the next turn of the event loop. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Steps [begin, end) of the P = 0 path, in slices with yields so cancelling works. */
async function runPrior(
  backend: Backend,
  setup: SgldSetup,
  acc: SgldAccumulators,
  begin: number,
  end: number,
  options: SgldOptions,
): Promise<void> {
  const { config } = setup;
  const slice = Math.max(1, config.thin, config.observeEvery);
  for (let t = begin; t < end; t += slice) {
    await nextTurn();
    if (options.signal?.aborted) throw cancelled('sgld');
    const stop = Math.min(end, t + slice);
    priorRun(backend, config, setup.data, setup.state, acc, t, stop);
    options.onProgress?.(stop, config.steps);
  }
}

/** Steps [begin, end) on the backend's kernel; throws ERR_MFL_DIVERGED on divergence. */
async function runChunk(
  backend: Backend,
  setup: SgldSetup,
  acc: SgldAccumulators,
  begin: number,
  end: number,
  options: SgldOptions,
  lastCheckpoint: { path: string; step: number } | null,
): Promise<void> {
  const { config } = setup;
  if (config.P === 0) return runPrior(backend, setup, acc, begin, end, options);
  const onProgress = options.onProgress;
  const result = await backend.sgldRunAsync(config, setup.data, setup.state, acc, begin, end, {
    signal: options.signal,
    onProgress: onProgress && ((done) => onProgress(begin + done, config.steps)),
  });
  if (result.divergedChain >= 0) {
    throw divergedError(setup, result.divergedChain, result.divergedStep, lastCheckpoint);
  }
  if (result.stepsDone !== end - begin) throw cancelled('sgld');
}

function checkpointEvery(setup: SgldSetup, options: SgldOptions): number {
  const every = options.checkpoint?.every;
  const { steps, checkpointEvery: fromSpec } = setup.spec.sampler;
  return every ?? fromSpec ?? Math.max(1, Math.ceil(steps / DEFAULT_CHECKPOINTS_PER_RUN));
}

function checkCheckpointOptions(options: SgldOptions): void {
  const file = options.checkpoint?.path;
  if (options.resume && file === undefined) {
    throw invalidType(
      'options.checkpoint.path',
      'a checkpoint file when resume is true',
      undefined,
    );
  }
  if (!options.resume && file !== undefined && fs.existsSync(file)) {
    throw new MflError(
      'ERR_MFL_IO',
      `checkpoint ${file} already exists: resume it (resume: true, --resume) or remove it`,
    );
  }
}

/** What the chunk loop works on. */
interface RunContext {
  backend: Backend;
  setup: SgldSetup;
  acc: SgldAccumulators;
  options: SgldOptions;
  version: string;
}

/** Steps [from, steps) in chunks ending at multiples of the checkpoint interval, each followed
 *  by a checkpoint when a file is given. */
async function runFrom(from: number, ctx: RunContext): Promise<void> {
  const { backend, setup, acc, options } = ctx;
  const { steps } = setup.config;
  const file = options.checkpoint?.path;
  const every = file === undefined ? steps : checkpointEvery(setup, options);
  const digest = file === undefined ? '' : dataDigest(setup.data);
  let last = file !== undefined && options.resume ? { path: file, step: from } : null;
  for (let step = from; step < steps;) {
    const end = Math.min(steps, (Math.floor(step / every) + 1) * every);
    await runChunk(backend, setup, acc, step, end, options, last);
    step = end;
    if (file !== undefined) {
      const header = { version: ctx.version, backend: backend.name, step, spec: setup.spec };
      await writeCheckpoint(file, { ...header, dataDigest: digest }, setup.state, acc);
      last = { path: file, step };
    }
  }
}

/**
 * Samples the Gibbs posterior of a two-layer network with SGLD (THEORY.md sections 2-4;
 * the exact algorithm is docs/sgld.md).
 *
 * P = 0 is sampled exactly (every sample step an independent prior draw): the posterior is the
 * Gaussian prior, and the kernel needs data. The result's eta is then null.
 *
 * @param input the spec (see `parseSgldSpec` for fields, ranges and defaults)
 * @param options backend ("native", "js" or a Backend), signal (an AbortSignal), onProgress,
 *   checkpoint ({path, every?}: a non-empty path, an integer every >= 1), resume (a boolean),
 *   labels, threads (an integer in [1, 256], default min(chains, cores / BLAS threads));
 *   unknown keys are errors
 * @returns the observables of THEORY.md section 4 pooled over chains, diagnostics, the
 *   normalised spec, eta and how it was chosen, backend, version and timing
 * @throws MflTypeError / MflRangeError / MflError ERR_MFL_UNKNOWN_OPTION for a bad spec, naming
 *   the field; MflRangeError naming the first differing field when a checkpoint to resume
 *   belongs to another run
 * @throws MflError ERR_MFL_DIVERGED when the loss or a parameter becomes non-finite (the message
 *   names the step and chain and suggests a smaller eta); the last checkpoint stays valid
 * @throws MflError ERR_MFL_CANCELLED when `signal` aborts; ERR_MFL_IO / ERR_MFL_FORMAT for data or
 *   checkpoint files
 * @example
 * const r = await sgld({
 *   task: { task: 'parity', d: 12, k: 4, P: 400, seed: 1 },
 *   network: { N: 128 },
 *   sampler: { kappa: 0.01, steps: 20000, seed: 1 },
 * });
 * r.testMse; // well below 0.1: the parity is learned
 */
export async function sgld(
  input: SgldSpecInput | SgldSpec,
  optionsInput: SgldOptions = {},
): Promise<SgldResult> {
  const options: SgldOptions = parseOptions(sgldOptionsSchema, optionsInput);
  const spec = parseSgldSpec(input, options.labels);
  checkCheckpointOptions(options);
  const backend = resolveBackend(options.backend);
  if (options.checkpoint) await ensureWritableDir(path.dirname(options.checkpoint.path));
  const setup = await prepareSgld(spec, backend, options);
  const { steps } = setup.config;
  const acc = createSgldAccumulators(setup.config);
  const file = options.checkpoint?.path;
  const version = backend.info().version;
  const resumedFromStep =
    options.resume && file !== undefined ? await resumeFrom(file, setup, acc, backend, options) : 0;
  const started = performance.now();
  await runFrom(resumedFromStep, { backend, setup, acc, options, version });
  const seconds = (performance.now() - started) / 1000;
  return buildResult(
    {
      spec: setup.spec,
      config: setup.config,
      data: setup.data,
      eta: setup.eta,
      etaRule: setup.etaRule,
      backend: backend.name,
      version,
      seconds,
      stepsRun: steps - resumedFromStep,
      resumedFromStep,
      threads: backend.name === 'native' && setup.config.P > 0 ? sgldThreadCount(setup.config) : 1,
    },
    acc,
  );
}
