/**
 * The SGLD kernel (docs/sgld.md; THEORY.md sections 3-4), twin of native/core/sgld.cpp. It
 * follows docs/sgld.md step for step: step-major (every chain does step t before any does t + 1),
 * every random value addressed by (stream, step, index), nothing kept between calls, so a run cut
 * into chunks equals the uninterrupted run exactly.
 *
 * Each chain-step copies the chain's parameters into one flat vector theta = (W, a, b), so the
 * update and the Metropolis-Hastings sums are plain loops over p, while the network maths
 * (src/backend/js/network.ts) sees W, a and b as views into that vector. The copy is O(nParams),
 * the gradient O(B nParams).
 *
 * precision 'float32' (native/core/sgld.cpp's Runner<float>): the parameters, the data the
 * gradient reads, the gradients and outputs live in Float32Arrays and the network maths is
 * src/backend/js/network32.ts; the update rounds to float where the C++ code stores a float.
 * Observables are summed in double. Agreement with native is then to float rounding, not 1e-9.
 *
 * `config.threads` is accepted and changes nothing here: this kernel runs the chains one after
 * another on the calling thread (the native kernel's threads give the numbers of one thread).
 */
import { cancelled, invalidType } from '../../errors.js';
import { HIST_GROUPS, sgldObserveCount, sgldSampleCount } from '../../methods/sgld/layout.js';
import { Purpose, streamId } from '../../rng/streams.js';
import type {
  AsyncOptions,
  GradientOutputs,
  NetworkParams,
  NetworkShape,
  SgldAccumulators,
  SgldConfig,
  SgldData,
  SgldRunResult,
  SgldState,
} from '../types.js';
import { forward, lossGradient } from './network.js';
import { forward32, lossGradient32 } from './network32.js';
import type { GradientOutputs32, NetworkParams32 } from './network32.js';
import { fillGaussian, fillUniform } from './rng.js';
import { parseAsyncOptions } from '../options.js';

/** A vector in the kernel's working precision. */
type Vec = Float64Array | Float32Array;

interface Params {
  W: Vec;
  a: Vec;
  b: Vec | null;
}

interface Outputs {
  f: Vec;
  gW: Vec;
  ga: Vec;
  gb: Vec | null;
}

/** The network maths of one precision (all vectors of that precision). */
interface Network {
  forward(shape: NetworkShape, X: Vec, params: Params, f: Vec): void;
  lossGradient(shape: NetworkShape, X: Vec, y: Vec, params: Params, out: Outputs): number;
}

const NETWORK64: Network = {
  forward: (shape, X, params, f) =>
    forward(shape, X as Float64Array, params as NetworkParams, f as Float64Array),
  lossGradient: (shape, X, y, params, out) =>
    lossGradient(
      shape,
      X as Float64Array,
      y as Float64Array,
      params as NetworkParams,
      out as GradientOutputs,
    ),
};

const NETWORK32: Network = {
  forward: (shape, X, params, f) =>
    forward32(shape, X as Float32Array, params as NetworkParams32, f as Float32Array),
  lossGradient: (shape, X, y, params, out) =>
    lossGradient32(
      shape,
      X as Float32Array,
      y as Float32Array,
      params as NetworkParams32,
      out as GradientOutputs32,
    ),
};

/** The inputs the network maths reads, in the working precision. */
interface Inputs {
  X: Vec;
  y: Vec;
  XTest: Vec;
}

/** Multiply-adds of network maths between two yields of the async form (a few milliseconds). */
const SLICE_WORK = 1 << 21;

/** One chain's parameters as a flat vector (W, a, b) with W, a and b as views into it. */
interface FlatParams {
  flat: Vec;
  params: Params;
}

/** E and its gradient (flat, in parameter order) at one state, with f on the rows used. */
interface GradientAt {
  E: number;
  flat: Vec;
  out: Outputs;
  /** MALA: this is the gradient of the chain's current state, reusable as the next step 1. */
  valid: boolean;
}

/** One chain's slices of the state and its streams. */
interface ChainViews {
  W: Float64Array;
  a: Float64Array;
  b: Float64Array | null;
  /** BAOAB: the chain's momenta (nParams, parameter order); null for Euler. */
  momentum: Float64Array | null;
  /** Own buffer with MALA (kept across steps); shared by all chains otherwise. */
  grad: GradientAt;
  noiseStream: number;
  baoabStream: number;
  batchStream: number;
  acceptStream: number;
}

/** Minibatch scratch: the B drawn rows and the uniforms that drew them. */
interface Batch {
  X: Vec;
  y: Vec;
  u: Float64Array;
}

/**
 * The constants of the BAOAB step (docs/sgld.md) as doubles: time step tau = sqrt(2 eta), the two
 * merged half kicks, each A step's tau / 2, the O step's damping exp(-friction tau) and
 * fluctuation sqrt((1 - damping^2) kappa) (1 - damping^2 as -expm1(-2 friction tau)).
 */
interface Baoab {
  kick: number;
  halfStep: number;
  damping: number;
  fluctuation: number;
}

function baoabConstants(config: SgldConfig): Baoab | null {
  if (config.integrator !== 'baoab') return null;
  const tau = Math.sqrt(2 * config.eta);
  const friction = config.friction ?? NaN;
  return {
    kick: tau,
    halfStep: 0.5 * tau,
    damping: Math.exp(-friction * tau),
    fluctuation: Math.sqrt(-Math.expm1(-2 * friction * tau) * config.kappa),
  };
}

/** Everything one call needs, allocated once per call. */
interface Kernel {
  config: SgldConfig;
  data: SgldData;
  /** precision 'float32'. */
  f32: boolean;
  net: Network;
  /** X, y, XTest in the working precision (data's own arrays for float64). */
  inputs: Inputs;
  /** Allocates a zeroed vector of the working precision. */
  alloc: (n: number) => Vec;
  acc: SgldAccumulators;
  trainShape: NetworkShape;
  batchShape: NetworkShape;
  testShape: NetworkShape;
  chains: ChainViews[];
  nParams: number;
  /** First updated parameter: N d with freezeW (W is skipped), else 0. */
  first: number;
  /** sigma_p^2 per parameter. */
  variance: Vec;
  /** P / B: the minibatch gradient is the batch sum scaled up to the training set. */
  batchScale: number;
  noiseScale: number;
  /** BAOAB's constants (null for Euler) and the momenta after a step. */
  baoab: Baoab | null;
  momentumNext: Vec;
  theta: FlatParams;
  proposal: FlatParams;
  /** MALA: E and gradient at the proposal; swapped with the chain's on acceptance. */
  proposalGrad: GradientAt;
  /** drift_p at theta, kept for the MALA forward-proposal term. */
  drift: Vec;
  /** The noise values of the updated parameters (a view of the whole step's xi). */
  xi: Float64Array;
  uAccept: Float64Array;
  batch: Batch | null;
  fTrain: Vec;
  fTest: Vec;
  /** Samples and observe rows per chain (accumulator strides). */
  S: number;
  O: number;
}

/**
 * Advances every chain over steps [stepBegin, stepEnd), updating `state` and `acc` in place
 * (docs/sgld.md, "Kernel contract"). On divergence of chain c at step t, chains before c have
 * already done step t; stepsDone counts the steps every chain completed.
 */
export function sgldRun(
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  acc: SgldAccumulators,
  stepBegin: number,
  stepEnd: number,
): SgldRunResult {
  return runSteps(createKernel(config, data, state, acc), stepBegin, stepEnd);
}

/**
 * sgldRun in slices of steps with a yield to the event loop before each, so a long run never
 * blocks it for long. Progress is reported in steps of this call after every slice. On abort the
 * steps done so far stay applied and the promise rejects with ERR_MFL_CANCELLED; an already
 * aborted signal rejects before any work.
 */
export async function sgldRunAsync(
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  acc: SgldAccumulators,
  stepBegin: number,
  stepEnd: number,
  options?: AsyncOptions,
): Promise<SgldRunResult> {
  const { signal, onProgress } = parseAsyncOptions(options);
  if (signal?.aborted) throw cancelled('sgldRun');
  const kernel = createKernel(config, data, state, acc);
  const total = stepEnd - stepBegin;
  const slice = sliceSteps(config);
  for (let done = 0; done < total;) {
    await nextTurn();
    if (signal?.aborted) throw cancelled('sgldRun');
    const begin = stepBegin + done;
    const result = runSteps(kernel, begin, Math.min(begin + slice, stepEnd));
    done += result.stepsDone;
    onProgress?.(done, total);
    if (result.divergedChain >= 0) return { ...result, stepsDone: done };
  }
  return { stepsDone: total, divergedChain: -1, divergedStep: -1 };
}

/** Resolves on the next turn of the event loop, after pending I/O and timers. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Steps per slice: about SLICE_WORK multiply-adds of gradients, one per chain-step (MALA too: the
 * current state's gradient is the previous proposal's).
 */
function sliceSteps(config: SgldConfig): number {
  const work = config.chains * config.batchSize * config.N * config.d;
  return Math.max(1, Math.floor(SLICE_WORK / work));
}

/** The step-major loop: step t of every chain, then step t + 1. */
function runSteps(kernel: Kernel, stepBegin: number, stepEnd: number): SgldRunResult {
  for (let t = stepBegin; t < stepEnd; t++) {
    for (let c = 0; c < kernel.chains.length; c++) {
      if (!step(kernel, c, t)) {
        return { stepsDone: t - stepBegin, divergedChain: c, divergedStep: t };
      }
    }
  }
  return { stepsDone: stepEnd - stepBegin, divergedChain: -1, divergedStep: -1 };
}

/** Step t of chain c (docs/sgld.md, "One step"); false when it diverged (state untouched). */
function step(kernel: Kernel, c: number, t: number): boolean {
  const chain = kernel.chains[c]!;
  loadChain(kernel.theta, chain);
  const grad = currentGradient(kernel, chain, t);
  if (!Number.isFinite(grad.E)) return false;
  observe(kernel, c, t, grad);
  if (kernel.baoab) return baoabStep(kernel, chain, grad, t);
  propose(kernel, chain, grad, t);
  if (!allFinite(kernel.proposal.flat, kernel.first)) return false;
  if (kernel.config.mala) metropolisHastings(kernel, c, chain, t);
  else storeChain(kernel.proposal, chain);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Set-up

function createKernel(
  config: SgldConfig,
  data: SgldData,
  state: SgldState,
  acc: SgldAccumulators,
): Kernel {
  const { P, d, N, bias, batchSize: B } = config;
  const nParams = N * d + N + (bias ? N : 0);
  const shape = { d, N, gamma: config.gamma, activation: config.activation, bias };
  const fullBatch = B === P;
  const f32 = config.precision === 'float32';
  const alloc = f32 ? (n: number) => new Float32Array(n) : (n: number) => new Float64Array(n);
  // float32: the state is rounded to float once, as the native kernel's write-back does.
  const baoab = baoabConstants(config);
  const momentum = baoab ? (state.momentum ?? null) : null;
  if (baoab && momentum?.length !== config.chains * nParams) {
    throw invalidType(
      'state.momentum',
      `a Float64Array of chains*nParams values (BAOAB)`,
      momentum,
    );
  }
  if (f32) {
    for (const values of [state.W, state.a, state.b, momentum]) if (values) roundToFloat(values);
  }
  const inputs: Inputs = f32
    ? {
        X: Float32Array.from(data.X),
        y: Float32Array.from(data.y),
        XTest: Float32Array.from(data.XTest),
      }
    : data;
  const shared = createGradient(alloc, config, fullBatch ? P : B);
  const theta = createFlatParams(alloc, config);
  const xiAll = new Float64Array(nParams);
  const first = config.freezeW ? N * d : 0;
  return {
    config,
    data,
    f32,
    net: f32 ? NETWORK32 : NETWORK64,
    inputs,
    alloc,
    acc,
    trainShape: { ...shape, P },
    batchShape: { ...shape, P: B },
    testShape: { ...shape, P: config.PTest },
    chains: Array.from({ length: config.chains }, (_, c) =>
      chainViews(
        config,
        state,
        momentum,
        c,
        config.mala ? createGradient(alloc, config, P) : shared,
      ),
    ),
    nParams,
    first,
    variance: priorVariances(alloc, config, nParams),
    batchScale: P / B,
    noiseScale: Math.sqrt(2 * config.eta * config.kappa),
    baoab,
    momentumNext: alloc(baoab ? nParams : 0),
    theta,
    proposal: createFlatParams(alloc, config),
    proposalGrad: config.mala ? createGradient(alloc, config, P) : shared,
    drift: alloc(nParams),
    xi: xiAll.subarray(first),
    uAccept: new Float64Array(1),
    batch: fullBatch ? null : { X: alloc(B * d), y: alloc(B), u: new Float64Array(B) },
    fTrain: alloc(P),
    fTest: alloc(config.PTest),
    S: sgldSampleCount(config),
    O: sgldObserveCount(config),
  };
}

function roundToFloat(values: Float64Array): void {
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i]!);
}

function createFlatParams(alloc: (n: number) => Vec, config: SgldConfig): FlatParams {
  const { N, d, bias } = config;
  const Nd = N * d;
  const flat = alloc(Nd + N + (bias ? N : 0));
  return {
    flat,
    params: {
      W: flat.subarray(0, Nd),
      a: flat.subarray(Nd, Nd + N),
      b: bias ? flat.subarray(Nd + N) : null,
    },
  };
}

/** Gradient buffers laid out like the parameters, with f over `rows` rows. */
function createGradient(alloc: (n: number) => Vec, config: SgldConfig, rows: number): GradientAt {
  const { flat, params } = createFlatParams(alloc, config);
  return {
    E: NaN,
    flat,
    out: { f: alloc(rows), gW: params.W, ga: params.a, gb: params.b },
    valid: false,
  };
}

function chainViews(
  config: SgldConfig,
  state: SgldState,
  momentum: Float64Array | null,
  c: number,
  grad: GradientAt,
): ChainViews {
  const { N, d } = config;
  const nParams = N * d + N + (config.bias ? N : 0);
  return {
    W: state.W.subarray(c * N * d, (c + 1) * N * d),
    a: state.a.subarray(c * N, (c + 1) * N),
    b: config.bias && state.b ? state.b.subarray(c * N, (c + 1) * N) : null,
    momentum: momentum ? momentum.subarray(c * nParams, (c + 1) * nParams) : null,
    grad,
    noiseStream: streamId(Purpose.sgldNoise, c),
    baoabStream: streamId(Purpose.baoabNoise, c),
    batchStream: streamId(Purpose.minibatch, c),
    acceptStream: streamId(Purpose.malaAccept, c),
  };
}

/** sigma_p^2 in parameter order: sigmaW^2 for W, sigmaA^2 for a, sigmaB^2 for b. */
function priorVariances(alloc: (n: number) => Vec, config: SgldConfig, nParams: number): Vec {
  const { N, d, sigmaW, sigmaA, sigmaB } = config;
  const variance = alloc(nParams).fill(sigmaB * sigmaB);
  variance.fill(sigmaW * sigmaW, 0, N * d);
  variance.fill(sigmaA * sigmaA, N * d, N * d + N);
  return variance;
}

function loadChain(theta: FlatParams, chain: ChainViews): void {
  theta.params.W.set(chain.W);
  theta.params.a.set(chain.a);
  if (chain.b && theta.params.b) theta.params.b.set(chain.b);
}

function storeChain(theta: FlatParams, chain: ChainViews): void {
  chain.W.set(theta.params.W);
  chain.a.set(theta.params.a);
  if (chain.b && theta.params.b) chain.b.set(theta.params.b);
}

// ---------------------------------------------------------------------------------------------
// Steps 1, 3 and 4: gradient, update, Metropolis-Hastings

/**
 * Step 1: E and its gradient at theta over the batch (the whole training set when B = P). With
 * MALA the previous step already computed it (the accepted proposal's, or the kept state's);
 * recomputing would give the same bits, so chunk boundaries change nothing.
 */
function currentGradient(kernel: Kernel, chain: ChainViews, t: number): GradientAt {
  const { grad } = chain;
  if (grad.valid) return grad;
  const { inputs, batch, theta, net } = kernel;
  if (batch) {
    drawBatch(kernel, chain, batch, t);
    grad.E = net.lossGradient(kernel.batchShape, batch.X, batch.y, theta.params, grad.out);
  } else {
    grad.E = net.lossGradient(kernel.trainShape, inputs.X, inputs.y, theta.params, grad.out);
  }
  grad.valid = kernel.config.mala;
  return grad;
}

/** B rows drawn with replacement: row floor(u P) for the minibatch values [t B, t B + B). */
function drawBatch(kernel: Kernel, chain: ChainViews, batch: Batch, t: number): void {
  const { P, d, batchSize: B, seed } = kernel.config;
  const { X, y } = kernel.inputs;
  fillUniform(seed, chain.batchStream, t * B, batch.u);
  for (let m = 0; m < B; m++) {
    // u < 1 - 2^-53, so u * P rounds below P for every P < 2^53: no clamp needed.
    const row = Math.floor(batch.u[m]! * P);
    for (let j = 0; j < d; j++) batch.X[m * d + j] = X[row * d + j]!;
    batch.y[m] = y[row]!;
  }
}

/** drift_p = ls g_p + kappa theta_p / sigma_p^2, g the (scaled-up) batch gradient. */
function drift(kernel: Kernel, g: number, theta: number, p: number): number {
  const { lossScale, kappa } = kernel.config;
  return lossScale * (kernel.batchScale * g) + (kappa * theta) / kernel.variance[p]!;
}

/**
 * Step 3 into kernel.proposal: theta - eta drift + sqrt(2 eta kappa) xi. The noise values of a
 * step are addressed from t nParams whatever is frozen, so frozen W still "uses up" its values.
 */
function propose(kernel: Kernel, chain: ChainViews, grad: GradientAt, t: number): void {
  const { config, first, xi, noiseScale } = kernel;
  const theta = kernel.theta.flat;
  const out = kernel.proposal.flat;
  fillGaussian(config.seed, chain.noiseStream, t * kernel.nParams + first, xi);
  for (let p = 0; p < first; p++) out[p] = theta[p]!;
  if (kernel.f32) {
    propose32(kernel, grad);
    return;
  }
  for (let p = first; p < kernel.nParams; p++) {
    const th = theta[p]!;
    const dp = drift(kernel, grad.flat[p]!, th, p);
    kernel.drift[p] = dp;
    out[p] = th - config.eta * dp + noiseScale * xi[p - first]!;
  }
}

/** The float version of the update loop of `propose`: every stored value is a float. */
function propose32(kernel: Kernel, grad: GradientAt): void {
  const { config, first, xi } = kernel;
  const fr = Math.fround;
  const eta = fr(config.eta);
  const noiseScale = fr(kernel.noiseScale);
  const theta = kernel.theta.flat;
  const out = kernel.proposal.flat;
  for (let p = first; p < kernel.nParams; p++) {
    const th = theta[p]!;
    const dp = drift32(kernel, grad.flat[p]!, th, p);
    kernel.drift[p] = dp;
    // The increment first, as Runner<float>::propose: a drift below half an ulp of theta still
    // moves it in expectation.
    out[p] = fr(th + fr(fr(noiseScale * fr(xi[p - first]!)) - fr(eta * dp)));
  }
}

/** drift_p in float: each product and sum rounded as in Dynamics<float>::drift. */
function drift32(kernel: Kernel, g: number, theta: number, p: number): number {
  const fr = Math.fround;
  const { lossScale, kappa } = kernel.config;
  const k = fr(kappa);
  return fr(
    fr(fr(lossScale) * fr(fr(kernel.batchScale) * g)) + fr(fr(k * theta) / kernel.variance[p]!),
  );
}

/**
 * The BAOAB step of docs/sgld.md: with g the gradient at theta_t and m the stored momentum (before
 * the previous step's final half kick), per updated parameter
 *
 *   m' = m - tau drift;  theta' = theta + (tau / 2) m';  m'' = damping m' + fluctuation xi;
 *   theta <- theta' + (tau / 2) m'';  m <- m''.
 *
 * Commits theta and m unless a value is not finite (false: the chain is left as it was). For
 * float32 every stored value is rounded to float, as Dynamics<float> stores it.
 */
function baoabStep(kernel: Kernel, chain: ChainViews, grad: GradientAt, t: number): boolean {
  const { config, first, xi, nParams } = kernel;
  const momentum = chain.momentum!;
  const r = kernel.f32 ? Math.fround : (x: number) => x;
  const { kick, halfStep, damping, fluctuation } = kernel.baoab!;
  const [k, h, c, s] = [r(kick), r(halfStep), r(damping), r(fluctuation)];
  const theta = kernel.theta.flat;
  const out = kernel.proposal.flat;
  const next = kernel.momentumNext;
  fillGaussian(config.seed, chain.baoabStream, t * nParams + first, xi);
  for (let p = 0; p < first; p++) out[p] = theta[p]!;
  for (let p = first; p < nParams; p++) {
    const th = theta[p]!;
    const dp = kernel.f32
      ? drift32(kernel, grad.flat[p]!, th, p)
      : drift(kernel, grad.flat[p]!, th, p);
    const kicked = r(momentum[p]! - r(k * dp));
    const half = r(th + r(h * kicked));
    const m = r(r(c * kicked) + r(s * r(xi[p - first]!)));
    out[p] = r(half + r(h * m));
    next[p] = m;
  }
  if (!allFinite(out, first) || !allFinite(next, first)) return false;
  storeChain(kernel.proposal, chain);
  momentum.set(next.subarray(first), first);
  return true;
}

function allFinite(values: Vec, from: number): boolean {
  for (let p = from; p < values.length; p++) if (!Number.isFinite(values[p]!)) return false;
  return true;
}

/**
 * Step 4: accept the proposal with probability min(1, alpha) (docs/sgld.md). An accepted
 * proposal's gradient becomes the chain's, so the next step does not recompute it.
 */
function metropolisHastings(kernel: Kernel, c: number, chain: ChainViews, t: number): void {
  const { config, inputs, acc, proposal } = kernel;
  const current = chain.grad;
  const candidate = kernel.proposalGrad;
  candidate.E = kernel.net.lossGradient(
    kernel.trainShape,
    inputs.X,
    inputs.y,
    proposal.params,
    candidate.out,
  );
  const logAlpha = logAcceptance(kernel, current, candidate);
  fillUniform(config.seed, chain.acceptStream, t, kernel.uAccept);
  acc.malaProposed[c]! += 1;
  // A NaN log alpha (E or its gradient not finite at the proposal) rejects.
  if (!(kernel.uAccept[0]! < Math.exp(Math.min(0, logAlpha)))) return;
  acc.malaAccepted[c]! += 1;
  storeChain(proposal, chain);
  candidate.valid = true;
  current.valid = false;
  chain.grad = candidate;
  kernel.proposalGrad = current;
}

/**
 * log alpha = U(theta) - U(theta') - |theta - theta' + h gradU(theta')|^2 / 4h
 *                                  + |theta' - theta + h gradU(theta)|^2 / 4h,
 * U = ls E / kappa + sum theta^2 / 2 sigma^2, gradU = drift / kappa, h = eta kappa; all sums over
 * the updated parameters (a frozen W's prior term is the same on both sides).
 */
function logAcceptance(kernel: Kernel, current: GradientAt, candidate: GradientAt): number {
  const { lossScale, kappa, eta } = kernel.config;
  const h = eta * kappa;
  const theta = kernel.theta.flat;
  const proposal = kernel.proposal.flat;
  let uTheta = (lossScale * current.E) / kappa;
  let uProposal = (lossScale * candidate.E) / kappa;
  let forth = 0;
  let back = 0;
  for (let p = kernel.first; p < kernel.nParams; p++) {
    const th = theta[p]!;
    const pr = proposal[p]!;
    const twoVariance = 2 * kernel.variance[p]!;
    uTheta += (th * th) / twoVariance;
    uProposal += (pr * pr) / twoVariance;
    const dBack = kernel.f32
      ? drift32(kernel, candidate.flat[p]!, pr, p)
      : drift(kernel, candidate.flat[p]!, pr, p);
    const f = pr - th + h * (kernel.drift[p]! / kappa);
    const b = th - pr + h * (dBack / kappa);
    forth += f * f;
    back += b * b;
  }
  return uTheta - uProposal - back / (4 * h) + forth / (4 * h);
}

// ---------------------------------------------------------------------------------------------
// Step 2: samples and observables of the state before the update

/** Sample index s of step t, or -1 when t is not a sample step. */
function sampleIndex(config: SgldConfig, t: number): number {
  const { burnIn, thin, steps } = config;
  if (t < burnIn || t >= steps || (t - burnIn) % thin !== 0) return -1;
  return (t - burnIn) / thin;
}

/** Time-series row o of step t, or -1 when t is not an observe step. */
function observeIndex(config: SgldConfig, t: number): number {
  const { observeEvery, steps } = config;
  if (observeEvery <= 0 || t >= steps || t % observeEvery !== 0) return -1;
  return t / observeEvery;
}

/** Records sample and time-series observables of theta_t when step t is one of those. */
function observe(kernel: Kernel, c: number, t: number, grad: GradientAt): void {
  const s = sampleIndex(kernel.config, t);
  const o = observeIndex(kernel.config, t);
  if (s < 0 && o < 0) return;
  const { data } = kernel;
  const fTrain = trainOutputs(kernel, grad);
  const fTest = s >= 0 || data.targetTest ? testOutputs(kernel) : null;
  const trainMse = meanSquaredError(fTrain, data.y);
  // Custom data has no clean target: mS is NaN here and null in the result.
  const mS = data.targetTest && fTest ? meanProduct(fTest, data.targetTest) : NaN;
  if (s >= 0 && fTest) recordSample(kernel, c, s, { fTrain, fTest, trainMse, mS });
  if (o >= 0) {
    const row = (c * kernel.O + o) * 3;
    kernel.acc.series[row] = t;
    kernel.acc.series[row + 1] = trainMse;
    kernel.acc.series[row + 2] = mS;
  }
}

/** f on the whole training set: the step's own f when full batch, else one extra forward. */
function trainOutputs(kernel: Kernel, grad: GradientAt): Vec {
  if (!kernel.batch) return grad.out.f;
  kernel.net.forward(kernel.trainShape, kernel.inputs.X, kernel.theta.params, kernel.fTrain);
  return kernel.fTrain;
}

function testOutputs(kernel: Kernel): Vec {
  kernel.net.forward(kernel.testShape, kernel.inputs.XTest, kernel.theta.params, kernel.fTest);
  return kernel.fTest;
}

function meanSquaredError(f: Vec, y: Float64Array): number {
  let sum = 0;
  for (let mu = 0; mu < f.length; mu++) {
    const r = f[mu]! - y[mu]!;
    sum += r * r;
  }
  return sum / f.length;
}

function meanProduct(f: Vec, target: Float64Array): number {
  let sum = 0;
  for (let mu = 0; mu < f.length; mu++) sum += f[mu]! * target[mu]!;
  return sum / f.length;
}

interface SampleOutputs {
  fTrain: Vec;
  fTest: Vec;
  trainMse: number;
  mS: number;
}

/** Adds sample s of chain c (docs/sgld.md, "Samples and observables"). */
function recordSample(kernel: Kernel, c: number, s: number, outputs: SampleOutputs): void {
  const { acc, data, config } = kernel;
  const { fTrain, fTest } = outputs;
  const testMse = meanSquaredError(fTest, data.yTest);
  addInto(acc.sumFTest, c * config.PTest, fTest);
  addInto(acc.sumFTrain, c * config.P, fTrain);
  acc.sumSampleTestMse[c]! += testMse;
  acc.sumSampleTrainMse[c]! += outputs.trainMse;
  acc.traceMS[c * kernel.S + s] = outputs.mS;
  acc.traceTestMse[c * kernel.S + s] = testMse;
  const { W, a } = kernel.theta.params;
  addFeatureSelection(kernel, c, W);
  addMarginals(kernel, c, W, a);
  acc.sumSpecialisation[c]! += specialisation(config, W);
  acc.nSamples[c]! += 1;
}

function addInto(sum: Float64Array, offset: number, values: Vec): void {
  for (let i = 0; i < values.length; i++) sum[offset + i]! += values[i]!;
}

/** sumQ[j] += (1/N) sum_i W_ij^2 (input feature selection, THEORY.md section 4). */
function addFeatureSelection(kernel: Kernel, c: number, W: Vec): void {
  const { N, d } = kernel.config;
  const { sumQ } = kernel.acc;
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let i = 0; i < N; i++) sum += W[i * d + j]! * W[i * d + j]!;
    sumQ[c * d + j]! += sum / N;
  }
}

/** Histogram and moment sums of the relevant W (group 0), irrelevant W (1) and a (2). */
function addMarginals(kernel: Kernel, c: number, W: Vec, a: Vec): void {
  const { N, d, nRelevant, histRange, sigmaW, sigmaA } = kernel.config;
  const rangeW = histRange * sigmaW;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < d; j++) addToGroup(kernel, c, j < nRelevant ? 0 : 1, rangeW, W[i * d + j]!);
  }
  const rangeA = histRange * sigmaA;
  for (let i = 0; i < N; i++) addToGroup(kernel, c, 2, rangeA, a[i]!);
}

function addToGroup(kernel: Kernel, c: number, group: number, range: number, x: number): void {
  const { hist, moments } = kernel.acc;
  const bins = kernel.config.histBins;
  const g = c * HIST_GROUPS + group;
  hist[g * (bins + 2) + histogramSlot(x, range, bins)]! += 1;
  const x2 = x * x;
  moments[g * 4]! += x;
  moments[g * 4 + 1]! += x2;
  moments[g * 4 + 2]! += x2 * x;
  moments[g * 4 + 3]! += x2 * x2;
}

/**
 * Slot of x in [underflow, bins..., overflow]: bin floor((x + range) / (2 range) * bins) of
 * [-range, range], both ends inside (x = range goes to the last bin).
 */
function histogramSlot(x: number, range: number, bins: number): number {
  if (x < -range) return 0;
  if (x > range) return bins + 1;
  return 1 + Math.min(bins - 1, Math.floor(((x + range) / (2 * range)) * bins));
}

/** Fraction of neurons whose relevant weights carry more than half of |w_i|^2 (0 if none). */
function specialisation(config: SgldConfig, W: Vec): number {
  const { N, d, nRelevant } = config;
  if (nRelevant === 0) return 0;
  let count = 0;
  for (let i = 0; i < N; i++) {
    let relevant = 0;
    let all = 0;
    for (let j = 0; j < d; j++) {
      const w2 = W[i * d + j]! * W[i * d + j]!;
      if (j < nRelevant) relevant += w2;
      all += w2;
    }
    if (relevant > 0.5 * all) count++;
  }
  return count / N;
}
