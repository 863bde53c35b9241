/**
 * The native backend: a thin adapter from the `Backend` interface to the addon's one-crossing-per-
 * operation functions. The addon checks every argument again, so a bug here surfaces as a JS
 * exception, never a crash.
 */
import type { NativeAddon, NativeNetworkOptions, NativeTaskOptions } from '../binding.js';
import { cancelled } from '../errors.js';
import type { AsyncOptions, Backend, NetworkShape, TaskParams, TaskRows } from './types.js';

function taskOptions(params: TaskParams, rows: TaskRows): NativeTaskOptions {
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
  return {
    P: shape.P,
    d: shape.d,
    N: shape.N,
    gamma: shape.gamma,
    activation: shape.activation,
    bias: shape.bias,
  };
}

async function runCancellable(
  start: () => { promise: Promise<void>; cancel(): void },
  what: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) throw cancelled(what);
  const job = start();
  const onAbort = (): void => job.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await job.promise;
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
    generateTaskRowsAsync(params: TaskParams, rows: TaskRows, options: AsyncOptions = {}) {
      return runCancellable(
        () =>
          addon.generateTaskRowsAsync(
            taskOptions(params, rows),
            rows.X,
            rows.y,
            options.onProgress ?? null,
          ),
        'generateTaskRows',
        options.signal,
      );
    },
    forward(shape, X, params, f) {
      addon.forward(networkOptions(shape), X, params.W, params.a, params.b, f);
    },
    lossGradient(shape, X, y, params, out) {
      return addon.lossGradient(
        networkOptions(shape),
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
  };
}
