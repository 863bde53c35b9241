/**
 * The pure-TypeScript backend: the test oracle for the native addon and the fallback where it
 * does not load. Same numbers as native: bit-identical random numbers and task data, network
 * kernels within 1e-12 relative (src/backend/types.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../binding.js';
import type { Backend, BackendInfo } from '../types.js';
import { cholesky, choleskySolve } from './cholesky.js';
import { checkedForward, checkedLossGradient } from './network.js';
import { philox4x32 } from './philox.js';
import { fillGaussian, fillUniform } from './rng.js';
import { gemm } from './gemm.js';
import { nngpCross, nngpDiag, nngpGram } from './kernels.js';
import { mfRun, mfRunAsync } from './mf.js';
import { sgldRun, sgldRunAsync } from './sgld.js';
import { generateTaskRows, generateTaskRowsAsync } from './tasks.js';

let version: string | undefined;

/** The package version, read once from package.json so it cannot drift from the release. */
function packageVersion(): string {
  if (version === undefined) {
    const text = readFileSync(path.join(packageRoot, 'package.json'), 'utf8');
    version = (JSON.parse(text) as { version: string }).version;
  }
  return version;
}

function info(): BackendInfo {
  return {
    backend: 'js',
    version: packageVersion(),
    blas: null,
    lapack: null,
    compiler: null,
    buildSystem: null,
    cpuFeatures: [],
  };
}

export const jsBackend: Backend = Object.freeze({
  name: 'js' as const,
  info,
  philox4x32,
  fillUniform,
  fillGaussian,
  generateTaskRows,
  generateTaskRowsAsync,
  forward: checkedForward,
  lossGradient: checkedLossGradient,
  gemm,
  nngpGram,
  nngpCross,
  nngpDiag,
  cholesky,
  choleskySolve,
  sgldRun,
  sgldRunAsync,
  mfRun,
  mfRunAsync,
});
