/**
 * The mean-field spec (THEORY.md sections 6-7, docs/mf.md): task, network (with the physical
 * width N, which here is only a parameter of the single-neuron potential and may be huge, e.g.
 * 1e8), kappa, and the Rao-Blackwellised particle solver's settings. Mirrors the sgld spec.
 */
import * as z from 'zod';
import { outOfRange } from '../../errors.js';
import { networkSpecSchema } from '../../network/spec.js';
import { MAX_SEED, taskSpecSchema } from '../../tasks/spec.js';
import type { TaskSpec, TaskSpecInput } from '../../tasks/spec.js';
import { burnInBelowSteps, int, oneOf, parseSpec, plainObject, positive } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';
import type { Activation } from '../../backend/types.js';

/** Largest number of steps: step indices address random numbers (docs/mf.md). */
export const MAX_STEPS = 2 ** 40;
/** Largest number of particles (memory: M x (d + P) doubles per branch). */
export const MAX_PARTICLES = 1 << 20;
/** Default particle count: clamp(4 N, 256, 2048) (docs/mf.md, "Defaults"). */
export const MIN_DEFAULT_PARTICLES = 256;
export const MAX_DEFAULT_PARTICLES = 2048;
/** Default Langevin time step: its bias on mS was measured at about 0.01 (docs/mf.md, "Defaults"). */
export const DEFAULT_DT = 0.0025;
/** Default number of steps: physical time 20 at the default dt (docs/mf.md, "Defaults"). */
export const DEFAULT_STEPS = 8000;
/** Default number of observation rows (series) over the run. */
export const DEFAULT_OBSERVE_ROWS = 200;
/** Batches of the sampling window for the convergence test (docs/mf.md, "Convergence"). */
export const DEFAULT_BATCHES = 10;
export const MAX_BATCHES = 100;
/** Standard errors within which a residual or drift counts as zero. */
export const DEFAULT_Z = 3;
/** Initial conditions: the prior (symmetric) or aligned with the target coordinates. */
export const INITS = ['prior', 'aligned', 'both'] as const;
/** Residual solves (docs/mf.md, step 4): auto picks woodbury when P > M, else cholesky. */
export const SOLVES = ['auto', 'cholesky', 'woodbury'] as const;
/**
 * What is time-averaged (docs/mf.md, "Two averages"): the kernel K_q, the predictor formed once
 * from its average (default), or each step's predictor (biased by O(1/M) in the kernel limit).
 */
export const AVERAGES = ['kernel', 'predictor'] as const;
/**
 * MF-ARD precisions (THEORY.md section 7): one rho_j per input coordinate shared by all neurons,
 * or one rho_ij per neuron and coordinate (a Student-t prior per weight).
 */
export const ARD_PRECISIONS = ['coordinate', 'neuron'] as const;

function fraction(): z.ZodNumber {
  const error = 'a number in [0, 1]';
  return z.number({ error }).min(0, { error }).max(1, { error });
}

/** The network of sgld, except that N is any finite number >= 1 (a parameter, not a size). */
const mfNetworkSchema = networkSpecSchema.extend({
  N: z
    .number({ error: 'a finite number >= 1' })
    .min(1, { error: 'a finite number >= 1' })
    .finite({ error: 'a finite number >= 1' }),
});

const ARD_TYPES = 'a boolean, null or an object {alpha0, beta0, ema, precisions}';

const ardSchema = z.strictObject({
  /** Hyperprior shape alpha0 > 0 (default 1). */
  alpha0: positive().default(1),
  /** Hyperprior rate beta0 > 0; null (default): alpha0 sigmaW^2 (isotropic fixed point). */
  beta0: positive().nullable().default(null),
  /** EMA rate of the rho_j update per step, in [0, 1]; 0 freezes rho_j = 1/sigmaW^2. */
  ema: fraction().default(0.01),
  /** Coordinate-wise rho_j (default) or neuron-wise rho_ij. */
  precisions: oneOf(ARD_PRECISIONS).default('coordinate'),
});

const solverSchema = z
  .strictObject({
    kappa: positive(),
    particles: int(1, MAX_PARTICLES).nullable().default(null),
    steps: int(1, MAX_STEPS).default(DEFAULT_STEPS),
    dt: positive().default(DEFAULT_DT),
    burnIn: int(0, MAX_STEPS).nullable().default(null),
    sampleEvery: int(1, MAX_STEPS).nullable().default(null),
    observeEvery: int(1, MAX_STEPS).nullable().default(null),
    seed: int(0, MAX_SEED).default(0),
    init: oneOf(INITS).default('prior'),
    ard: z
      .union([plainObject(ardSchema), z.boolean(), z.null()], { error: ARD_TYPES })
      .default(null),
    tol: positive().nullable().default(null),
    driftTol: positive().nullable().default(null),
    z: positive().default(DEFAULT_Z),
    batches: int(4, MAX_BATCHES)
      .multipleOf(2, { error: `an even integer in [4, ${MAX_BATCHES}]` })
      .default(DEFAULT_BATCHES),
    hysteresisTol: positive().default(0.1),
    histBins: int(1, 100_000).default(60),
    histRange: positive().default(6),
    memoryLimitBytes: int(1, MAX_SEED).nullable().default(null),
    solve: oneOf(SOLVES).default('auto'),
    average: oneOf(AVERAGES).default('kernel'),
  })
  .check(burnInBelowSteps);

const mfSchema = z
  .strictObject({
    task: taskSpecSchema,
    network: mfNetworkSchema,
    solver: solverSchema,
  })
  .check((ctx) => {
    // An aligned start scales up the target coordinates S: there must be some.
    const { task, solver } = ctx.value;
    if (solver.init === 'prior') return;
    const why =
      task.task === 'custom'
        ? 'for custom data (an aligned start needs the target set S of parity or single-index)'
        : task.k === 0
          ? 'when k = 0 (an aligned start needs a non-empty target set S, k >= 1)'
          : null;
    if (why) {
      ctx.issues.push({
        code: 'custom',
        path: ['solver', 'init'],
        input: solver.init,
        message: `"prior" ${why}`,
      });
    }
  });

/** MF network settings: as the sgld network, N any finite number >= 1. */
export interface MfNetworkSpec {
  N: number;
  gamma: number;
  activation: Activation;
  bias: boolean;
  sigmaW: number;
  sigmaA: number;
  sigmaB: number;
}

/** MF-ARD settings (THEORY.md section 7), beta0 resolved. */
export interface ArdSpec {
  alpha0: number;
  beta0: number;
  ema: number;
  precisions: (typeof ARD_PRECISIONS)[number];
}

/** Solver settings (docs/mf.md), every default resolved. */
export interface MfSolverSpec {
  /** Noise level kappa > 0 (loss "sum": posterior exp(-E/kappa)). */
  kappa: number;
  /** Particles M; default clamp(4 N, 256, 2048). */
  particles: number;
  /** Langevin steps (default 8000: physical time 20 at the default dt). */
  steps: number;
  /** Langevin time step of the w particles (default 0.0025). */
  dt: number;
  /** Steps before time averaging starts; default floor(steps / 2). */
  burnIn: number;
  /** Sample (time-average) every this many steps after burn-in; default keeps <= 200. */
  sampleEvery: number;
  /** Series interval; default max(1, ceil(steps / 200)). */
  observeEvery: number;
  seed: number;
  init: 'prior' | 'aligned' | 'both';
  /** MF-ARD settings, or null for plain MF. */
  ard: ArdSpec | null;
  /**
   * An absolute bound the fixed-point residual must also meet to count as converged (docs/mf.md,
   * "Convergence"); null (default): none, the residual need only be within z standard errors.
   */
  tol: number | null;
  /** As tol, for |drift of mS| over the sampling window; null (default): none. */
  driftTol: number | null;
  /** Standard errors (from the batch means) within which a residual or drift counts as zero. */
  z: number;
  /** Batches of the sampling window for the standard errors (even: halves are whole batches). */
  batches: number;
  /** |mS(prior) - mS(aligned)| above this flags hysteresis (init "both"). */
  hysteresisTol: number;
  histBins: number;
  histRange: number;
  /**
   * Refuse runs whose working memory (docs/mf.md, "Memory") exceeds this many bytes; null (default):
   * 70% of the free memory when the run starts.
   */
  memoryLimitBytes: number | null;
  /** The residual solve: P x P Cholesky, M x M Woodbury, or auto (Woodbury when P > M). */
  solve: 'auto' | 'cholesky' | 'woodbury';
  /**
   * What the reported predictor time-averages (docs/mf.md, "Two averages"): 'kernel' (default)
   * forms fbar = K(x, X) (K + ridge I)^-1 y once from the kernel K_q averaged over the samples;
   * 'predictor' averages each sample's own fbar. The particles move the same way under both.
   */
  average: (typeof AVERAGES)[number];
}

/** A validated, normalised MF spec. */
export interface MfSpec {
  task: TaskSpec;
  network: MfNetworkSpec;
  solver: MfSolverSpec;
}

/** An MF spec as callers write it: task, network.N and solver.kappa required. */
export interface MfSpecInput {
  task: TaskSpecInput | TaskSpec;
  network: Partial<MfNetworkSpec> & { N: number };
  solver: {
    kappa: number;
    steps?: number;
    particles?: number | null;
    dt?: number;
    burnIn?: number | null;
    sampleEvery?: number | null;
    observeEvery?: number | null;
    seed?: number;
    init?: 'prior' | 'aligned' | 'both';
    ard?:
      | boolean
      | null
      | {
          alpha0?: number;
          beta0?: number | null;
          ema?: number;
          precisions?: (typeof ARD_PRECISIONS)[number];
        };
    tol?: number | null;
    driftTol?: number | null;
    z?: number;
    batches?: number;
    hysteresisTol?: number;
    histBins?: number;
    histRange?: number;
    memoryLimitBytes?: number | null;
    solve?: 'auto' | 'cholesky' | 'woodbury';
    average?: (typeof AVERAGES)[number];
  };
}

/** The default particle count clamp(ceil(4 N), 256, 2048). */
export function defaultParticles(N: number): number {
  return Math.min(MAX_DEFAULT_PARTICLES, Math.max(MIN_DEFAULT_PARTICLES, Math.ceil(4 * N)));
}

/** The ARD settings with beta0 resolved (default alpha0 sigmaW^2, checked finite and > 0). */
function resolveArd(
  ard: z.output<typeof solverSchema>['ard'],
  sigmaW: number,
  options: ParseSpecOptions,
): ArdSpec | null {
  if (ard === false || ard === null) return null;
  const a = ard === true ? ardSchema.parse({}) : ard;
  const beta0 = a.beta0 ?? a.alpha0 * sigmaW ** 2;
  if (!(Number.isFinite(beta0) && beta0 > 0)) {
    const path = ['solver', 'ard', 'alpha0'];
    throw outOfRange(
      options.label ? options.label(path) : path.join('.'),
      `such that the default beta0 = alpha0 sigmaW^2 is finite and > 0 (sigmaW = ${sigmaW}; ` +
        `or give solver.ard.beta0)`,
      a.alpha0,
    );
  }
  return { alpha0: a.alpha0, beta0, ema: a.ema, precisions: a.precisions };
}

/**
 * Validates an MF spec and fills its defaults (see `MfSolverSpec`). Idempotent.
 * @throws MflTypeError / MflRangeError / MflError ERR_MFL_UNKNOWN_OPTION naming the field
 */
export function parseMfSpec(input: unknown, options: ParseSpecOptions = {}): MfSpec {
  const parsed = parseSpec(mfSchema, input, 'mf spec', options);
  const { network, solver: s } = parsed;
  const burnIn = s.burnIn ?? Math.floor(s.steps / 2);
  const sampleEvery =
    s.sampleEvery ?? Math.max(1, Math.ceil((s.steps - burnIn) / DEFAULT_OBSERVE_ROWS));
  const observeEvery = s.observeEvery ?? Math.max(1, Math.ceil(s.steps / DEFAULT_OBSERVE_ROWS));
  const ard = resolveArd(s.ard, network.sigmaW, options);
  return {
    task: parsed.task,
    network,
    solver: {
      kappa: s.kappa,
      particles: s.particles ?? defaultParticles(network.N),
      steps: s.steps,
      dt: s.dt,
      burnIn,
      sampleEvery,
      observeEvery,
      seed: s.seed,
      init: s.init,
      ard,
      tol: s.tol,
      driftTol: s.driftTol,
      z: s.z,
      batches: s.batches,
      hysteresisTol: s.hysteresisTol,
      histBins: s.histBins,
      histRange: s.histRange,
      memoryLimitBytes: s.memoryLimitBytes,
      solve: s.solve,
      average: s.average,
    },
  };
}
