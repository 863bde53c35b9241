/**
 * `mfl doctor`: what this installation runs on (backend, BLAS/LAPACK, compiler, build, Node,
 * platform, CPU). Always exits 0: a missing native addon is reported, not an error, because the
 * js backend still works.
 */
import os from 'node:os';
import type { Command } from 'commander';
import {
  availableBackends,
  getBackend,
  nativeAddonFile,
  nativeUnavailableReason,
} from '../../backend/index.js';
import type { BackendInfo } from '../../backend/types.js';
import type { NativeAddonSource } from '../../binding.js';
import { keyValueLines } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import { addJsonOption } from '../options.js';
import type { JsonFlagValue } from '../options.js';
import { packageVersion } from '../version.js';
import { nativeFixCommand } from '../fallback.js';

/** The `mfl doctor --json` document. */
export interface DoctorReport {
  version: string;
  /** The backend commands will use (MFL_BACKEND or the default), or null if it cannot load. */
  backend: string | null;
  /** Why the selected backend cannot be used, or null. */
  backendError: string | null;
  availableBackends: string[];
  /**
   * `file` is the addon node-gyp-build (or MFL_ADDON) chose, `source` says which kind it is: a
   * local build (build/Release), the package's prebuild (prebuilds/), or MFL_ADDON's; both null
   * when no addon file was found.
   */
  native: {
    available: boolean;
    reason: string | null;
    source: NativeAddonSource | null;
    file: string | null;
  };
  blas: { vendor: string; config: string; threads: number } | null;
  lapack: string | null;
  compiler: string | null;
  buildSystem: string | null;
  cpuFeatures: string[];
  node: string;
  platform: string;
  arch: string;
  cpu: { model: string; threads: number };
  /** Advice on what could make this installation faster, empty when none applies. */
  hints: string[];
}

/** OpenBLAS kernel sets that predate AVX2: picked on CPUs its runtime detection does not know. */
const PRE_AVX2_CORES = ['Prescott', 'Core2', 'Penryn', 'Dunnington', 'Nehalem', 'Atom'];

/**
 * OpenBLAS built with DYNAMIC_ARCH picks its kernels from the CPU model; on CPUs it does not
 * recognise (common in VMs) it falls back to old SSE3 kernels although AVX2 is available.
 */
export function performanceHints(
  info: BackendInfo | null,
  env = process.env,
  addonSource: NativeAddonSource | null = null,
): string[] {
  const hints: string[] = [];
  const config = info?.blas?.config ?? '';
  const core = PRE_AVX2_CORES.find((c) => config.split(/\s+/).includes(c));
  if (core && info?.cpuFeatures.includes('avx2') && !env.OPENBLAS_CORETYPE) {
    hints.push(
      `OpenBLAS selected its ${core} kernels on a CPU with AVX2; export OPENBLAS_CORETYPE=Haswell ` +
        '(or SkylakeX with AVX-512) to use the faster ones (mfl does so itself unless ' +
        'MFL_OPENBLAS_CORETYPE=keep)',
    );
  }
  // The prebuild is compiled for any x86-64; -march=native's AVX-512 vectorises the ReLU
  // gradient loop, which AVX2 and older leave scalar (README, "Backends").
  if (addonSource === 'prebuild' && info?.cpuFeatures.includes('avx512f')) {
    hints.push(
      'the prebuilt addon is compiled for any x86-64 CPU; a local build uses AVX-512 and ran ' +
        'ReLU SGLD 2x faster: MFL_BUILD_FROM_SOURCE=1 npm rebuild mfl (needs cmake, a C++ ' +
        'compiler and OpenBLAS)',
    );
  }
  return hints;
}

function selectedBackend(): { name: string | null; error: string | null } {
  try {
    return { name: getBackend().name, error: null };
  } catch (err) {
    return { name: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Build details come from the native addon whenever it loads, whichever backend is selected. */
function buildInfo(): BackendInfo | null {
  const backends = availableBackends();
  const source = backends.find((b) => b.name === 'native') ?? backends[0];
  try {
    return source ? source.info() : null;
  } catch {
    return null;
  }
}

/** Collects the doctor report. */
export function doctorReport(): DoctorReport {
  const selected = selectedBackend();
  const info = buildInfo();
  const reason = nativeUnavailableReason();
  const addon = nativeAddonFile();
  return {
    version: packageVersion(),
    backend: selected.name,
    backendError: selected.error,
    availableBackends: availableBackends().map((b) => b.name),
    native: {
      available: reason === null,
      reason,
      source: addon?.source ?? null,
      file: addon?.file ?? null,
    },
    blas: info?.blas ?? null,
    lapack: info?.lapack ?? null,
    compiler: info?.compiler ?? null,
    buildSystem: info?.buildSystem ?? null,
    cpuFeatures: info?.cpuFeatures ?? [],
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: { model: os.cpus()[0]?.model.trim() ?? 'unknown', threads: os.availableParallelism() },
    hints: [
      ...(reason === null
        ? []
        : [`the native addon is 15-30x faster; to build it: ${nativeFixCommand()}`]),
      ...performanceHints(info, process.env, addon?.source ?? null),
    ],
  };
}

function orNone(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '(none)' : value;
}

/** Human form: aligned `key: value` lines. */
export function formatDoctor(r: DoctorReport): string {
  const blas = r.blas
    ? `${r.blas.vendor}, ${r.blas.threads} thread${r.blas.threads === 1 ? '' : 's'}`
    : '(none: the js backend does not use BLAS)';
  return keyValueLines([
    ['version', r.version],
    ['backend', r.backend ?? `unavailable: ${r.backendError}`],
    ['available backends', r.availableBackends.join(', ')],
    ['native addon', r.native.available ? 'loaded' : `unavailable: ${r.native.reason}`],
    ['addon file', r.native.file ? `${r.native.file} (${r.native.source})` : '(none found)'],
    ['blas', blas],
    ['blas config', orNone(r.blas?.config)],
    ['lapack', orNone(r.lapack)],
    ['compiler', orNone(r.compiler)],
    ['build system', orNone(r.buildSystem)],
    ['node', r.node],
    ['platform', `${r.platform} ${r.arch}`],
    ['cpu', `${r.cpu.model} (${r.cpu.threads} threads)`],
    ['cpu features', r.cpuFeatures.length > 0 ? r.cpuFeatures.join(' ') : '(none reported)'],
    ...r.hints.map((hint): [string, string] => ['hint', hint]),
  ]);
}

/** Registers `doctor` on `program`. */
export function registerDoctor(program: Command, io: CliIo): void {
  const command = program
    .command('doctor')
    .description('show the backend, BLAS/LAPACK, compiler, Node and CPU this installation uses');
  addJsonOption(command).action((options: JsonFlagValue) => {
    const report = doctorReport();
    if (options.json) printJson(io, report);
    else io.stdout(formatDoctor(report));
  });
}
