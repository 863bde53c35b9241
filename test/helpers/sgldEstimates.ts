/**
 * Posterior expectations as an SGLD run estimates them, with Monte Carlo standard errors from its
 * independent chains, in a form another estimator (tinyNet.ts: importance sampling) produces too,
 * so the two can be compared observable by observable.
 *
 * Every estimator here is a smooth function h of the mean of a "stats vector" L(theta): f on the
 * PTest test rows, mS(theta), (1/N) sum_i W_ij^2 (j = 0..d-1) and the second and fourth moments of
 * the relevant first-layer weights, the irrelevant ones and a. The observables of THEORY.md
 * section 4 (what sgld() reports) are h(mean L): mS, testMse of the posterior-mean predictor
 * (a nonlinear h), q_j and the marginals' moments.
 *
 * An SGLD run gives one mean stats vector per chain (from the accumulators); the chains are
 * independent, so the leave-one-chain-out jackknife gives the standard error of h(pooled mean),
 * nonlinear h included. With C chains it has C - 1 degrees of freedom: tests take C >= 12.
 */
import type { Backend, SgldAccumulators, SgldConfig, SgldData } from '../../src/backend/types.js';
import { HIST_GROUPS, createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { prepareSgld } from '../../src/methods/sgld/run.js';
import type { SgldSpec } from '../../src/methods/sgld/spec.js';

/** An estimate with its Monte Carlo standard error. */
export interface Estimate {
  value: number;
  se: number;
}

/** The marginals' moments in the stats vector, in this order (groups as docs/sgld.md). */
export const MOMENT_NAMES = [
  'relevantW m2',
  'relevantW m4',
  'irrelevantW m2',
  'irrelevantW m4',
  'a m2',
  'a m4',
] as const;

type Shape = Pick<SgldConfig, 'PTest' | 'd'>;

/** Length of a stats vector: PTest + 1 + d + 6. */
export function statsLength(config: Shape): number {
  return config.PTest + 1 + config.d + MOMENT_NAMES.length;
}

/** Offsets of the parts of a stats vector. */
export function statsLayout(config: Shape) {
  const mS = config.PTest;
  const q = mS + 1;
  const moments = q + config.d;
  return { fTest: 0, mS, q, moments };
}

/**
 * Names of the observables `observablesOf` returns: mS, testMse, q0..q{d-1}, the six moments
 * (groups that are empty, e.g. irrelevantW when k = d, are left out).
 */
export function observableNames(config: Pick<SgldConfig, 'd' | 'nRelevant'>): string[] {
  const names = ['mS', 'testMse'];
  for (let j = 0; j < config.d; j++) names.push(`q${j}`);
  for (const name of MOMENT_NAMES) {
    if (name.startsWith('relevantW') && config.nRelevant === 0) continue;
    if (name.startsWith('irrelevantW') && config.nRelevant === config.d) continue;
    names.push(name);
  }
  return names;
}

/** The observables h(L) of a mean stats vector L. */
export function observablesOf(
  config: Pick<SgldConfig, 'PTest' | 'd' | 'nRelevant'>,
  data: Pick<SgldData, 'yTest'>,
  L: Float64Array,
): Record<string, number> {
  const at = statsLayout(config);
  let mse = 0;
  for (let mu = 0; mu < config.PTest; mu++) mse += (L[at.fTest + mu]! - data.yTest[mu]!) ** 2;
  const all: Record<string, number> = { mS: L[at.mS]!, testMse: mse / config.PTest };
  for (let j = 0; j < config.d; j++) all[`q${j}`] = L[at.q + j]!;
  MOMENT_NAMES.forEach((name, m) => (all[name] = L[at.moments + m]!));
  const out: Record<string, number> = {};
  for (const name of observableNames(config)) out[name] = all[name]!;
  return out;
}

/** Number of values in each moment group per sample: N k, N (d - k), N. */
function groupSizes(config: SgldConfig): number[] {
  const { N, d, nRelevant } = config;
  return [N * nRelevant, N * (d - nRelevant), N];
}

/** Chain c's mean stats vector from the kernel's accumulators. */
export function chainStats(config: SgldConfig, acc: SgldAccumulators, c: number): Float64Array {
  const { PTest, d } = config;
  const at = statsLayout(config);
  const n = acc.nSamples[c]!;
  const S = acc.traceMS.length / config.chains;
  const L = new Float64Array(statsLength(config));
  for (let mu = 0; mu < PTest; mu++) L[at.fTest + mu] = acc.sumFTest[c * PTest + mu]! / n;
  let mS = 0;
  for (let s = 0; s < n; s++) mS += acc.traceMS[c * S + s]!;
  L[at.mS] = mS / n;
  for (let j = 0; j < d; j++) L[at.q + j] = acc.sumQ[c * d + j]! / n;
  groupSizes(config).forEach((size, g) => {
    const base = (c * HIST_GROUPS + g) * 4;
    const count = Math.max(1, n * size);
    L[at.moments + 2 * g] = acc.moments[base + 1]! / count;
    L[at.moments + 2 * g + 1] = acc.moments[base + 3]! / count;
  });
  return L;
}

function meanOf(vectors: readonly Float64Array[], skip = -1): Float64Array {
  const out = new Float64Array(vectors[0]!.length);
  let count = 0;
  vectors.forEach((v, c) => {
    if (c === skip) return;
    count++;
    for (let i = 0; i < v.length; i++) out[i] = out[i]! + v[i]!;
  });
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / count;
  return out;
}

/**
 * h(mean of the chains' stats) for every observable, SE from the leave-one-chain-out jackknife:
 * SE^2 = (C - 1)/C sum_c (h_(-c) - mean h_(-c))^2.
 */
export function jackknife(
  config: SgldConfig,
  data: Pick<SgldData, 'yTest'>,
  chains: readonly Float64Array[],
): Record<string, Estimate> {
  const C = chains.length;
  if (C < 2) throw new Error('jackknife: needs at least 2 chains');
  const full = observablesOf(config, data, meanOf(chains));
  const leaveOut = chains.map((_, c) => observablesOf(config, data, meanOf(chains, c)));
  const out: Record<string, Estimate> = {};
  for (const name of Object.keys(full)) {
    const values = leaveOut.map((o) => o[name]!);
    const m = values.reduce((s, v) => s + v, 0) / C;
    const ss = values.reduce((s, v) => s + (v - m) ** 2, 0);
    out[name] = { value: full[name]!, se: Math.sqrt(((C - 1) / C) * ss) };
  }
  return out;
}

/** (a - b) / sqrt(se_a^2 + se_b^2): independent estimates of the same quantity. */
export function zScore(a: Estimate, b: Estimate): number {
  return (a.value - b.value) / Math.hypot(a.se, b.se);
}

/** One SGLD run of `spec` on `backend` (one thread), as per-observable estimates. */
export interface ChainRun {
  config: SgldConfig;
  data: SgldData;
  estimates: Record<string, Estimate>;
}

/** Runs every chain of `spec` from step 0 to the end and estimates the observables. */
export async function runChains(spec: SgldSpec, backend: Backend): Promise<ChainRun> {
  const { config, data, state } = await prepareSgld(spec, backend, { threads: 1 });
  const acc = createSgldAccumulators(config);
  const result = backend.sgldRun(config, data, state, acc, 0, config.steps);
  if (result.divergedChain >= 0) {
    throw new Error(`SGLD diverged at step ${result.divergedStep} (chain ${result.divergedChain})`);
  }
  const chains = Array.from({ length: config.chains }, (_, c) => chainStats(config, acc, c));
  return { config, data, estimates: jackknife(config, data, chains) };
}
