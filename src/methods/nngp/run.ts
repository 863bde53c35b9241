/**
 * `nngp()`: the infinite-width theory of a spec (THEORY.md section 5), either as explicit kernel
 * ridge regression on the task's data (method "krr", the N -> infinity posterior mean) or as the
 * population learning curve from the kernel's spectrum (method "eigen", no P x P solve).
 * Observables are named as in THEORY.md section 4 and the SGLD result.
 */
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { resolveBackend } from '../../backend/index.js';
import { backendOption, signalOption } from '../../backend/options.js';
import type { Backend, BackendName, KernelSpec } from '../../backend/types.js';
import { cancelled, invalidType, outOfRange } from '../../errors.js';
import { makeDataset } from '../../tasks/dataset.js';
import type { GeneratedTaskSpec } from '../../tasks/spec.js';
import { labelsOption, parseOptions } from '../../validate.js';
import type { ParseSpecOptions } from '../../validate.js';
import { cleanTarget } from '../../tasks/target.js';
import { eigenlearning } from './eigen.js';
import type { EigenSolution } from './eigen.js';
import { kernelSpecOf } from './kernel.js';
import { NotPositiveDefiniteError, defaultMemoryLimit, fitKrr } from './krr.js';
import { effectiveKappa, nngpRidge, parseNngpSpec, priorScale } from './spec.js';
import type { NngpSpec, NngpSpecInput } from './spec.js';
import { gaussianSpectrum, hypercubeSpectrum } from './spectrum.js';
import type { Spectrum } from './spectrum.js';

/** Options of `nngp`. */
export interface NngpOptions {
  /** Backend (or its name) for data, kernels and Cholesky; default `getBackend()`. */
  backend?: Backend | BackendName;
  /** Cancels between stages (data, factorisation, prediction chunks are not interrupted). */
  signal?: AbortSignal;
  /** How spec fields are named in messages (the CLI names flags). */
  labels?: ParseSpecOptions;
}

/** Fields of every NNGP result. */
interface NngpResultBase {
  /** The normalised spec. */
  spec: NngpSpec;
  /** Loss normalisation (THEORY.md section 3); kappaEffective = kappa or P kappa. */
  loss: 'sum' | 'mean';
  kappaEffective: number;
  /** kappa_eff N^(2 gamma - 1) / sigma_a^2 (THEORY.md section 5). */
  ridge: number;
  /** The NNGP kernel (activation, d, sigmaW, sigmaB, bias). */
  kernel: KernelSpec;
  /** Training samples. */
  P: number;
  /** E_x (fbar(x) - y(x))^2 against the (noisy) test labels; null without test data. */
  testMse: number | null;
  /** The same on the training set; null when P = 0. */
  trainMse: number | null;
  /** The order parameter of the target (THEORY.md section 4); null for custom data. */
  mS: number | null;
  /** The backend that ran the kernels (null for eigen, which is pure TypeScript). */
  backend: string | null;
  /** mfl version. */
  version: string;
  /** Wall time of the call (data, kernels, factorisation, prediction). */
  seconds: number;
}

/** Kernel ridge regression on the data (method "krr"). */
export interface KrrResult extends NngpResultBase {
  method: 'krr';
  PTest: number;
  /** The memory limit applied (bytes). */
  memoryLimitBytes: number;
  /** Mean posterior variance over the test rows (spec.variance), else null. */
  meanVariance: number | null;
  /** fbar on the test rows (default) or the training rows. Not in JSON. */
  predictions(split?: 'test' | 'train'): Float64Array;
  /** Posterior variance on the test rows (spec.variance), else null. Not in JSON. */
  variance(): Float64Array | null;
}

/** One degree of an eigen result's spectrum. */
export interface SpectrumRow {
  degree: number;
  eigenvalue: number;
  multiplicity: number;
  /** L_l = lambda_l / (lambda_l + kt). */
  learnability: number;
}

/** The population learning curve at the spec's P (method "eigen"). */
export interface EigenResult extends NngpResultBase {
  method: 'eigen';
  inputs: 'hypercube' | 'gaussian';
  /** Degree of the target eigenfunction (k). mS = learnability of that degree. */
  targetDegree: number;
  /** Effective regularisation (Infinity when P = 0; null in JSON). */
  kt: number;
  /** Overfitting factor P / (P - sum m L^2). */
  E0: number;
  /** What is approximate, in words. */
  approximation: string;
  spectrum: SpectrumRow[];
  /** Trace of the degrees beyond the listed ones (treated as lambda << kt). */
  tailTrace: number;
}

export type NngpResult = KrrResult | EigenResult;

/** One point of `learningCurve`. */
export interface LearningCurvePoint {
  P: number;
  ridge: number;
  kt: number;
  E0: number;
  testMse: number;
  trainMse: number | null;
  /** Learnability L_k of the target eigenfunction. */
  mS: number;
}

const nngpOptionsSchema = z.strictObject({
  backend: backendOption().optional(),
  signal: signalOption().optional(),
  labels: labelsOption().optional(),
});

const labelsOnlySchema = nngpOptionsSchema.pick({ labels: true });

function labelOf(options: NngpOptions): (path: readonly PropertyKey[]) => string {
  return options.labels?.label ?? ((path) => path.map(String).join('.'));
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled('nngp');
}

function mse(f: Float64Array, y: Float64Array): number | null {
  if (f.length === 0) return null;
  let total = 0;
  for (let i = 0; i < f.length; i++) total += (f[i]! - y[i]!) ** 2;
  const value = total / f.length;
  return Number.isFinite(value) ? value : null;
}

function meanProduct(f: Float64Array, g: Float64Array): number {
  let total = 0;
  for (let i = 0; i < f.length; i++) total += f[i]! * g[i]!;
  return total / f.length;
}

/**
 * The ridge kappa_eff N^(2 gamma - 1) / sigma_a^2 at P, checked finite and > 0 (0 at P = 0 with
 * loss "mean"); the error names
 * sigmaA when it is below 1 (it divides), else kappa.
 */
function checkedRidge(spec: NngpSpec, P: number, label: (path: PropertyKey[]) => string): number {
  const ridge = nngpRidge(spec, P);
  if (Number.isFinite(ridge) && (ridge > 0 || P === 0)) return ridge;
  const { sigmaA, N, gamma } = spec.network;
  const [path, value] = sigmaA < 1 ? [['network', 'sigmaA'], sigmaA] : [['kappa'], spec.kappa];
  throw outOfRange(
    label(path),
    `such that the ridge kappa_eff N^(2 gamma - 1) / sigmaA^2 is finite and > 0 (kappa = ` +
      `${spec.kappa}, loss ${spec.loss}, P = ${P}, N = ${N}, gamma = ${gamma}, sigmaA = ` +
      `${sigmaA}: ridge ${ridge})`,
    value,
  );
}

/** The NotPositiveDefiniteError of the fit, reworded in terms of kappa (what the user sets). */
function inTermsOfKappa(err: NotPositiveDefiniteError, spec: NngpSpec, P: number, label: string) {
  const perRidge = spec.kappa / nngpRidge(spec, P);
  const hint =
    err.suggestedRidge === null
      ? '; no ridge up to 1e40 times that works: check the inputs for huge values'
      : `; the smallest ridge that works is about ${err.suggestedRidge}, i.e. ${label} >= ` +
        `${Number((err.suggestedRidge * perRidge).toPrecision(3))}`;
  return new NotPositiveDefiniteError(
    `${label}: K + ridge I is not positive definite at ridge = ${err.ridge} (ridge = kappa_eff ` +
      `N^(2 gamma - 1) / sigma_a^2 with ${label} = ${spec.kappa}; the Cholesky factorisation ` +
      `failed at leading minor ${err.minor} of ${err.size})${hint}`,
    err.ridge,
    err.suggestedRidge,
    err.minor,
    err.size,
  );
}

async function runKrr(spec: NngpSpec, options: NngpOptions, started: number): Promise<KrrResult> {
  const backend = resolveBackend(options.backend);
  const label = labelOf(options);
  const dataset = await makeDataset(spec.task, { backend, signal: options.signal });
  checkSignal(options.signal);
  const { P, PTest, d } = dataset;
  const kernel = kernelSpecOf(spec.network, d);
  const ridge = checkedRidge(spec, P, label);
  const memoryLimitBytes = spec.memoryLimitBytes ?? defaultMemoryLimit();
  let fit;
  try {
    fit = fitKrr(dataset.X, dataset.y, kernel, ridge, backend, {
      memoryLimitBytes,
      priorScale: priorScale(spec.network),
      sizeField: label(['task', 'P']),
    });
  } catch (err) {
    if (err instanceof NotPositiveDefiniteError) {
      throw inTermsOfKappa(err, spec, P, label(['kappa']));
    }
    throw err;
  }
  checkSignal(options.signal);
  const test = spec.variance
    ? fit.predictWithVariance(dataset.XTest)
    : { mean: fit.predict(dataset.XTest), variance: null };
  const target = cleanTarget(dataset);
  const variance = test.variance;
  const result: Omit<KrrResult, 'predictions' | 'variance'> = {
    method: 'krr',
    spec,
    loss: spec.loss,
    kappaEffective: effectiveKappa(spec, P),
    ridge,
    kernel,
    P,
    PTest,
    testMse: mse(test.mean, dataset.yTest),
    trainMse: mse(fit.trainPredictions, dataset.y),
    mS: target && PTest > 0 ? meanProduct(test.mean, target) : null,
    memoryLimitBytes,
    meanVariance: variance && PTest > 0 ? variance.reduce((s, v) => s + v, 0) / PTest : null,
    backend: backend.name,
    version: backend.info().version,
    seconds: (performance.now() - started) / 1000,
  };
  Object.defineProperties(result, {
    predictions: {
      value: (split: 'test' | 'train' = 'test') =>
        (split === 'train' ? fit.trainPredictions : test.mean).slice(),
      enumerable: false,
    },
    variance: { value: () => variance?.slice() ?? null, enumerable: false },
  });
  return result as KrrResult;
}

/**
 * The spectrum of a generated task's input distribution, listing at least degree k.
 * @throws MflRangeError naming network.sigmaW (or sigmaB, with bias, when it is the larger) when
 *   the prior scales make an eigenvalue or the tail trace overflow
 */
export function taskSpectrum(
  spec: NngpSpec & { task: GeneratedTaskSpec },
  options: Pick<NngpOptions, 'labels'> = {},
): Spectrum {
  const { task } = spec;
  const kernel = kernelSpecOf(spec.network, task.d);
  const spectrum =
    task.task === 'parity'
      ? hypercubeSpectrum(kernel, { minDegree: task.k })
      : gaussianSpectrum(kernel, { minDegree: task.k });
  const { eigenvalues: lambda, multiplicities: m } = spectrum;
  let trace = spectrum.tailTrace;
  for (let l = 0; l < lambda.length; l++) trace += m[l]! * lambda[l]!;
  if (Number.isFinite(trace)) return spectrum;
  const { sigmaW, sigmaB, bias } = spec.network;
  const [key, value] = bias && sigmaB > sigmaW ? ['sigmaB', sigmaB] : ['sigmaW', sigmaW];
  throw outOfRange(
    labelOf(options)(['network', key]),
    `small enough for the kernel's spectrum to be finite (sigmaW = ${sigmaW}, sigmaB = ` +
      `${sigmaB}, bias ${bias}, d = ${task.d}: its trace is ${trace})`,
    value,
  );
}

/** All target power on degree k (parity chi_S; single-index He_k(u.x)/sqrt(k!)). */
function targetPower(k: number): Float64Array {
  const W = new Float64Array(k + 1);
  W[k] = 1;
  return W;
}

const EIGEN_APPROXIMATION =
  'eigenlearning (omniscient risk) estimate of the dataset-averaged KRR test error, ' +
  'asymptotically exact for large P; degrees beyond the listed spectrum are one tail with ' +
  'lambda << kt';

function solveAt(
  spec: NngpSpec & { task: GeneratedTaskSpec },
  spectrum: Spectrum,
  P: number,
  options: Pick<NngpOptions, 'labels'>,
): { ridge: number; solution: EigenSolution } {
  const ridge = checkedRidge(spec, P, labelOf(options));
  const solution = eigenlearning(spectrum, {
    P,
    ridge,
    targetPower: targetPower(spec.task.k),
    noise: spec.task.labelNoise,
  });
  return { ridge, solution };
}

function runEigen(
  spec: NngpSpec & { task: GeneratedTaskSpec },
  options: NngpOptions,
  started: number,
): EigenResult {
  const { task } = spec;
  const spectrum = taskSpectrum(spec, options);
  checkSignal(options.signal);
  const { ridge, solution } = solveAt(spec, spectrum, task.P, options);
  const approximation =
    spectrum.approximation === null
      ? `${EIGEN_APPROXIMATION}; exact hypercube spectrum`
      : `${EIGEN_APPROXIMATION}; spectrum: ${spectrum.approximation}`;
  return {
    method: 'eigen',
    spec,
    loss: spec.loss,
    kappaEffective: effectiveKappa(spec, task.P),
    ridge,
    kernel: spectrum.kernel,
    P: task.P,
    inputs: spectrum.inputs,
    targetDegree: task.k,
    testMse: solution.testMse,
    trainMse: solution.trainMse,
    mS: solution.learnabilities[task.k] ?? 0,
    kt: solution.kt,
    E0: solution.E0,
    approximation,
    spectrum: Array.from(spectrum.eigenvalues, (eigenvalue, degree) => ({
      degree,
      eigenvalue,
      multiplicity: spectrum.multiplicities[degree]!,
      learnability: solution.learnabilities[degree]!,
    })),
    tailTrace: spectrum.tailTrace,
    backend: null,
    version: resolveBackend(options.backend).info().version,
    seconds: (performance.now() - started) / 1000,
  };
}

function isGeneratedSpec(spec: NngpSpec): spec is NngpSpec & { task: GeneratedTaskSpec } {
  return spec.task.task !== 'custom';
}

/**
 * The infinite-width (NNGP) theory of a two-layer network on a task (THEORY.md section 5).
 *
 * method "krr": builds the task's data, factorises K(X, X) + ridge I (Cholesky) and predicts on
 * the test rows: testMse, trainMse (fbar_train = y - ridge alpha), mS = mean over test rows of
 * fbar x the clean target, predictions() and, with spec.variance, the GP posterior variance.
 *
 * method "eigen": the population learning curve at the spec's P from the kernel's spectrum, no
 * P x P solve (milliseconds for any P): exact on the hypercube (parity), leading order in 1/d for
 * Gaussian inputs (single-index; the result's `approximation` states it). mS is the learnability
 * L_k = lambda_k / (lambda_k + kt) of the target eigenfunction: the dataset-averaged
 * E_x[fbar chi_S] (the target has unit power on one degree-k eigenfunction).
 *
 * @param input the spec (see `parseNngpSpec`)
 * @param options backend ("native", "js" or a Backend), signal (an AbortSignal), labels;
 *   unknown keys are errors
 * @returns a KrrResult or an EigenResult (discriminated by `method`)
 * @throws MflTypeError / MflRangeError / MflError ERR_MFL_UNKNOWN_OPTION for a bad spec
 * @throws MflRangeError ERR_MFL_OUT_OF_RANGE naming P before allocating when the P x P matrix
 *   exceeds the memory limit; naming kappa when K + ridge I is not positive definite (with the
 *   smallest ridge and kappa that work)
 * @throws MflError ERR_MFL_CANCELLED when `signal` aborts; ERR_MFL_IO / ERR_MFL_FORMAT for data
 * @example
 * const r = await nngp({ task: { task: 'parity', d: 12, k: 4, P: 400 }, kappa: 0.01 });
 * r.testMse; // about 1: kernels need P of order C(12, 4) = 495 and more
 */
export async function nngp(
  input: NngpSpecInput | NngpSpec,
  optionsInput: NngpOptions = {},
): Promise<NngpResult> {
  const options: NngpOptions = parseOptions(nngpOptionsSchema, optionsInput);
  const spec = parseNngpSpec(input, options.labels);
  const started = performance.now();
  checkSignal(options.signal);
  if (spec.method === 'eigen' && isGeneratedSpec(spec)) return runEigen(spec, options, started);
  return runKrr(spec, options, started);
}

/**
 * The eigenlearning curve of a spec at many training-set sizes (the spec's own P is ignored):
 * one spectrum, then microseconds per P.
 * @param input an NNGP spec with a generated task (its method is ignored)
 * @param Ps training-set sizes, integers >= 0 (any size, e.g. up to 1e9)
 * @returns one point per P, in order: ridge (depends on P with loss "mean"), kt, E0, testMse,
 *   trainMse, mS (= L_k)
 * @throws MflTypeError when Ps is not an array or holds a non-number (a hole included)
 * @throws MflRangeError for a custom task or a bad P
 * @example learningCurve({ task: { task: 'parity', d: 35, k: 4, P: 0 }, kappa: 0.01 },
 *   [1e3, 1e4, 1e5, 1e6]).map((p) => p.testMse)
 */
export function learningCurve(
  input: NngpSpecInput | NngpSpec,
  Ps: readonly number[],
  optionsInput: Pick<NngpOptions, 'labels'> = {},
): LearningCurvePoint[] {
  const options = parseOptions(labelsOnlySchema, optionsInput);
  const spec = parseNngpSpec(input, options.labels);
  if (!isGeneratedSpec(spec)) {
    throw outOfRange('task.task', '"parity" or "single-index" for a learning curve', 'custom');
  }
  if (!Array.isArray(Ps)) throw invalidType('Ps', 'an array of integers >= 0', Ps);
  // Every index, holes included (forEach would skip them).
  for (let i = 0; i < Ps.length; i++) {
    const P: unknown = Ps[i];
    if (typeof P !== 'number') throw invalidType(`Ps[${i}]`, 'an integer >= 0', P);
    if (!Number.isSafeInteger(P) || P < 0) throw outOfRange(`Ps[${i}]`, 'an integer >= 0', P);
  }
  const spectrum = taskSpectrum(spec, options);
  return Ps.map((P) => {
    const { ridge, solution } = solveAt(spec, spectrum, P, options);
    return {
      P,
      ridge,
      kt: solution.kt,
      E0: solution.E0,
      testMse: solution.testMse,
      trainMse: solution.trainMse,
      mS: solution.learnabilities[spec.task.k] ?? 0,
    };
  });
}
