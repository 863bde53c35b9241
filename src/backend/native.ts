/**
 * The native backend: a thin adapter from the `Backend` interface to the addon's one-crossing-per-
 * operation functions. The addon checks every argument again, so a bug here surfaces as a JS
 * exception, never a crash.
 */
import type {
  NativeAddon,
  NativeKernelSpec,
  NativeMfAccumulators,
  NativeMfConfig,
  NativeMfData,
  NativeMfState,
  NativeNetworkOptions,
  NativeSgldAccumulators,
  NativeSgldConfig,
  NativeSgldData,
  NativeSgldState,
  NativeTaskOptions,
} from '../binding.js';
import { cancelled } from '../errors.js';
import { objectArgument, parseAsyncOptions } from './options.js';
import type {
  AsyncOptions,
  Backend,
  KernelSpec,
  MfAccumulators,
  MfData,
  MfKernelConfig,
  MfState,
  NetworkShape,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldState,
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
 * Exactly the addon's keys (it rejects unknown ones), so extra fields a caller's object may carry
 * never reach it.
 */
function sgldConfig(c: SgldConfig): NativeSgldConfig {
  objectArgument(c, 'config');
  return {
    P: c.P,
    d: c.d,
    N: c.N,
    PTest: c.PTest,
    chains: c.chains,
    gamma: c.gamma,
    activation: c.activation,
    bias: c.bias,
    kappa: c.kappa,
    eta: c.eta,
    lossScale: c.lossScale,
    sigmaW: c.sigmaW,
    sigmaA: c.sigmaA,
    sigmaB: c.sigmaB,
    batchSize: c.batchSize,
    freezeW: c.freezeW,
    mala: c.mala,
    seed: c.seed,
    steps: c.steps,
    burnIn: c.burnIn,
    thin: c.thin,
    observeEvery: c.observeEvery,
    nRelevant: c.nRelevant,
    histBins: c.histBins,
    histRange: c.histRange,
    precision: c.precision,
    threads: c.threads,
  };
}

/** Exactly the addon's keys, as for sgldConfig. */
function kernelSpec(s: KernelSpec): NativeKernelSpec {
  objectArgument(s, 'spec');
  return { kernel: s.kernel, d: s.d, sigmaW: s.sigmaW, sigmaB: s.sigmaB, bias: s.bias };
}

function sgldData(d: SgldData): NativeSgldData {
  objectArgument(d, 'data');
  return { X: d.X, y: d.y, XTest: d.XTest, yTest: d.yTest, targetTest: d.targetTest };
}

function sgldState(s: SgldState): NativeSgldState {
  objectArgument(s, 'state');
  return { W: s.W, a: s.a, b: s.b };
}

function sgldAccumulators(a: SgldAccumulators): NativeSgldAccumulators {
  objectArgument(a, 'acc');
  return {
    nSamples: a.nSamples,
    sumFTest: a.sumFTest,
    sumFTrain: a.sumFTrain,
    sumSampleTestMse: a.sumSampleTestMse,
    sumSampleTrainMse: a.sumSampleTrainMse,
    traceMS: a.traceMS,
    traceTestMse: a.traceTestMse,
    sumQ: a.sumQ,
    hist: a.hist,
    moments: a.moments,
    sumSpecialisation: a.sumSpecialisation,
    series: a.series,
    malaProposed: a.malaProposed,
    malaAccepted: a.malaAccepted,
  };
}

/** Exactly the addon's keys, as for sgldConfig (the driver's config carries more). */
function mfConfig(c: MfKernelConfig): NativeMfConfig {
  objectArgument(c, 'config');
  return {
    P: c.P,
    d: c.d,
    PTest: c.PTest,
    M: c.M,
    N: c.N,
    gamma: c.gamma,
    kappa: c.kappa,
    sigmaW: c.sigmaW,
    sigmaA: c.sigmaA,
    activation: c.activation,
    dt: c.dt,
    seed: c.seed,
    branch: c.branch,
    steps: c.steps,
    burnIn: c.burnIn,
    sampleEvery: c.sampleEvery,
    observeEvery: c.observeEvery,
    batches: c.batches,
    nRelevant: c.nRelevant,
    ardAlpha0: c.ardAlpha0,
    ardBeta0: c.ardBeta0,
    ardEma: c.ardEma,
    histBins: c.histBins,
    histRange: c.histRange,
    solve: c.solve,
  };
}

function mfData(d: MfData): NativeMfData {
  return sgldData(d);
}

function mfState(s: MfState): NativeMfState {
  objectArgument(s, 'state');
  return { W: s.W, rho: s.rho, rPrev: s.rPrev };
}

function mfAccumulators(a: MfAccumulators): NativeMfAccumulators {
  objectArgument(a, 'acc');
  return {
    nSamples: a.nSamples,
    sumFTest: a.sumFTest,
    sumFTrain: a.sumFTrain,
    sumFTrainBatch: a.sumFTrainBatch,
    batchSums: a.batchSums,
    sumQ: a.sumQ,
    sumSpecialisation: a.sumSpecialisation,
    hist: a.hist,
    moments: a.moments,
    counts: a.counts,
    sumStepChange: a.sumStepChange,
    nStepChange: a.nStepChange,
    series: a.series,
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
    sgldRun(config, data, state, acc, stepBegin, stepEnd) {
      return addon.sgldRun(
        sgldConfig(config),
        sgldData(data),
        sgldState(state),
        sgldAccumulators(acc),
        stepBegin,
        stepEnd,
      );
    },
    async sgldRunAsync(config, data, state, acc, stepBegin, stepEnd, options?: AsyncOptions) {
      const { signal, onProgress } = parseAsyncOptions(options);
      return runCancellable(
        () =>
          addon.sgldRunAsync(
            sgldConfig(config),
            sgldData(data),
            sgldState(state),
            sgldAccumulators(acc),
            stepBegin,
            stepEnd,
            onProgress ?? null,
          ),
        'sgldRun',
        signal,
      );
    },
    mfRun(config, data, state, acc, stepBegin, stepEnd) {
      return addon.mfRun(
        mfConfig(config),
        mfData(data),
        mfState(state),
        mfAccumulators(acc),
        stepBegin,
        stepEnd,
      );
    },
    async mfRunAsync(config, data, state, acc, stepBegin, stepEnd, options?: AsyncOptions) {
      const { signal, onProgress } = parseAsyncOptions(options);
      return runCancellable(
        () =>
          addon.mfRunAsync(
            mfConfig(config),
            mfData(data),
            mfState(state),
            mfAccumulators(acc),
            stepBegin,
            stepEnd,
            onProgress ?? null,
          ),
        'mfRun',
        signal,
      );
    },
  };
}
