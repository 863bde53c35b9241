/**
 * The critical noise kappa_c of the mean-field theories from the equations (THEORY.md section 9),
 * for a k-sparse parity: a deterministic computation with exact sums over the 2^k sign patterns of
 * the relevant inputs, the d - k irrelevant ones summed into a Gaussian (central limit), and a
 * quadrature over the k relevant weights; no particles.
 *
 * Model (assumptions in THEORY.md section 9): the tilt beta^2 / (2 Lambda) averaged over the data
 * (signal P^2 c_S^2 plus noise P Var(r phi)), the residual r = u chi_S on the symmetric branch with
 * u = 1 - mS self-consistent, the irrelevant norm concentrated at its mean.
 * MF-ARD: kappa_c is the fold of the symmetric fixed point of the relevant precision rho_S, where
 * the eigenvalue of rho_S -> rho_S' along the target direction reaches 1. Plain MF has no such
 * instability (its only feedback, through r, is negative): its equilibrium mS(kappa) is unique and
 * smooth, and its kappa_c is where that mS reaches a threshold (a crossover, not a transition).
 */
import * as z from 'zod';
import { erf } from '../../backend/js/erf.js';
import type { Activation } from '../../backend/types.js';
import { ACTIVATIONS } from '../../network/spec.js';
import { outOfRange } from '../../errors.js';
import { finite, int, oneOf, parseSpec, plainObject, positive } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';

/** Largest parity order: the quadrature runs over the k relevant weights (C(n + k - 1, k) nodes). */
export const MAX_CRITICAL_K = 6;
/** Largest input dimension (the irrelevant part is a Gaussian; any d works, this bounds the grid). */
export const MAX_CRITICAL_D = 4096;

const ardSchema = z.strictObject({
  alpha0: positive().default(1),
  beta0: positive().nullable().default(null),
});

const criticalSchema = z
  .strictObject({
    d: int(1, MAX_CRITICAL_D),
    k: int(1, MAX_CRITICAL_K),
    P: positive(),
    N: finite(1),
    gamma: finite(0.5, 1).default(0.5),
    sigmaW: positive().default(1),
    sigmaA: positive().default(1),
    activation: oneOf(ACTIVATIONS).default('relu'),
    ard: z
      .union([plainObject(ardSchema), z.boolean(), z.null()], {
        error: 'a boolean, null or an object {alpha0, beta0}',
      })
      .default(null),
    /** Quadrature step in units of the irrelevant weights' standard deviation (default by k). */
    step: finite(0.05, 1).nullable().default(null),
  })
  .check((ctx) => {
    const { d, k } = ctx.value;
    if (k >= d) {
      ctx.issues.push({
        code: 'custom',
        path: ['k'],
        input: k,
        message: `an integer in [1, d - 1] = [1, ${d - 1}] (the irrelevant coordinates form the Gaussian bath)`,
      });
    }
  });

/** Input of criticalKappa: a parity(d, k) task with P samples and an MF network of width N. */
export interface CriticalSpecInput {
  d: number;
  k: number;
  P: number;
  N: number;
  gamma?: number;
  sigmaW?: number;
  sigmaA?: number;
  activation?: Activation;
  /** MF-ARD (true, or its hyperprior); null or false: plain MF. */
  ard?: boolean | null | { alpha0?: number; beta0?: number | null };
  /** Quadrature step over the relevant weights, in irrelevant standard deviations. */
  step?: number | null;
}

/** The validated input, every default resolved. */
export interface CriticalSpec {
  d: number;
  k: number;
  P: number;
  N: number;
  gamma: number;
  sigmaW: number;
  sigmaA: number;
  activation: Activation;
  ard: { alpha0: number; beta0: number } | null;
  step: number;
}

/** Validates a critical-noise input (errors name the field and the allowed range). */
export function parseCriticalSpec(input: unknown, options: ParseSpecOptions = {}): CriticalSpec {
  const s = parseSpec(criticalSchema, input, 'critical-noise spec', options);
  const ard =
    s.ard === null || s.ard === false
      ? null
      : s.ard === true
        ? { alpha0: 1, beta0: s.sigmaW ** 2 }
        : { alpha0: s.ard.alpha0, beta0: s.ard.beta0 ?? s.ard.alpha0 * s.sigmaW ** 2 };
  return { ...s, ard, step: s.step ?? DEFAULT_STEP };
}

/**
 * Quadrature step over the relevant weights in standard deviations of the irrelevant ones: the
 * trapezoid rule on the Gaussian-weighted integrands converges spectrally (kappa_c at d = 10,
 * k = 4 agrees to 1e-10 for steps 0.2 to 0.5; test/methods/mf/critical.test.ts checks 0.35).
 */
const DEFAULT_STEP = 0.5;

// ---------------------------------------------------------------------------------------------
// Gaussian smoothing of the activation: the irrelevant inputs sum to s z, z ~ N(0, 1).

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Trapezoid nodes in z on [-9, 9] (spectrally accurate for smooth phi times the Gaussian). */
const Z_NODES = Array.from({ length: 145 }, (_, i) => -9 + i * 0.125);
const Z_WEIGHTS = Z_NODES.map((z) => 0.125 * INV_SQRT_2PI * Math.exp((-z * z) / 2));

function phiOf(activation: Activation): (h: number) => number {
  switch (activation) {
    case 'relu':
      return (h) => (h > 0 ? h : 0);
    case 'erf':
      return erf;
    case 'tanh':
      return Math.tanh;
    case 'linear':
      return (h) => h;
  }
}

/** [E_z phi(a + s z), E_z phi(a + s z)^2] for s > 0. */
export function smoothedActivation(activation: Activation, a: number, s: number): [number, number] {
  if (activation === 'relu') {
    const t = a / s;
    const cdf = 0.5 * (1 + erf(t / SQRT2));
    const pdf = INV_SQRT_2PI * Math.exp((-t * t) / 2);
    return [a * cdf + s * pdf, (a * a + s * s) * cdf + a * s * pdf];
  }
  if (activation === 'linear') return [a, a * a + s * s];
  const phi = phiOf(activation);
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < Z_NODES.length; i++) {
    const f = phi(a + s * (Z_NODES[i] as number));
    m1 += (Z_WEIGHTS[i] as number) * f;
    m2 += (Z_WEIGHTS[i] as number) * f * f;
  }
  return [m1, m2];
}

/**
 * The target correlation c_S(w) = E_x[chi_S(x) phi(w.x / sqrt(d))] and E_x[phi^2] of a neuron
 * with relevant weights wS, its d - k irrelevant weights of squared norm R2 summed into a Gaussian.
 */
export function targetCorrelation(
  activation: Activation,
  d: number,
  wS: ArrayLike<number>,
  R2: number,
): { c: number; e: number } {
  const k = wS.length;
  const s = Math.sqrt(R2 / d);
  const scale = 1 / Math.sqrt(d);
  let c = 0;
  let e = 0;
  for (let pattern = 0; pattern < 1 << k; pattern++) {
    let a = 0;
    let sign = 1;
    for (let j = 0; j < k; j++) {
      if (pattern & (1 << j)) {
        a -= wS[j] as number;
        sign = -sign;
      } else a += wS[j] as number;
    }
    const [m1, m2] = smoothedActivation(activation, a * scale, s);
    c += sign * m1;
    e += m2;
  }
  return { c: c / (1 << k), e: e / (1 << k) };
}

// ---------------------------------------------------------------------------------------------
// Quadrature over the relevant weights: the measure is symmetric under sign flips and
// permutations of wS, so nodes are non-increasing index tuples in the positive orthant.

/** Largest number of quadrature nodes (memory and time grow with it). */
const MAX_NODES = 5e6;

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Nodes in units t (w = sigma t): |t|^2, weights, and per node c and e of the neuron. */
interface Nodes {
  t2: Float64Array;
  logWeight: Float64Array;
  c: Float64Array;
  e: Float64Array;
}

function buildNodes(spec: CriticalSpec, sigma: number, R2: number, span: number): Nodes {
  const { k, step } = spec;
  const n = Math.ceil(span / step) + 1;
  const count = binomial(n + k - 1, k);
  if (count > MAX_NODES) {
    throw outOfRange(
      'd',
      `small enough for the quadrature over the k relevant weights (C(${n} + k - 1, k) = ${count.toExponential(2)} nodes > ${MAX_NODES.toExponential(0)} at k = ${k}, step ${step}): lower d or k, or raise step`,
      spec.d,
    );
  }
  const tuples: number[][] = [];
  const walk = (prefix: number[], max: number) => {
    if (prefix.length === k) {
      tuples.push(prefix.slice());
      return;
    }
    for (let i = 0; i <= max; i++) {
      prefix.push(i);
      walk(prefix, i);
      prefix.pop();
    }
  };
  walk([], n - 1);
  const logFactorial = (m: number) => {
    let s = 0;
    for (let i = 2; i <= m; i++) s += Math.log(i);
    return s;
  };
  const t2 = new Float64Array(tuples.length);
  const logWeight = new Float64Array(tuples.length);
  const c = new Float64Array(tuples.length);
  const e = new Float64Array(tuples.length);
  const wS = new Float64Array(k);
  tuples.forEach((tuple, p) => {
    // Multiplicity k! / prod(m!) of the orbit; the half weight of the trapezoid at t = 0.
    let logW = logFactorial(k);
    let run = 1;
    for (let j = 0; j < k; j++) {
      const i = tuple[j] as number;
      if (j > 0 && i === tuple[j - 1]) run++;
      else run = 1;
      logW -= Math.log(run);
      if (i === 0) logW -= Math.LN2;
      wS[j] = sigma * i * step;
      t2[p] = (t2[p] as number) + (i * step) ** 2;
    }
    logWeight[p] = logW;
    const r = targetCorrelation(spec.activation, spec.d, wS, R2);
    c[p] = r.c;
    e[p] = r.e;
  });
  return { t2, logWeight, c, e };
}

/** The neuron's tilt at one kappa, split as T = u^2 A + B (A signal + noise, B = -log(Lambda)/2). */
interface Tilt {
  A: Float64Array;
  B: Float64Array;
  /** c^2 / Lambda: the neuron's contribution to K_q's eigenvalue on chi_S. */
  cOverLambda: Float64Array;
}

function tiltAt(spec: CriticalSpec, nodes: Nodes, kappa: number): Tilt {
  const { P, N, gamma, sigmaA } = spec;
  const self = N ** (-2 * gamma) / kappa;
  const n = nodes.t2.length;
  const A = new Float64Array(n);
  const B = new Float64Array(n);
  const cOverLambda = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const c = nodes.c[p] as number;
    const e = nodes.e[p] as number;
    const Lambda = 1 / sigmaA ** 2 + self * P * e;
    // E_data (sum_mu r_mu phi_mu)^2 = P^2 (E r phi)^2 + P Var(r phi), r = u chi_S.
    A[p] = ((self / kappa) * (P * P * c * c + P * Math.max(e - c * c, 0))) / (2 * Lambda);
    B[p] = -0.5 * Math.log(Lambda);
    cOverLambda[p] = (c * c) / Lambda;
  }
  return { A, B, cOverLambda };
}

/** Moments of |wS|^2 (units sigma^2) and K_q's chi_S eigenvalue under one measure. */
interface Moments {
  mean: number;
  variance: number;
  eigenvalue: number;
}

/** Moments under the tilted measure exp(logWeight - precision t^2 / 2 + T) of the relevant weights. */
function moments(nodes: Nodes, tilt: Tilt, precision: number, u: number): Moments {
  const n = nodes.t2.length;
  const logs = new Float64Array(n);
  let maxLog = -Infinity;
  for (let p = 0; p < n; p++) {
    const T = u * u * (tilt.A[p] as number) + (tilt.B[p] as number);
    const l = (nodes.logWeight[p] as number) - (precision * (nodes.t2[p] as number)) / 2 + T;
    logs[p] = l;
    if (l > maxLog) maxLog = l;
  }
  let Z = 0;
  let m1 = 0;
  let m2 = 0;
  let ev = 0;
  for (let p = 0; p < n; p++) {
    const w = Math.exp((logs[p] as number) - maxLog);
    const a = nodes.t2[p] as number;
    Z += w;
    m1 += w * a;
    m2 += w * a * a;
    ev += w * (tilt.cOverLambda[p] as number);
  }
  const mean = m1 / Z;
  return { mean, variance: m2 / Z - mean * mean, eigenvalue: ev / Z };
}

/**
 * The residual's target component u = 1 - mS on the branch: u = 1 / (1 + P lambda_S / ridge)
 * with lambda_S = E_q[c_S^2 / Lambda] (population kernel ridge regression on chi_S), q depending
 * on u through the tilt. Negative feedback, so the root is unique; found by secant steps.
 */
function residualOnBranch(
  spec: CriticalSpec,
  kappa: number,
  measure: (u: number) => Moments,
): { u: number; m: Moments } {
  const ridge = kappa * spec.N ** (2 * spec.gamma - 1);
  const next = (u: number) => {
    const m = measure(u);
    return { value: 1 / (1 + (spec.P * m.eigenvalue) / ridge), m };
  };
  // Secant on g(u) = next(u) - u, g(0) > 0 > g(1) unless u = 1 exactly; kept inside [0, 1].
  let u0 = 1;
  const r0 = next(u0);
  let g0 = r0.value - u0;
  if (Math.abs(g0) < 1e-12) return { u: u0, m: r0.m };
  let u1 = r0.value;
  let r1 = next(u1);
  let g1 = r1.value - u1;
  for (let i = 0; i < 50 && Math.abs(g1) > 1e-12; i++) {
    const u2 = g1 === g0 ? r1.value : u1 - (g1 * (u1 - u0)) / (g1 - g0);
    u0 = u1;
    g0 = g1;
    u1 = Math.min(1, Math.max(0, u2));
    r1 = next(u1);
    g1 = r1.value - u1;
  }
  return { u: u1, m: r1.m };
}

// ---------------------------------------------------------------------------------------------
// The irrelevant coordinates: |w|^2 enters Lambda (and the noise term) only; their second moment
// sets the Gaussian bath of the relevant neuron and, for MF-ARD, their own precision.

/** E|w_bath|^2 per coordinate under precision rho with the radial tilt, for all d coordinates. */
function bathSecondMoment(spec: CriticalSpec, kappa: number, rho: number): number {
  const { d, P, N, gamma, sigmaA, activation } = spec;
  const self = N ** (-2 * gamma) / kappa;
  // Gamma(d/2, scale 2/rho) for |w|^2 tilted by the isotropic part of the tilt, on a log grid.
  const shape = d / 2;
  const mode = (2 * shape) / rho;
  const points = 400;
  let Z = 0;
  let m = 0;
  let maxLog = -Infinity;
  const logs: number[] = [];
  const xs: number[] = [];
  for (let i = 0; i < points; i++) {
    const x = mode * Math.exp(-6 + (12 * i) / (points - 1));
    // E_x phi^2 of a neuron with |w|^2 = x and no target weight (c_S ~ 0 for a typical neuron).
    // The noise term takes E r^2 = 1 here (u = 1): at the MF-ARD folds measured u is within 1.3% of 1
    // for k >= 4 and 5% for k = 2.
    const e = smoothedActivation(activation, 0, Math.sqrt(x / d))[1];
    const Lambda = 1 / sigmaA ** 2 + self * P * e;
    const T = ((self / kappa) * (P * e)) / (2 * Lambda) - 0.5 * Math.log(Lambda);
    // log density in log x: shape log x - rho x / 2 + T.
    const l = shape * Math.log(x) - (rho * x) / 2 + T;
    logs.push(l);
    xs.push(x);
    if (l > maxLog) maxLog = l;
  }
  for (let i = 0; i < points; i++) {
    const w = Math.exp((logs[i] as number) - maxLog);
    Z += w;
    m += w * (xs[i] as number);
  }
  return m / Z / d;
}

/** MF-ARD's precision map rho -> (alpha0 + N/2) / (beta0 + (N/2) m2) (THEORY.md section 7). */
function ardUpdate(spec: CriticalSpec, m2: number): number {
  const { alpha0, beta0 } = spec.ard as { alpha0: number; beta0: number };
  return (alpha0 + spec.N / 2) / (beta0 + (spec.N / 2) * m2);
}

/** The bath: precision and second moment of the irrelevant coordinates on the symmetric branch. */
function bath(spec: CriticalSpec, kappa: number): { rho: number; m2: number } {
  const rhoPrior = 1 / spec.sigmaW ** 2;
  if (!spec.ard) return { rho: rhoPrior, m2: bathSecondMoment(spec, kappa, rhoPrior) };
  // rho -> F(rho) is increasing with slope < 1 at the bath's fixed point: bisection on F - rho.
  let lo = rhoPrior * 1e-6;
  let hi = rhoPrior * 1e6;
  const gap = (rho: number) => ardUpdate(spec, bathSecondMoment(spec, kappa, rho)) - rho;
  for (let i = 0; i < 200 && hi / lo > 1 + 1e-12; i++) {
    const mid = Math.sqrt(lo * hi);
    if (gap(mid) > 0) lo = mid;
    else hi = mid;
  }
  const rho = Math.sqrt(lo * hi);
  return { rho, m2: bathSecondMoment(spec, kappa, rho) };
}

// ---------------------------------------------------------------------------------------------
// The symmetric branch at one kappa and its stability.

/** Range of the relevant precision around the bath's (both ways) in which the fold is sought. */
const SCAN_FACTOR = 2;
const SCAN_POINTS = 17;

/** One kappa: the bath and the quadrature nodes scaled to it. */
interface Setting {
  kappa: number;
  bathRho: number;
  bathM2: number;
  nodes: Nodes;
  tilt: Tilt;
}

/** Nodes in units of the bath's standard deviation; relu and linear are homogeneous: built once. */
type NodeCache = Map<string, Nodes>;

function scaledNodes(spec: CriticalSpec, m2: number, cache: NodeCache): Nodes {
  // Wide enough for the scan's widest Gaussian (2 sigma) and for aligned neurons (|wS| ~ R).
  const span = Math.max(8 * Math.sqrt(SCAN_FACTOR), 1.3 * Math.sqrt(spec.d));
  const R2 = spec.d - spec.k;
  const homogeneous = spec.activation === 'relu' || spec.activation === 'linear';
  if (!homogeneous) return buildNodes(spec, Math.sqrt(m2), R2 * m2, span);
  let unit = cache.get('unit');
  if (!unit) {
    unit = buildNodes(spec, 1, R2, span);
    cache.set('unit', unit);
  }
  const sigma = Math.sqrt(m2);
  return {
    t2: unit.t2,
    logWeight: unit.logWeight,
    c: unit.c.map((c) => c * sigma),
    e: unit.e.map((e) => e * m2),
  };
}

function setting(spec: CriticalSpec, kappa: number, cache: NodeCache): Setting {
  const b = bath(spec, kappa);
  const nodes = scaledNodes(spec, b.m2, cache);
  return { kappa, bathRho: b.rho, bathM2: b.m2, nodes, tilt: tiltAt(spec, nodes, kappa) };
}

/** One point of the scan over the relevant precision rho_S = x * (the irrelevant coordinates'). */
export interface BranchPoint {
  x: number;
  /** MF-ARD's map of x minus x (zero on a fixed point). */
  gap: number;
  /** Target component of the residual, u = 1 - mS. */
  u: number;
  /** Relevant second moment E[w_j^2], j in S. */
  m2: number;
  /** Gamma = rho_S^2 Var(|w_S|^2) / (2 k): the relevant second moment's linear response (1 without tilt). */
  response: number;
  /** d rho_S' / d rho_S at fixed u: (N / (N + 2 alpha0)) (rho_S' / rho_S)^2 Gamma. */
  eigenvalue: number;
  rhoS: number;
}

/** MF-ARD's map at rho_S = x * bathRho, the linear response and the eigenvalue (THEORY.md section 9). */
function ardPoint(spec: CriticalSpec, s: Setting, x: number): BranchPoint {
  const { k, N } = spec;
  const { alpha0 } = spec.ard as { alpha0: number };
  const rhoS = x * s.bathRho;
  // In node units (w = sigma t, sigma^2 = bathM2) the Gaussian precision is rho_S sigma^2.
  const precision = rhoS * s.bathM2;
  const { u, m } = residualOnBranch(spec, s.kappa, (uu) => moments(s.nodes, s.tilt, precision, uu));
  const m2 = (m.mean / k) * s.bathM2;
  const mapped = ardUpdate(spec, m2) / s.bathRho;
  // -d m2 / d rho_S = Var(|w_S|^2) / (2 k) (physical units).
  const response = (rhoS * rhoS * m.variance * s.bathM2 * s.bathM2) / (2 * k);
  const eigenvalue = ardEigenvalue(N, alpha0, response) * (mapped / x) ** 2;
  return { x, gap: mapped - x, u, m2, response, eigenvalue, rhoS };
}

/** MF-ARD eigenvalue of rho_S -> rho_S' on its fixed point: (N / (N + 2 alpha0)) Gamma. */
export function ardEigenvalue(N: number, alpha0: number, response: number): number {
  return (N / (N + 2 * alpha0)) * response;
}

/** The symmetric branch of MF-ARD at one kappa. */
export interface SymmetricBranch {
  kappa: number;
  /** Precision and second moment of the irrelevant coordinates. */
  bath: { rho: number; m2: number };
  /** The symmetric fixed point of rho_S, or null past the fold. */
  point: BranchPoint | null;
  /** Eigenvalue of the whole map (u re-solved) at the fixed point, by central differences. */
  eigenvalue: number | null;
}

/** Scan points x from the unaligned end (large relevant precision) down. */
function scanPoints(): number[] {
  return Array.from({ length: SCAN_POINTS }, (_, i) =>
    Math.exp(Math.log(SCAN_FACTOR) * (1 - (2 * i) / (SCAN_POINTS - 1))),
  );
}

/**
 * The largest gap over the scan range and its place: >= 0 iff a symmetric fixed point exists in
 * the range (at a fold the maximum falls through 0).
 */
function largestGap(spec: CriticalSpec, s: Setting): { value: number; x: number } {
  const xs = scanPoints();
  const values = xs.map((x) => ardPoint(spec, s, x).gap);
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  if ((values[best] as number) >= 0)
    return { value: values[best] as number, x: xs[best] as number };
  // Near the fold the gap touches 0 between scan points: golden-section search in log x.
  let a = Math.log(xs[Math.min(xs.length - 1, best + 1)] as number);
  let b = Math.log(xs[Math.max(0, best - 1)] as number);
  const f = (l: number) => ardPoint(spec, s, Math.exp(l)).gap;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 30; i++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return fc > fd ? { value: fc, x: Math.exp(c) } : { value: fd, x: Math.exp(d) };
}

function ardSpec(input: CriticalSpecInput): CriticalSpec {
  const spec = parseCriticalSpec(input);
  if (!spec.ard)
    throw outOfRange('ard', "true or {alpha0, beta0} (the fold is MF-ARD's)", spec.ard);
  return spec;
}

function checkKappa(kappa: number): void {
  if (!(kappa > 0) || !Number.isFinite(kappa))
    throw outOfRange('kappa', 'a finite number > 0', kappa);
}

/**
 * MF-ARD's symmetric branch at kappa: its fixed point rho_S (the first crossing of the map from the
 * unaligned end), the linear response there and the eigenvalue of the whole map.
 */
export function symmetricBranch(input: CriticalSpecInput, kappa: number): SymmetricBranch {
  checkKappa(kappa);
  return branchAt(ardSpec(input), kappa, new Map());
}

function branchAt(spec: CriticalSpec, kappa: number, cache: NodeCache): SymmetricBranch {
  const s = setting(spec, kappa, cache);
  const bathOut = { rho: s.bathRho, m2: s.bathM2 };
  const xs = scanPoints();
  const start = xs[0] as number;
  if (ardPoint(spec, s, start).gap >= 0) {
    throw new RangeError(`symmetricBranch: the fixed point lies above the scan (x > ${start})`);
  }
  let end = xs.find((x) => ardPoint(spec, s, x).gap >= 0) ?? null;
  if (end === null) {
    const best = largestGap(spec, s);
    if (best.value < 0) return { kappa, bath: bathOut, point: null, eigenvalue: null };
    end = best.x;
  }
  const root = bisectLog(start, end, (x) => ardPoint(spec, s, x).gap >= 0);
  const point = ardPoint(spec, s, root);
  const h = 1e-4;
  const map = (x: number) => ardPoint(spec, s, x).gap + x;
  const eigenvalue = (map(root * (1 + h)) - map(root * (1 - h))) / (2 * h * root);
  return { kappa, bath: bathOut, point, eigenvalue };
}

/** Bisection in log between a (predicate false) and b (true), to relative 1e-10. */
function bisectLog(a: number, b: number, predicate: (x: number) => boolean): number {
  let lo = a;
  let hi = b;
  for (let i = 0; i < 100 && Math.abs(Math.log(hi / lo)) > 1e-10; i++) {
    const mid = Math.sqrt(lo * hi);
    if (predicate(mid)) hi = mid;
    else lo = mid;
  }
  return Math.sqrt(lo * hi);
}

/** Plain MF's equilibrium at one kappa (the same model, relevant precision fixed at the prior's). */
export interface PlainEquilibrium {
  kappa: number;
  mS: number;
  /** Relevant second moment E[w_j^2], j in S. */
  m2: number;
  bath: { rho: number; m2: number };
}

/**
 * Plain MF in the same model: the exact tilted measure of the relevant weights at the prior
 * precision, u = 1 - mS self-consistent. Unique (the feedback through r is negative): mS(kappa)
 * rises smoothly as kappa falls, without a fold.
 */
export function plainEquilibrium(input: CriticalSpecInput, kappa: number): PlainEquilibrium {
  checkKappa(kappa);
  return equilibriumAt(parseCriticalSpec({ ...input, ard: null }), kappa, new Map());
}

function equilibriumAt(spec: CriticalSpec, kappa: number, cache: NodeCache): PlainEquilibrium {
  const s = setting(spec, kappa, cache);
  const precision = s.bathM2 / spec.sigmaW ** 2;
  const { u, m } = residualOnBranch(spec, kappa, (uu) => moments(s.nodes, s.tilt, precision, uu));
  return {
    kappa,
    mS: 1 - u,
    m2: (m.mean / spec.k) * s.bathM2,
    bath: { rho: s.bathRho, m2: s.bathM2 },
  };
}

/** Default threshold of plain MF's crossover: the value the kappa-c scripts and preset use. */
export const DEFAULT_CROSSOVER_MS = 0.2;

/** The result of criticalKappa. */
export interface CriticalResult {
  method: 'mf' | 'mf-ard';
  /** 'fold': MF-ARD's linear instability; 'crossover': plain MF's equilibrium mS reaching threshold. */
  kind: 'fold' | 'crossover';
  spec: CriticalSpec;
  /** Critical noise (loss "sum"), or null (see reason). */
  kappaC: number | null;
  /** The same in the mean-loss convention, kappaC / P (THEORY.md section 3). */
  kappaCMean: number | null;
  reason: string | null;
  /** MF-ARD: the symmetric branch just above kappa_c (eigenvalue about 1). */
  branch: SymmetricBranch | null;
  /** Plain MF: the equilibrium at kappa_c. */
  equilibrium: PlainEquilibrium | null;
  /** Plain MF: the mS threshold of the crossover. */
  threshold: number | null;
}

const KAPPA_MIN = 1e-8;
/**
 * At the fold the eigenvalue is 1; just above kappa_c (relative 1e-4) it is above 0.998 in every
 * case measured. A fixed point that reaches the scan range's end, or has a smaller eigenvalue
 * there, moves continuously (k = 2: its eigenvalue peaks near 0.985).
 */
const FOLD_EIGENVALUE = 0.99;
const KAPPA_MAX = 1e8;

/**
 * The largest kappa at which `holds` is false (below kappa_c), bracketing by factors of 4 from
 * kappa = P, then bisecting in log kappa to relative 1e-4 (far below any grid spacing).
 * `holds` must be true above kappa_c and false below; `never` says what held throughout.
 */
function threshold(P: number, holds: (kappa: number) => boolean, never: string): number | string {
  let hi = P;
  while (!holds(hi)) {
    hi *= 4;
    if (hi > KAPPA_MAX) return `no symmetric branch up to kappa = ${KAPPA_MAX}`;
  }
  let lo = hi / 4;
  while (holds(lo)) {
    hi = lo;
    lo /= 4;
    if (lo < KAPPA_MIN) return `${never} down to kappa = ${KAPPA_MIN}`;
  }
  while (hi / lo > 1 + 1e-4) {
    const mid = Math.sqrt(lo * hi);
    if (holds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * kappa_c(d, k, P, N) from the equations (THEORY.md section 9). MF-ARD: the largest kappa at which
 * the symmetric fixed point of the relevant precision disappears (its fold, where the eigenvalue
 * along the target direction reaches 1). Plain MF, whose symmetric branch is linearly stable at
 * every kappa: the kappa at which its equilibrium mS reaches `threshold` (default 0.2).
 */
export function criticalKappa(
  input: CriticalSpecInput,
  options: ParseSpecOptions & { threshold?: number } = {},
): CriticalResult {
  const { threshold: mSThreshold = DEFAULT_CROSSOVER_MS, ...parseOptions } = options;
  if (!(mSThreshold > 0 && mSThreshold < 1)) {
    throw outOfRange('threshold', 'a number in (0, 1)', mSThreshold);
  }
  const spec = parseCriticalSpec(input, parseOptions);
  const ard = spec.ard !== null;
  const base = {
    method: ard ? ('mf-ard' as const) : ('mf' as const),
    kind: ard ? ('fold' as const) : ('crossover' as const),
    spec,
    threshold: ard ? null : mSThreshold,
  };
  const none = (reason: string): CriticalResult => ({
    ...base,
    kappaC: null,
    kappaCMean: null,
    reason,
    branch: null,
    equilibrium: null,
  });
  const unrepresented = representedReason(spec);
  if (unrepresented) return none(unrepresented);
  const cache: NodeCache = new Map();
  const found = ard
    ? threshold(
        spec.P,
        (kappa) => largestGap(spec, setting(spec, kappa, cache)).value >= 0,
        'the symmetric fixed point of rho_S exists',
      )
    : threshold(
        spec.P,
        (kappa) => equilibriumAt(spec, kappa, cache).mS < mSThreshold,
        `the equilibrium mS stays below ${mSThreshold}`,
      );
  if (typeof found === 'string') return none(found);
  const branch = ard ? branchAt(spec, found, cache) : null;
  const interior = (branch?.point?.x ?? 0) > (1 / SCAN_FACTOR) * 1.001;
  if (branch && !(interior && (branch.eigenvalue ?? 0) > FOLD_EIGENVALUE)) {
    // The fixed point left the scan range with an eigenvalue away from 1: no fold, a crossover.
    return none(
      `no fold: the symmetric fixed point of rho_S leaves [${1 / SCAN_FACTOR}, ${SCAN_FACTOR}] ` +
        `times the irrelevant precision at kappa = ${found.toPrecision(4)} with eigenvalue ` +
        `${branch.eigenvalue?.toFixed(3) ?? 'n/a'} < 1 (a continuous crossover)`,
    );
  }
  return {
    ...base,
    kappaC: found,
    kappaCMean: found / spec.P,
    reason: null,
    branch,
    equilibrium: ard ? null : equilibriumAt(spec, found, cache),
  };
}

/** Why the target has no weight on the neuron (then there is no kappa_c), or null. */
function representedReason(spec: CriticalSpec): string | null {
  const { activation, k } = spec;
  if (activation === 'linear' && k >= 2) {
    return `a linear network has no Walsh weight of degree k = ${k} >= 2`;
  }
  if (activation === 'relu' && k >= 3 && k % 2 === 1) {
    return `a bias-free relu neuron has no Walsh weight of odd degree k = ${k} >= 3 (THEORY.md section 1)`;
  }
  if ((activation === 'erf' || activation === 'tanh') && k % 2 === 0) {
    return `a bias-free odd activation (${activation}) has no Walsh weight of even degree k = ${k}`;
  }
  return null;
}
