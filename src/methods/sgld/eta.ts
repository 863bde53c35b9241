/**
 * The default step size (and BAOAB's default friction, at the end). The SGLD update is an explicit Euler step of the drift
 * ls grad E + kappa theta / sigma^2 (THEORY.md section 3); it is stable while eta stays below
 * about 2 / lambda_max of the drift's Jacobian. Near any state that Jacobian is about
 * ls J^T J + kappa / sigma^2 (Gauss-Newton: J the P x nParams Jacobian of f on the training set),
 * and lambda_max(J^T J) <= trace(J J^T) = sum_mu NTK(x_mu, x_mu), the diagonal of the empirical
 * neural tangent kernel. So
 *
 *   lambda_max <= ls * sum_mu NTK(x_mu, x_mu) + kappa / min_layer sigma^2,
 *   NTK(x, x) = N^-2gamma sum_i [ phi(h_i)^2 + a_i^2 phi'(h_i)^2 (|x|^2 / d [W trained] + 1 [bias]) ],
 *
 * evaluated at the initial parameters of every chain (the largest bound wins). The trace
 * overestimates lambda_max (by the effective rank of the NTK, 2-10 at initialisation), which
 * leaves room for the kernel to grow as features are learned.
 *
 * The two terms get different constants. The likelihood term limits stability:
 * eta <= ETA_SAFETY / (ls trace). The prior term limits bias rather than stability: in the
 * directions the data do not constrain (all but P of them) the Euler step is an
 * Ornstein-Uhlenbeck step whose stationary variance is sigma^2 / (1 - eta kappa / (2 sigma^2)),
 * so eta kappa / sigma^2 <= ETA_PRIOR_STEP keeps that bias below ETA_PRIOR_STEP / 2. Combined:
 *
 *   eta = 1 / (ls trace / ETA_SAFETY + kappa / (ETA_PRIOR_STEP min sigma^2)).
 */
import { activate, activateDerivative } from '../../backend/js/network.js';
import type { SgldConfig, SgldData, SgldState } from '../../backend/types.js';

/**
 * The constant c of eta = c / (ls trace). Measured (native, one chain, 20000 steps unless noted,
 * parity d = 12, k = 4, P = 400, N = 128, kappa = 0.01 unless noted): the smallest c that
 * diverged or clearly degraded was
 *   relu, gamma 1/2:          stable at 16 (testMse 0.04, vs 0.007 at c = 1), diverges at 32
 *   relu, gamma 1:            degraded at 3-4 (testMse 0.03-0.07 vs 0.013), diverges at 6
 *   relu, gamma 3/4:          fine at 4, degraded at 8
 *   relu + bias:              fine at 16
 *   erf + bias, k = 3:        fine at 8, diverges at 16
 *   P = 2000, N = 512:        fine at 16 (10000 steps)
 *   d = 35, P = 2000, N = 512, gamma 1: fine at 2, slightly degraded at 4 (10000 steps)
 *   loss "mean":              identical to "sum" (the bound scales with ls)
 *   minibatch B = 40:         fine at 8; kappa = 1: fine at 16
 * c = 1 keeps a margin of 4 to the worst case (gamma 1) and keeps eta lambda_max <= 1 / 2 in
 * the stiffest NTK direction (the trace is 2-10 times lambda_max at initialisation), where the
 * Euler step inflates the posterior variance by 1 / (1 - eta lambda / 2) <= 4/3.
 */
export const ETA_SAFETY = 1;

/** Largest eta kappa / sigma^2: the prior-direction variance bias stays below 1%. */
export const ETA_PRIOR_STEP = 0.02;

/** The stability bound and the step size it implies. */
export interface EtaEstimate {
  eta: number;
  /** The bound on lambda_max of the drift's Jacobian. */
  lambdaMax: number;
  /** ls * sum_mu NTK(x_mu, x_mu), the likelihood part of the bound (largest over chains). */
  ntkTrace: number;
}

type Shape = Pick<
  SgldConfig,
  'P' | 'd' | 'N' | 'gamma' | 'activation' | 'bias' | 'freezeW' | 'chains'
>;

/** sum_mu NTK(x_mu, x_mu) of chain c at its current parameters. */
export function ntkTrace(shape: Shape, X: Float64Array, state: SgldState, chain: number): number {
  const { P, d, N, gamma, activation, bias, freezeW } = shape;
  const W = state.W.subarray(chain * N * d, (chain + 1) * N * d);
  const a = state.a.subarray(chain * N, (chain + 1) * N);
  const b = state.b ? state.b.subarray(chain * N, (chain + 1) * N) : null;
  const invSqrtD = 1 / Math.sqrt(d);
  let total = 0;
  for (let mu = 0; mu < P; mu++) {
    const x = X.subarray(mu * d, mu * d + d);
    let norm2 = 0;
    for (let j = 0; j < d; j++) norm2 += x[j]! * x[j]!;
    const inner = (freezeW ? 0 : norm2 / d) + (bias ? 1 : 0);
    for (let i = 0; i < N; i++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += W[i * d + j]! * x[j]!;
      const h = dot * invSqrtD + (b ? b[i]! : 0);
      const phi = activate(activation, h);
      const slope = a[i]! * activateDerivative(activation, h);
      total += phi * phi + slope * slope * inner;
    }
  }
  return total * N ** (-2 * gamma);
}

/**
 * The default step size for `config` (its eta is ignored) from the initial `state`.
 * @returns eta = 1 / (ls T / ETA_SAFETY + kappa / (ETA_PRIOR_STEP min sigma^2)) with
 *   T = max_c sum_mu NTK_c(x_mu, x_mu), and the bound ls T + kappa / min sigma^2
 */
export function defaultEta(
  config: Shape & Pick<SgldConfig, 'kappa' | 'lossScale' | 'sigmaW' | 'sigmaA' | 'sigmaB'>,
  data: Pick<SgldData, 'X'>,
  state: SgldState,
): EtaEstimate {
  let trace = 0;
  for (let c = 0; c < config.chains; c++) {
    trace = Math.max(trace, ntkTrace(config, data.X, state, c));
  }
  const sigmas = [config.sigmaA];
  if (!config.freezeW) sigmas.push(config.sigmaW);
  if (config.bias) sigmas.push(config.sigmaB);
  const minVariance = Math.min(...sigmas.map((s) => s * s));
  const likelihood = config.lossScale * trace;
  const lambdaMax = likelihood + config.kappa / minVariance;
  const prior = config.kappa / minVariance;
  const eta = 1 / (likelihood / ETA_SAFETY + prior / ETA_PRIOR_STEP);
  return { eta, lambdaMax, ntkTrace: likelihood };
}

/** One line describing the rule, recorded in every result. */
export function etaRuleText(estimate: EtaEstimate): string {
  return (
    `eta = 1 / (T / ${ETA_SAFETY} + kappa / (${ETA_PRIOR_STEP} min sigma^2)) with ` +
    `T = ls * sum_mu NTK(x_mu, x_mu) = ${estimate.ntkTrace.toPrecision(6)} at the initial ` +
    `parameters`
  );
}

/**
 * BAOAB's friction in units of the prior's softest curvature: gamma = FRICTION_SCALE *
 * sqrt(kappa) / max sigma (docs/sgld.md, "Integrators"). A direction of curvature lambda is an
 * oscillator of frequency sqrt(lambda); the prior alone gives every direction lambda >=
 * kappa / sigma^2, and gamma = 2 sqrt(lambda) damps the softest one critically, so FRICTION_SCALE
 * = 2 is critical damping of the directions the data leave alone.
 */
export const FRICTION_SCALE = 2;

/** The default friction of `config` (the updated layers' largest prior sigma). */
export function defaultFriction(
  config: Pick<SgldConfig, 'kappa' | 'sigmaW' | 'sigmaA' | 'sigmaB' | 'freezeW' | 'bias'>,
): number {
  const sigmas = [config.sigmaA];
  if (!config.freezeW) sigmas.push(config.sigmaW);
  if (config.bias) sigmas.push(config.sigmaB);
  return (FRICTION_SCALE * Math.sqrt(config.kappa)) / Math.max(...sigmas);
}
