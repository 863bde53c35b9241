/**
 * Loads the native addon and declares its types. node-gyp-build picks a local build
 * (build/Release, from cmake-js or node-gyp) when there is one, else the package's prebuild
 * (prebuilds/<platform>-<arch>/, made by scripts/prebuild.mjs). `MFL_ADDON=/path/to/mfl.node`
 * loads a specific build instead (used to test one build beside another). Nothing else in src/
 * touches the addon directly.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  MfAccumulators,
  MfData,
  MfKernelConfig,
  MfRunResult,
  MfState,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldState,
} from './backend/types.js';

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

/** Kernel spec crossing into `nngpGram` / `nngpCross` / `nngpDiag` (KernelSpec, every key). */
export interface NativeKernelSpec {
  kernel: 'relu' | 'erf' | 'linear';
  d: number;
  sigmaW: number;
  sigmaB: number;
  bias: boolean;
}

/** A running native job: `cancel()` makes `promise` reject with code ERR_MFL_CANCELLED. */
export interface NativeJob<T = void> {
  promise: Promise<T>;
  cancel(): void;
}

// The SGLD kernel's arguments cross unchanged (every key required, no extra keys: the native
// adapter copies exactly these), so the native types are the backend's own.
export type NativeSgldConfig = SgldConfig;
export type NativeSgldData = SgldData;
export type NativeSgldState = SgldState;
export type NativeSgldAccumulators = SgldAccumulators;

// Likewise the mean-field kernel's (docs/mf.md, "Kernel contract").
export type NativeMfConfig = MfKernelConfig;
export type NativeMfData = MfData;
export type NativeMfState = MfState;
export type NativeMfAccumulators = MfAccumulators;
export type NativeMfResult = MfRunResult;

export interface NativeSgldResult {
  stepsDone: number;
  divergedChain: number;
  divergedStep: number;
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
  sgldRun(
    config: NativeSgldConfig,
    data: NativeSgldData,
    state: NativeSgldState,
    acc: NativeSgldAccumulators,
    stepBegin: number,
    stepEnd: number,
  ): NativeSgldResult;
  sgldRunAsync(
    config: NativeSgldConfig,
    data: NativeSgldData,
    state: NativeSgldState,
    acc: NativeSgldAccumulators,
    stepBegin: number,
    stepEnd: number,
    onProgress: ((done: number, total: number) => void) | null,
  ): NativeJob<NativeSgldResult>;
  mfRun(
    config: NativeMfConfig,
    data: NativeMfData,
    state: NativeMfState,
    acc: NativeMfAccumulators,
    stepBegin: number,
    stepEnd: number,
  ): NativeMfResult;
  mfRunAsync(
    config: NativeMfConfig,
    data: NativeMfData,
    state: NativeMfState,
    acc: NativeMfAccumulators,
    stepBegin: number,
    stepEnd: number,
    onProgress: ((done: number, total: number) => void) | null,
  ): NativeJob<NativeMfResult>;
  gemm(options: GemmOptions, A: Float64Array, B: Float64Array, C: Float64Array): void;
  /** K (P x P) = K(X, X); P = X.length / d. */
  nngpGram(spec: NativeKernelSpec, X: Float64Array, K: Float64Array): void;
  /** K (Q x P) = K(Xs, X); Q = Xs.length / d, P = X.length / d. */
  nngpCross(spec: NativeKernelSpec, Xs: Float64Array, X: Float64Array, K: Float64Array): void;
  /** out (P) = K(x, x) per row of X. */
  nngpDiag(spec: NativeKernelSpec, X: Float64Array, out: Float64Array): void;
  /** A (n x n) <- L, L L^T = A + ridge I; returns LAPACK's info (0, or the failing minor's order). */
  cholesky(A: Float64Array, n: number, ridge: number): number;
  /** B (nrhs x n, nrhs = B.length / n) <- (L L^T)^-1 B. */
  choleskySolve(L: Float64Array, n: number, B: Float64Array): void;
}

/** C (M x N) = alpha op(A) op(B) + beta C, row-major; op(A) is M x K, op(B) is K x N. */
export interface GemmOptions {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
}

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Which addon file was loaded: a local build, the package's prebuild, or MFL_ADDON's. */
export type NativeAddonSource = 'local build' | 'prebuild' | 'MFL_ADDON';

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Why the addon could not be loaded, or null. */
  error: string | null;
  /** The addon file, when one was found (also when it then failed to load). */
  file: string | null;
  source: NativeAddonSource | null;
}

let cached: NativeLoad | undefined;

/** AVX-512 subsets OpenBLAS's SkylakeX kernels use. */
const SKYLAKEX_FLAGS = ['avx512f', 'avx512dq', 'avx512bw', 'avx512vl'];

/** The OpenBLAS kernel set (OPENBLAS_CORETYPE) the CPU flags of /proc/cpuinfo support, or null. */
export function openBlasCoreTypeFor(flags: ReadonlySet<string>): string | null {
  if (SKYLAKEX_FLAGS.every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

function cpuFlags(): Set<string> {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^flags\s*:(.*)$/m.exec(text);
    return new Set(line ? line[1]!.trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/**
 * OpenBLAS builds with DYNAMIC_ARCH pick their kernels from the CPU model and fall back to the
 * SSE3 (Prescott) ones on models they do not know, common in virtual machines: 3x slower GEMMs
 * there. Before the library is loaded (it reads the variable once), mfl names the kernel set the
 * CPU's features support, unless OPENBLAS_CORETYPE is already set or MFL_OPENBLAS_CORETYPE=keep
 * leaves the choice to OpenBLAS. Linux x86-64 only. Returns what it set, or null.
 */
export function chooseOpenBlasKernels(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  if (env.OPENBLAS_CORETYPE || env.MFL_OPENBLAS_CORETYPE === 'keep') return null;
  const core = openBlasCoreTypeFor(cpuFlags());
  if (core) env.OPENBLAS_CORETYPE = core;
  return core;
}

/**
 * Why no addon was found, in words a user can act on: what `npm install` recorded when it could
 * not build one (scripts/install-native.mjs), else the loader's own message.
 */
export function missingAddonReason(loaderMessage: string, root = packageRoot): string {
  if (!/No native build was found/i.test(loaderMessage)) return loaderMessage;
  try {
    const status = JSON.parse(
      fs.readFileSync(path.join(root, 'build', 'native-build.json'), 'utf8'),
    ) as { built?: unknown; reason?: unknown; log?: unknown };
    if (status.built === false && typeof status.reason === 'string') {
      const log = typeof status.log === 'string' ? `; see ${status.log}` : '';
      return `not built when mfl was installed: ${status.reason}${log}`;
    }
  } catch {
    // No record: installed without running the install script.
  }
  return 'no native build was found (npm install builds it when cmake, a C++ compiler and OpenBLAS are present)';
}

/** What node-gyp-build found: prebuilds/<platform>-<arch>/*.node, or a build/ directory's. */
export function addonSource(file: string): NativeAddonSource {
  return path.basename(path.dirname(path.dirname(file))) === 'prebuilds'
    ? 'prebuild'
    : 'local build';
}

/** The addon, or null with the reason it could not be loaded; and which file it was. */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  chooseOpenBlasKernels();
  let file: string | null = null;
  let source: NativeAddonSource | null = null;
  try {
    const explicit = process.env.MFL_ADDON;
    if (explicit) {
      file = path.resolve(explicit);
      source = 'MFL_ADDON';
    } else {
      const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
      file = nodeGypBuild.resolve(packageRoot);
      source = addonSource(file);
    }
    cached = { addon: require(file) as NativeAddon, error: null, file, source };
  } catch (err) {
    cached = {
      addon: null,
      error: missingAddonReason(err instanceof Error ? err.message.split('\n')[0]! : String(err)),
      file,
      source,
    };
  }
  return cached;
}
