/**
 * Loads the native addon (built by cmake-js or node-gyp into build/Release) and declares its
 * types. `MFL_ADDON=/path/to/mfl.node` loads a specific build instead (used to test the node-gyp
 * build beside the cmake-js one). Nothing else in src/ touches the addon directly.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options crossing into `generateTaskRows`. */
export interface NativeTaskOptions {
  kind: 'parity' | 'single-index';
  d: number;
  k: number;
  labelNoise: number;
  seed: number;
  test: boolean;
  rowOffset: number;
}

/** Options crossing into `forward` / `lossGradient`. */
export interface NativeNetworkOptions {
  P: number;
  d: number;
  N: number;
  gamma: number;
  activation: 'relu' | 'erf' | 'tanh' | 'linear';
  bias: boolean;
}

/** A running native job: `cancel()` makes `promise` reject with code ERR_MFL_CANCELLED. */
export interface NativeJob {
  promise: Promise<void>;
  cancel(): void;
}

export interface NativeInfo {
  version: string;
  blasVendor: string;
  blasConfig: string;
  blasThreads: number;
  lapack: string;
  compiler: string;
  buildSystem: string;
  cpuFeatures: string[];
  napiVersion: number;
}

export interface NativeAddon {
  info(): NativeInfo;
  philox4x32(counter: Uint32Array, key: Uint32Array, out: Uint32Array): void;
  fillUniform(seed: number, stream: number, offset: number, out: Float64Array): void;
  fillGaussian(seed: number, stream: number, offset: number, out: Float64Array): void;
  generateTaskRows(options: NativeTaskOptions, X: Float64Array, y: Float64Array): void;
  generateTaskRowsAsync(
    options: NativeTaskOptions,
    X: Float64Array,
    y: Float64Array,
    onProgress: ((done: number, total: number) => void) | null,
  ): NativeJob;
  forward(
    options: NativeNetworkOptions,
    X: Float64Array,
    W: Float64Array,
    a: Float64Array,
    b: Float64Array | null,
    f: Float64Array,
  ): void;
  lossGradient(
    options: NativeNetworkOptions,
    X: Float64Array,
    y: Float64Array,
    W: Float64Array,
    a: Float64Array,
    b: Float64Array | null,
    f: Float64Array,
    gW: Float64Array,
    ga: Float64Array,
    gb: Float64Array | null,
  ): number;
}

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: { addon: NativeAddon | null; error: string | null } | undefined;

/** The addon, or null with the reason it could not be loaded. */
export function loadNative(): { addon: NativeAddon | null; error: string | null } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    const explicit = process.env.MFL_ADDON;
    const addon = explicit
      ? (require(path.resolve(explicit)) as NativeAddon)
      : (require('node-gyp-build')(packageRoot) as NativeAddon);
    cached = { addon, error: null };
  } catch (err) {
    cached = {
      addon: null,
      error: err instanceof Error ? err.message.split('\n')[0]! : String(err),
    };
  }
  return cached;
}
