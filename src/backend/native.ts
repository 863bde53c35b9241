/**
 * The native backend: a thin adapter from the `Backend` interface to the addon's one-crossing-per-
 * operation functions. The addon checks every argument again, so a bug here surfaces as a JS
 * exception, never a crash.
 */
import type {
  NativeAddon,
  NativeJob,
  NativeKernelSpec,
  NativeMfAccumulators,
  NativeMfConfig,
  NativeMfState,
  NativeNetworkOptions,
  NativeSgldAccumulators,
  NativeSgldConfig,
  NativeSgldState,
  NativeTaskOptions,
} from '../binding.js';
import { cancelled } from '../errors.js';
import { MF_ACC_KEYS } from '../methods/mf/layout.js';
import { SGLD_ACC_KEYS } from '../methods/sgld/layout.js';
import { objectArgument, parseAsyncOptions } from './options.js';
import type {
  AsyncOptions,
  Backend,
  KernelSpec,
  MfRunResult,
  NetworkShape,
  SgldData,
  SgldRunResult,
  TaskParams,
  TaskRows,
} from './types.js';

function taskOptions(params: TaskParams, rows: TaskRows): NativeTaskOptions {
  objectArgument(params, 'params');
  objectArgument(rows, 'rows');
  return {
    kind: params.kind,
    d: params.d,
    k: params.k,
    labelNoise: params.labelNoise,
    seed: params.seed,
    test: rows.test,
    rowOffset: rows.rowOffset,
  };
}

function networkOptions(shape: NetworkShape): NativeNetworkOptions {
  objectArgument(shape, 'shape');
  return {
    P: shape.P,
    d: shape.d,
    N: shape.N,
    gamma: shape.gamma,
    activation: shape.activation,
    bias: shape.bias,
  };
}

/**
 * A copy of `value` with exactly `keys`: the addon rejects unknown keys, so extra fields a caller's
 * object may carry never reach it.
 */
function pick<T extends object, K extends keyof T>(
  value: T,
  field: string,
  keys: readonly K[],
): Pick<T, K> {
  objectArgument(value, field);
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = value[key];
  return out;
}

/** `keys`, which must list every key of T (else a compile error: the addon needs them all). */
function everyKey<T>() {
  return <const K extends readonly (keyof T)[]>(
    keys: [Exclude<keyof T, K[number]>] extends [never] ? K : never,
  ): K => keys;
}

/** Exactly the addon's keys, as for the kernels' arguments. */
function kernelSpec(s: KernelSpec): NativeKernelSpec {
  return pick(s, 'spec', everyKey<NativeKernelSpec>()(['kernel', 'd', 'sigmaW', 'sigmaB', 'bias']));
}

/** The keys of a step-loop kernel's argument objects (data: the same for every kernel). */
interface StepKernelKeys<C, S, A> {
  config: readonly (keyof C)[];
  state: readonly (keyof S)[];
  acc: readonly (keyof A)[];
}

const DATA_KEYS = everyKey<SgldData>()(['X', 'y', 'XTest', 'yTest', 'targetTest']);

const SGLD_KEYS: StepKernelKeys<NativeSgldConfig, NativeSgldState, NativeSgldAccumulators> = {
  config: everyKey<NativeSgldConfig>()([
    'P',
    'd',
    'N',
    'PTest',
    'chains',
    'gamma',
    'activation',
    'bias',
    'kappa',
    'eta',
    'lossScale',
    'sigmaW',
    'sigmaA',
    'sigmaB',
    'batchSize',
    'freezeW',
    'mala',
    'seed',
    'steps',
    'burnIn',
    'thin',
    'observeEvery',
    'nRelevant',
    'histBins',
    'histRange',
    'precision',
    'threads',
    'integrator',
    'friction',
  ]),
  state: everyKey<NativeSgldState>()(['W', 'a', 'b', 'momentum']),
  acc: everyKey<NativeSgldAccumulators>()(SGLD_ACC_KEYS),
};

/** The driver's config carries more than these. */
const MF_KEYS: StepKernelKeys<NativeMfConfig, NativeMfState, NativeMfAccumulators> = {
  config: everyKey<NativeMfConfig>()([
    'P',
    'd',
    'PTest',
    'M',
    'N',
    'gamma',
    'kappa',
    'sigmaW',
    'sigmaA',
    'activation',
    'dt',
    'seed',
    'branch',
    'steps',
    'burnIn',
    'sampleEvery',
    'observeEvery',
    'batches',
    'nRelevant',
    'ardAlpha0',
    'ardBeta0',
    'ardEma',
    'ardPrecisions',
    'histBins',
    'histRange',
    'solve',
    'average',
    'threads',
  ]),
  state: everyKey<NativeMfState>()(['W', 'rho', 'rPrev']),
  acc: everyKey<NativeMfAccumulators>()(MF_ACC_KEYS),
};

/** The addon's two entry points of a step-loop kernel (sgldRun, mfRun and their async forms). */
interface NativeStepKernel<C, S, A, R> {
  run(config: C, data: SgldData, state: S, acc: A, stepBegin: number, stepEnd: number): R;
  runAsync(
    config: C,
    data: SgldData,
    state: S,
    acc: A,
    stepBegin: number,
    stepEnd: number,
    onProgress: ((done: number, total: number) => void) | null,
  ): NativeJob<R>;
}

/**
 * The backend's sync and async forms of a step-loop kernel: each argument object copied to
 * exactly the addon's keys, the async form cancelled through its signal (rejecting with
 * ERR_MFL_CANCELLED naming `name`).
 */
function stepKernel<C extends object, S extends object, A extends object, R>(
  name: string,
  kernel: NativeStepKernel<C, S, A, R>,
  keys: StepKernelKeys<C, S, A>,
) {
  type Args = [C, SgldData, S, A];
  const args = (config: C, data: SgldData, state: S, acc: A): Args => [
    pick(config, 'config', keys.config),
    pick(data, 'data', DATA_KEYS),
    pick(state, 'state', keys.state),
    pick(acc, 'acc', keys.acc),
  ];
  return {
    run(config: C, data: SgldData, state: S, acc: A, stepBegin: number, stepEnd: number): R {
      return kernel.run(...args(config, data, state, acc), stepBegin, stepEnd);
    },
    async runAsync(
      config: C,
      data: SgldData,
      state: S,
      acc: A,
      stepBegin: number,
      stepEnd: number,
      options?: AsyncOptions,
    ): Promise<R> {
      const { signal, onProgress } = parseAsyncOptions(options);
      return runCancellable(
        () =>
          kernel.runAsync(
            ...args(config, data, state, acc),
            stepBegin,
            stepEnd,
            onProgress ?? null,
          ),
        name,
        signal,
      );
    },
  };
}

async function runCancellable<T>(
  start: () => { promise: Promise<T>; cancel(): void },
  what: string,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal?.aborted) throw cancelled(what);
  const job = start();
  const onAbort = (): void => job.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await job.promise;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export function createNativeBackend(addon: NativeAddon): Backend {
  // Looked up at each call, as the other methods: an addon built before a kernel existed still
  // serves the rest.
  const sgld = stepKernel<NativeSgldConfig, NativeSgldState, NativeSgldAccumulators, SgldRunResult>(
    'sgldRun',
    { run: (...a) => addon.sgldRun(...a), runAsync: (...a) => addon.sgldRunAsync(...a) },
    SGLD_KEYS,
  );
  const mf = stepKernel<NativeMfConfig, NativeMfState, NativeMfAccumulators, MfRunResult>(
    'mfRun',
    { run: (...a) => addon.mfRun(...a), runAsync: (...a) => addon.mfRunAsync(...a) },
    MF_KEYS,
  );
  return {
    name: 'native',
    info() {
      const i = addon.info();
      return {
        backend: 'native',
        version: i.version,
        blas: { vendor: i.blasVendor, config: i.blasConfig, threads: i.blasThreads },
        lapack: i.lapack,
        compiler: i.compiler,
        buildSystem: i.buildSystem,
        cpuFeatures: i.cpuFeatures,
      };
    },
    philox4x32(counter, key) {
      const out = new Uint32Array(4);
      addon.philox4x32(counter, key, out);
      return out;
    },
    fillUniform: (seed, stream, offset, out) => addon.fillUniform(seed, stream, offset, out),
    fillGaussian: (seed, stream, offset, out) => addon.fillGaussian(seed, stream, offset, out),
    generateTaskRows(params, rows) {
      addon.generateTaskRows(taskOptions(params, rows), rows.X, rows.y);
    },
    async generateTaskRowsAsync(params: TaskParams, rows: TaskRows, options?: AsyncOptions) {
      const { signal, onProgress } = parseAsyncOptions(options);
      return runCancellable(
        () =>
          addon.generateTaskRowsAsync(
            taskOptions(params, rows),
            rows.X,
            rows.y,
            onProgress ?? null,
          ),
        'generateTaskRows',
        signal,
      );
    },
    forward(shape, X, params, f) {
      const options = networkOptions(shape);
      objectArgument(params, 'params');
      addon.forward(options, X, params.W, params.a, params.b, f);
    },
    lossGradient(shape, X, y, params, out) {
      const options = networkOptions(shape);
      objectArgument(params, 'params');
      objectArgument(out, 'out');
      return addon.lossGradient(
        options,
        X,
        y,
        params.W,
        params.a,
        params.b,
        out.f,
        out.gW,
        out.ga,
        out.gb,
      );
    },
    gemm(options, A, B, C) {
      objectArgument(options, 'options');
      const { transA, transB, M, N, K, alpha, beta } = options;
      addon.gemm({ transA, transB, M, N, K, alpha, beta }, A, B, C);
    },
    nngpGram: (spec, X, K) => addon.nngpGram(kernelSpec(spec), X, K),
    nngpCross: (spec, Xs, X, K) => addon.nngpCross(kernelSpec(spec), Xs, X, K),
    nngpDiag: (spec, X, out) => addon.nngpDiag(kernelSpec(spec), X, out),
    cholesky: (A, n, ridge) => addon.cholesky(A, n, ridge),
    choleskySolve: (L, n, B) => addon.choleskySolve(L, n, B),
    sgldRun: sgld.run,
    sgldRunAsync: sgld.runAsync,
    mfRun: mf.run,
    mfRunAsync: mf.runAsync,
  };
}
