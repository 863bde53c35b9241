/**
 * The particles of the Rao-Blackwellised MF / MF-ARD solver (THEORY.md sections 6-7, docs/mf.md):
 * the initial particles of each branch, and the driver's synchronous view of the backend kernel
 * (`backend.mfRun`, which runs the step loop of docs/mf.md): failures become ERR_MFL_DIVERGED.
 */
import type {
  Backend,
  MfAccumulators,
  MfKernelConfig,
  MfRunResult,
  MfState,
  MfData,
} from '../../backend/types.js';
import { MflError, outOfRange } from '../../errors.js';
import { Purpose, streamId } from '../../rng/streams.js';
import { createMfAccumulators } from './layout.js';

export type { MfAccumulators, MfData, MfState } from '../../backend/types.js';

/** Branch indices (the stream index of each initial condition). */
export const BRANCH_INDEX = { prior: 0, aligned: 1 } as const;

/** Standard deviation factor of irrelevant coordinates in the aligned start (docs/mf.md). */
export const ALIGNED_IRRELEVANT_SCALE = 0.1;

/** One branch's solver config: the kernel's numbers plus what the result reports. */
export interface MfConfig extends MfKernelConfig {
  /** The branch's initial condition (its stream index is `branch`). */
  init: 'prior' | 'aligned';
  /** MF-ARD was asked for: rho is reported, even when ardEma = 0 keeps it fixed. */
  ard: boolean;
}

/**
 * Initial particles: w_pj = s_j z_pj, z from stream (mfInit, branch) value p d + j; s_j = sigmaW
 * (prior), or sigmaW sqrt(d / nRelevant) for j < nRelevant and 0.1 sigmaW otherwise (aligned).
 */
export function initialState(config: MfConfig, backend: Backend): MfState {
  const { M, d, sigmaW, nRelevant, init, seed } = config;
  const W = new Float64Array(M * d);
  backend.fillGaussian(seed, streamId(Purpose.mfInit, config.branch), 0, W);
  const scale = new Float64Array(d).fill(sigmaW);
  if (init === 'aligned') {
    if (nRelevant === 0) {
      throw outOfRange('solver.init', '"prior" without a target set S (nRelevant = 0)', init);
    }
    for (let j = 0; j < d; j++) {
      scale[j] =
        j < nRelevant ? sigmaW * Math.sqrt(d / nRelevant) : ALIGNED_IRRELEVANT_SCALE * sigmaW;
    }
  }
  for (let p = 0; p < M; p++) for (let j = 0; j < d; j++) W[p * d + j] = W[p * d + j]! * scale[j]!;
  const rho = new Float64Array(config.ardPrecisions === 'neuron' ? M * d : d);
  rho.fill(1 / (sigmaW * sigmaW));
  return { W, rho, rPrev: new Float64Array(config.P) };
}

/** The ERR_MFL_DIVERGED error for a failed kernel run, naming step and branch. */
export function divergedError(config: MfConfig, result: MfRunResult): MflError {
  const { dt } = config;
  const smaller = Number((dt / 4).toPrecision(3));
  const where = `at step ${result.failedStep} (branch ${config.init})`;
  const hint = `try a smaller step, e.g. dt: ${smaller}`;
  if (result.failure === 'nonFinite') {
    return new MflError(
      'ERR_MFL_DIVERGED',
      `mf diverged ${where}: a particle became non-finite with dt = ${dt}; ${hint}`,
    );
  }
  const ridge = config.kappa * config.N ** (2 * config.gamma - 1);
  const woodbury = config.solve === 'woodbury';
  const matrix = woodbury ? 'ridge I + B B^T (the M x M Woodbury matrix)' : 'K_q + ridge I';
  const order = woodbury ? config.M : config.P;
  return new MflError(
    'ERR_MFL_DIVERGED',
    `mf: ${matrix} is not positive definite (leading minor ${result.info} of ${order}, ` +
      `ridge ${ridge}) ${where}; ${hint}`,
  );
}

/**
 * Advances one branch over steps [begin, end) on the backend's kernel (docs/mf.md, "Kernel
 * contract"), updating state and accumulators in place.
 * @throws ERR_MFL_DIVERGED when a step fails
 */
export function mfRun(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  state: MfState,
  acc: MfAccumulators,
  begin: number,
  end: number,
): void {
  const result = backend.mfRun(config, data, state, acc, begin, end);
  if (result.failure !== 'none') throw divergedError(config, result);
}

/**
 * fbar of the current particles (no time average) on the training and test rows: K_q(x, X)
 * (K_q + ridge I)^-1 y. One sample step of the kernel on a copy of the state, so it is the
 * kernel's own predictor on either backend.
 */
export function instantPredictor(
  backend: Backend,
  config: MfConfig,
  data: MfData,
  state: MfState,
): { train: Float64Array; test: Float64Array } {
  const probe: MfConfig = { ...config, steps: 1, burnIn: 0, sampleEvery: 1, observeEvery: 1 };
  const copy: MfState = { W: state.W.slice(), rho: state.rho.slice(), rPrev: state.rPrev.slice() };
  const acc = createMfAccumulators(probe);
  const result = backend.mfRun(probe, data, copy, acc, 0, 1);
  // The sample precedes the update, so a particle that overflows in it does not matter here.
  if (result.failure === 'notPositiveDefinite') throw divergedError(config, result);
  return { train: acc.sumFTrain, test: acc.sumFTest };
}
