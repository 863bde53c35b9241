/**
 * Models of the raw native addon functions (`loadNative().addon`): every argument and every key
 * of every options object, with the binding's own names for them ("P", "data.X", "acc.hist").
 */
import fc from 'fast-check';
import type { NativeAddon } from '../../src/binding.js';
import type { MfKernelConfig, SgldConfig } from '../../src/backend/types.js';
import { MF_ACC_KEYS, createMfAccumulators } from '../../src/methods/mf/layout.js';
import { SGLD_ACC_KEYS, createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import {
  ACTIVATION,
  BOOL,
  COUNT,
  DIM,
  INDEX,
  MAX_INDEX,
  NONNEGATIVE,
  POSITIVE,
  enumOf,
  f64,
  gaussian,
  int,
  mfConfigArb,
  num,
  objectFields,
  seedArb,
  sgldConfigArb,
  shapeArb,
  type Shape,
} from './kinds.js';
import {
  CANCELLED,
  withTimeout,
  finiteProblem,
  firstProblem,
  hasHuge,
  type Field,
  type Kind,
  type Model,
} from './model.js';

/** Whether `err` is the cancellation a cancelled job rejects with. */
export function isCancelled(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_MFL_CANCELLED';
}

export interface AsyncParams {
  cancel: boolean;
  progress: boolean;
}

export const asyncArb: fc.Arbitrary<AsyncParams> = fc.record({
  cancel: fc.boolean(),
  progress: fc.boolean(),
});

/** Settles an addon job: cancelled first when asked; its cancellation is then a result. */
export async function settle<T>(
  job: { promise: Promise<T>; cancel(): void },
  a: AsyncParams,
  what: string,
): Promise<T | 'cancelled'> {
  if (a.cancel) job.cancel();
  try {
    return await withTimeout(job.promise, what);
  } catch (err) {
    if (a.cancel && isCancelled(err)) return CANCELLED;
    throw err;
  }
}

const progressFn = (a: AsyncParams) => (a.progress ? () => undefined : null);

// ---- rng -----------------------------------------------------------------------------------------

interface FillParams {
  seed: number;
  stream: number;
  offset: number;
  n: number;
}

const fillArb: fc.Arbitrary<FillParams> = fc.record({
  seed: seedArb,
  stream: fc.integer({ min: 0, max: 2 ** 33 }),
  offset: fc.oneof(fc.nat({ max: 1000 }), fc.constant(MAX_INDEX - 20)),
  n: fc.nat({ max: 16 }),
});

const FILL_FIELDS: Field[] = [
  { path: [0], label: 'seed', kind: INDEX },
  { path: [1], label: 'stream', kind: INDEX },
  { path: [2], label: 'offset', kind: INDEX },
  { path: [3], label: 'out', kind: f64({ exact: false }) },
];

export function fillModel(
  name: string,
  fill: (seed: unknown, stream: unknown, offset: unknown, out: unknown) => unknown,
): Model<FillParams> {
  return {
    name,
    params: fillArb,
    base: (p) => [p.seed, p.stream, p.offset, new Float64Array(p.n)],
    fields: () => FILL_FIELDS,
    call: (args) => fill(args[0], args[1], args[2], args[3]),
    verify: (args) => {
      const out = args[3] as Float64Array;
      if (name.endsWith('fillUniform') && out.some((v) => !(v >= 0 && v < 1))) {
        return `uniform value outside [0, 1): ${Array.from(out).join(', ')}`;
      }
      return finiteProblem('out', out);
    },
  };
}

const U32 = (): Kind => ({
  t: 'array',
  type: 'Uint32Array',
  exact: true,
  finite: false,
});

function philoxModel(addon: NativeAddon): Model<number> {
  return {
    name: 'addon.philox4x32',
    params: fc.nat(),
    base: (p) => [Uint32Array.of(p, 1, 2, 3), Uint32Array.of(7, p), new Uint32Array(4)],
    fields: () => [
      { path: [0], label: 'counter', kind: U32() },
      { path: [1], label: 'key', kind: U32() },
      { path: [2], label: 'out', kind: U32() },
    ],
    call: (args) => addon.philox4x32(...(args as [Uint32Array, Uint32Array, Uint32Array])),
  };
}

// ---- tasks ---------------------------------------------------------------------------------------

export interface TaskParams {
  kind: 'parity' | 'single-index';
  d: number;
  k: number;
  labelNoise: number;
  seed: number;
  test: boolean;
  rowOffset: number;
  n: number;
}

export const taskArb: fc.Arbitrary<TaskParams> = fc
  .record({
    kind: fc.constantFrom('parity', 'single-index'),
    d: fc.integer({ min: 1, max: 8 }),
    kFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    labelNoise: fc.double({ min: 0, max: 2, noNaN: true }),
    seed: seedArb,
    test: fc.boolean(),
    farRows: fc.boolean(),
    rowOffset: fc.nat({ max: 100 }),
    n: fc.nat({ max: 8 }),
  })
  .map(({ kFraction, farRows, ...t }) => ({
    ...t,
    k: Math.round(kFraction * Math.min(t.d, 20)),
    // The last rows there are: (rowOffset + n) d = 2^53 at most.
    rowOffset: farRows ? Math.min(2 ** 53 - 1, Math.floor(2 ** 53 / t.d) - t.n) : t.rowOffset,
  }));

export const TASK_KINDS: Record<string, Kind> = {
  kind: enumOf(['parity', 'single-index']),
  d: DIM,
  k: COUNT,
  labelNoise: num(0, 1e150),
  seed: INDEX,
};

export function verifyRows(X: unknown, y: unknown): string | null {
  return firstProblem(finiteProblem('X', X), finiteProblem('y', y));
}

function taskModel(addon: NativeAddon): Model<TaskParams> {
  return {
    name: 'addon.generateTaskRows',
    params: taskArb,
    base: (t) => [
      {
        kind: t.kind,
        d: t.d,
        k: t.k,
        labelNoise: t.labelNoise,
        seed: t.seed,
        test: t.test,
        rowOffset: t.rowOffset,
      },
      new Float64Array(t.n * t.d),
      new Float64Array(t.n),
    ],
    fields: () => [
      ...objectFields(
        [0],
        'options',
        { ...TASK_KINDS, test: BOOL, rowOffset: INDEX },
        { strict: true },
      ),
      { path: [1], label: 'X', kind: f64({}) },
      { path: [2], label: 'y', kind: f64({ exact: false }) },
    ],
    call: (args) =>
      addon.generateTaskRows(...(args as Parameters<NativeAddon['generateTaskRows']>)),
    verify: (args) => verifyRows(args[1], args[2]),
    labels: ['n', 'n*d'],
  };
}

function taskAsyncModel(addon: NativeAddon): Model<[TaskParams, AsyncParams]> {
  const sync = taskModel(addon);
  return {
    name: 'addon.generateTaskRowsAsync',
    params: fc.tuple(taskArb, asyncArb),
    base: ([t, a]) => [...sync.base(t), progressFn(a)],
    fields: ([t]) => [
      ...sync
        .fields(t)
        .map((f) => (f.kind.t === 'array' ? { ...f, kind: { ...f.kind, fixedLength: true } } : f)),
      { path: [3], label: 'onProgress', kind: { t: 'callback' }, nullable: true },
    ],
    call: (args, [, a]) =>
      settle(
        addon.generateTaskRowsAsync(...(args as Parameters<NativeAddon['generateTaskRowsAsync']>)),
        a,
        'generateTaskRowsAsync',
      ),
    verify: (args, r) => (r === 'cancelled' ? null : verifyRows(args[1], args[2])),
    labels: sync.labels,
    codes: ['ERR_MFL_CANCELLED'],
  };
}

// ---- network -------------------------------------------------------------------------------------

export const SHAPE_KINDS: Record<string, Kind> = {
  P: DIM,
  d: DIM,
  N: DIM,
  gamma: num(0.5, 1),
  activation: ACTIVATION,
  bias: BOOL,
};

export function networkArrays(s: Shape) {
  return {
    X: gaussian(s.P * s.d, s.seed, 1),
    y: gaussian(s.P, s.seed, 2),
    W: gaussian(s.N * s.d, s.seed, 3),
    a: gaussian(s.N, s.seed, 4),
    b: s.bias ? gaussian(s.N, s.seed, 5) : null,
  };
}

const shapeOptions = (s: Shape) => ({
  P: s.P,
  d: s.d,
  N: s.N,
  gamma: s.gamma,
  activation: s.activation,
  bias: s.bias,
});

/** b (and gb): a Float64Array of N with bias, else null. */
export function biasKind(s: Shape, input: boolean): Pick<Field, 'kind' | 'nullable'> {
  return s.bias ? { kind: f64({ input }) } : { kind: { t: 'nullOnly' }, nullable: true };
}

function forwardModel(addon: NativeAddon): Model<Shape> {
  return {
    name: 'addon.forward',
    params: shapeArb,
    base: (s) => {
      const n = networkArrays(s);
      return [shapeOptions(s), n.X, n.W, n.a, n.b, new Float64Array(s.P)];
    },
    fields: (s) => [
      ...objectFields([0], 'options', SHAPE_KINDS, { strict: true }),
      { path: [1], label: 'X', kind: f64({ input: true }) },
      { path: [2], label: 'W', kind: f64({ input: true }) },
      { path: [3], label: 'a', kind: f64({ input: true }) },
      { path: [4], label: 'b', ...biasKind(s, true) },
      { path: [5], label: 'f', kind: f64({}) },
    ],
    call: (args) => addon.forward(...(args as Parameters<NativeAddon['forward']>)),
    verify: (args) => (hasHuge(args) ? null : finiteProblem('f', args[5])),
  };
}

function lossGradientModel(addon: NativeAddon): Model<Shape> {
  return {
    name: 'addon.lossGradient',
    params: shapeArb,
    base: (s) => {
      const n = networkArrays(s);
      const gb = s.bias ? new Float64Array(s.N) : null;
      const outputs = [new Float64Array(s.P), new Float64Array(s.N * s.d), new Float64Array(s.N)];
      return [shapeOptions(s), n.X, n.y, n.W, n.a, n.b, ...outputs, gb];
    },
    fields: (s) => [
      ...objectFields([0], 'options', SHAPE_KINDS, { strict: true }),
      { path: [1], label: 'X', kind: f64({ input: true }) },
      { path: [2], label: 'y', kind: f64({ input: true }) },
      { path: [3], label: 'W', kind: f64({ input: true }) },
      { path: [4], label: 'a', kind: f64({ input: true }) },
      { path: [5], label: 'b', ...biasKind(s, true) },
      { path: [6], label: 'f', kind: f64({}) },
      { path: [7], label: 'gW', kind: f64({}) },
      { path: [8], label: 'ga', kind: f64({}) },
      { path: [9], label: 'gb', ...biasKind(s, false) },
    ],
    call: (args) => addon.lossGradient(...(args as Parameters<NativeAddon['lossGradient']>)),
    verify: (args, E) =>
      hasHuge(args)
        ? null
        : firstProblem(
            Number.isFinite(E) ? null : `E = ${String(E)}`,
            ...[6, 7, 8, 9].map((i) => finiteProblem(['f', 'gW', 'ga', 'gb'][i - 6]!, args[i])),
          ),
  };
}

// ---- blas, kernels, cholesky ---------------------------------------------------------------------

interface GemmParams {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  seed: number;
}

const gemmArb: fc.Arbitrary<GemmParams> = fc.record({
  transA: fc.boolean(),
  transB: fc.boolean(),
  M: fc.integer({ min: 1, max: 5 }),
  N: fc.integer({ min: 1, max: 5 }),
  K: fc.integer({ min: 1, max: 5 }),
  alpha: fc.double({ min: -2, max: 2, noNaN: true }),
  beta: fc.double({ min: -2, max: 2, noNaN: true }),
  seed: seedArb,
});

export const GEMM_KINDS: Record<string, Kind> = {
  transA: BOOL,
  transB: BOOL,
  M: DIM,
  N: DIM,
  K: DIM,
  alpha: num(-1e308, 1e308),
  beta: num(-1e308, 1e308),
};

export function gemmArgs(g: GemmParams): unknown[] {
  const { seed, ...options } = g;
  return [
    options,
    gaussian(g.M * g.K, seed, 1),
    gaussian(g.K * g.N, seed, 2),
    gaussian(g.M * g.N, seed, 3),
  ];
}

export const GEMM_ARRAYS: Field[] = [
  { path: [1], label: 'A', kind: f64({}) },
  { path: [2], label: 'B', kind: f64({}) },
  { path: [3], label: 'C', kind: f64({}) },
];

function gemmModel(addon: NativeAddon): Model<GemmParams> {
  return {
    name: 'addon.gemm',
    params: gemmArb,
    base: gemmArgs,
    fields: () => [...objectFields([0], 'options', GEMM_KINDS, { strict: true }), ...GEMM_ARRAYS],
    call: (args) => addon.gemm(...(args as Parameters<NativeAddon['gemm']>)),
    verify: (args) => (hasHuge(args) ? null : finiteProblem('C', args[3])),
    labels: ['M*K', 'K*N', 'M*N'],
  };
}

export interface KernelParams {
  kernel: 'relu' | 'erf' | 'linear';
  d: number;
  sigmaW: number;
  sigmaB: number;
  bias: boolean;
  P: number;
  Q: number;
  seed: number;
}

export const kernelArb: fc.Arbitrary<KernelParams> = fc.record({
  kernel: fc.constantFrom('relu', 'erf', 'linear'),
  d: fc.integer({ min: 1, max: 5 }),
  sigmaW: fc.double({ min: 0.1, max: 3, noNaN: true }),
  sigmaB: fc.double({ min: 0.1, max: 3, noNaN: true }),
  bias: fc.boolean(),
  P: fc.integer({ min: 1, max: 5 }),
  Q: fc.integer({ min: 1, max: 5 }),
  seed: seedArb,
});

export const KERNEL_KINDS: Record<string, Kind> = {
  kernel: enumOf(['relu', 'erf', 'linear']),
  d: DIM,
  sigmaW: POSITIVE,
  sigmaB: POSITIVE,
  bias: BOOL,
};

export const kernelSpec = (k: KernelParams) => ({
  kernel: k.kernel,
  d: k.d,
  sigmaW: k.sigmaW,
  sigmaB: k.sigmaB,
  bias: k.bias,
});

const ROWS = f64({ exact: false, input: true, nonEmpty: true });
export const KERNEL_LABELS = ['P', 'Q', 'P*P', 'Q*P'];

export type KernelFn = 'nngpGram' | 'nngpCross' | 'nngpDiag';

/** Arguments and fields of nngpGram / nngpCross / nngpDiag. */
export function kernelCall(fn: KernelFn, k: KernelParams): { args: unknown[]; arrays: Field[] } {
  const X = gaussian(k.P * k.d, k.seed, 1);
  if (fn === 'nngpGram') {
    return {
      args: [kernelSpec(k), X, new Float64Array(k.P * k.P)],
      arrays: [
        { path: [1], label: 'X', kind: ROWS },
        { path: [2], label: 'K', kind: f64({}) },
      ],
    };
  }
  if (fn === 'nngpDiag') {
    return {
      args: [kernelSpec(k), X, new Float64Array(k.P)],
      arrays: [
        { path: [1], label: 'X', kind: ROWS },
        { path: [2], label: 'out', kind: f64({}) },
      ],
    };
  }
  const Xs = gaussian(k.Q * k.d, k.seed, 2);
  return {
    args: [kernelSpec(k), Xs, X, new Float64Array(k.Q * k.P)],
    arrays: [
      { path: [1], label: 'Xs', kind: ROWS },
      { path: [2], label: 'X', kind: ROWS },
      { path: [3], label: 'K', kind: f64({}) },
    ],
  };
}

function kernelModel(addon: NativeAddon, fn: KernelFn): Model<KernelParams> {
  return {
    name: `addon.${fn}`,
    params: kernelArb,
    base: (k) => kernelCall(fn, k).args,
    fields: (k) => [
      ...objectFields([0], 'spec', KERNEL_KINDS, { strict: true }),
      ...kernelCall(fn, k).arrays,
    ],
    call: (args) => (addon[fn] as (...a: unknown[]) => unknown)(...args),
    verify: (args) => (hasHuge(args) ? null : finiteProblem('K', args[args.length - 1])),
    labels: KERNEL_LABELS,
  };
}

export interface CholeskyParams {
  n: number;
  ridge: number;
  nrhs: number;
  seed: number;
}

export const choleskyArb: fc.Arbitrary<CholeskyParams> = fc.record({
  n: fc.integer({ min: 1, max: 5 }),
  ridge: fc.double({ min: 0, max: 2, noNaN: true }),
  nrhs: fc.nat({ max: 3 }),
  seed: seedArb,
});

/** G G^T + I: symmetric positive definite. */
export function spd(n: number, seed: number): Float64Array {
  const G = gaussian(n * n, seed, 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) s += G[i * n + k]! * G[j * n + k]!;
      A[i * n + j] = s;
    }
  }
  return A;
}

/** A Cholesky factor: the lower triangle of an SPD matrix's factor, upper triangle zero. */
export function factor(n: number, seed: number): Float64Array {
  const L = spd(n, seed);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let s = L[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = s / L[j * n + j]!;
    }
    let pivot = L[i * n + i]!;
    for (let k = 0; k < i; k++) pivot -= L[i * n + k]! ** 2;
    L[i * n + i] = Math.sqrt(pivot);
    for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  }
  return L;
}

export const CHOLESKY_FIELDS: Field[] = [
  // Only the lower triangle is read, so a NaN may be harmless: not `input`.
  { path: [0], label: 'A', kind: f64({}) },
  { path: [1], label: 'n', kind: DIM },
  { path: [2], label: 'ridge', kind: NONNEGATIVE },
];

export const SOLVE_FIELDS: Field[] = [
  { path: [0], label: 'L', kind: f64({}) },
  { path: [1], label: 'n', kind: DIM },
  { path: [2], label: 'B', kind: f64({ exact: false, input: true }) },
];

export function verifyCholesky(args: unknown[], info: unknown): string | null {
  const n = args[1] as number;
  if (!Number.isInteger(info) || (info as number) < 0 || (info as number) > n) {
    return `cholesky returned ${String(info)} for n = ${n}`;
  }
  if (info !== 0 || hasHuge(args)) return null;
  const A = args[0] as Float64Array;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      if (!Number.isFinite(A[i * n + j])) return `L[${i * n + j}] = ${A[i * n + j]} with info 0`;
    }
  }
  return null;
}

function choleskyModel(addon: NativeAddon): Model<CholeskyParams> {
  return {
    name: 'addon.cholesky',
    params: choleskyArb,
    base: (c) => [spd(c.n, c.seed), c.n, c.ridge],
    fields: () => CHOLESKY_FIELDS,
    call: (args) => addon.cholesky(...(args as Parameters<NativeAddon['cholesky']>)),
    verify: verifyCholesky,
    labels: ['n*n'],
  };
}

function choleskySolveModel(addon: NativeAddon): Model<CholeskyParams> {
  return {
    name: 'addon.choleskySolve',
    params: choleskyArb,
    base: (c) => [factor(c.n, c.seed), c.n, gaussian(c.nrhs * c.n, c.seed, 2)],
    fields: () => SOLVE_FIELDS,
    call: (args) => addon.choleskySolve(...(args as Parameters<NativeAddon['choleskySolve']>)),
    verify: (args) => (hasHuge(args) ? null : finiteProblem('B', args[2])),
    labels: ['n*n', 'nrhs'],
  };
}

// ---- sgld ----------------------------------------------------------------------------------------

export const SGLD_CONFIG_KINDS: Record<string, Kind> = {
  P: DIM,
  d: DIM,
  N: DIM,
  PTest: COUNT,
  chains: DIM,
  gamma: num(0.5, 1),
  activation: ACTIVATION,
  bias: BOOL,
  kappa: POSITIVE,
  eta: POSITIVE,
  lossScale: POSITIVE,
  sigmaW: POSITIVE,
  sigmaA: POSITIVE,
  sigmaB: POSITIVE,
  batchSize: DIM,
  freezeW: BOOL,
  mala: BOOL,
  seed: INDEX,
  steps: int(1, MAX_INDEX),
  burnIn: INDEX,
  thin: int(1, MAX_INDEX),
  observeEvery: INDEX,
  nRelevant: COUNT,
  histBins: int(1, 10000),
  histRange: POSITIVE,
  precision: enumOf(['float64', 'float32']),
  threads: int(1, 256),
};

const DATA = (input: boolean): Record<string, Kind | Omit<Field, 'path' | 'label'>> => ({
  X: f64({ input }),
  y: f64({ input }),
  XTest: f64({ input }),
  yTest: f64({ input }),
  targetTest: { kind: f64({ input }), nullable: true },
});

export interface RunParams<C> {
  config: C;
  targetTest: boolean;
  begin: number;
}

function dataOf(c: { P: number; d: number; PTest: number; seed: number }, targetTest: boolean) {
  return {
    X: gaussian(c.P * c.d, c.seed, 11),
    y: gaussian(c.P, c.seed, 12),
    XTest: gaussian(c.PTest * c.d, c.seed, 13),
    yTest: gaussian(c.PTest, c.seed, 14),
    targetTest: targetTest ? gaussian(c.PTest, c.seed, 15) : null,
  };
}

export const sgldRunArb: fc.Arbitrary<RunParams<SgldConfig>> = fc.record({
  config: sgldConfigArb,
  targetTest: fc.boolean(),
  begin: fc.double({ min: 0, max: 1, noNaN: true }),
});

export function sgldArgs(r: RunParams<SgldConfig>): unknown[] {
  const c = r.config;
  const state = {
    W: gaussian(c.chains * c.N * c.d, c.seed, 16),
    a: gaussian(c.chains * c.N, c.seed, 17),
    b: c.bias ? gaussian(c.chains * c.N, c.seed, 18) : null,
  };
  const begin = Math.floor(r.begin * c.steps);
  return [{ ...c }, dataOf(c, r.targetTest), state, createSgldAccumulators(c), begin, c.steps];
}

/** The fields of sgldRun(config, data, state, acc, stepBegin, stepEnd); `strict`: the addon. */
export function sgldFields(
  r: RunParams<SgldConfig>,
  strict: boolean,
  fixedLength = false,
): Field[] {
  const out = (input = false) => f64({ input, fixedLength });
  const b: Omit<Field, 'path' | 'label'> = r.config.bias
    ? { kind: out() }
    : { kind: { t: 'nullOnly' }, nullable: true };
  return [
    ...objectFields([0], 'config', SGLD_CONFIG_KINDS, { strict }),
    ...objectFields([1], 'data', DATA(true), { strict, prefix: 'data.' }).map((f) =>
      f.kind.t === 'array' ? { ...f, kind: { ...f.kind, fixedLength } } : f,
    ),
    ...objectFields([2], 'state', { W: out(), a: out(), b }, { strict, prefix: 'state.' }),
    ...objectFields([3], 'acc', Object.fromEntries(SGLD_ACC_KEYS.map((k) => [k, out()])), {
      strict,
      prefix: 'acc.',
    }),
    { path: [4], label: 'stepBegin', kind: INDEX },
    { path: [5], label: 'stepEnd', kind: INDEX },
  ];
}

export const SGLD_LABELS = [
  'chains',
  'S',
  'O',
  'nParams',
  'histBins',
  'sgld workspace',
  'steps',
  'batchSize',
];

export function verifySgld(args: unknown[], result: unknown): string | null {
  if (result === 'cancelled') return null;
  const r = result as { stepsDone: number; divergedChain: number; divergedStep: number };
  const span = (args[5] as number) - (args[4] as number);
  if (!Number.isInteger(r.stepsDone) || r.stepsDone < 0 || r.stepsDone > span) {
    return `stepsDone = ${r.stepsDone} for ${span} steps`;
  }
  if (r.divergedChain >= 0 || hasHuge(args)) return null;
  if (r.stepsDone !== span)
    return `stepsDone = ${r.stepsDone} without divergence, expected ${span}`;
  const state = args[2] as Record<string, unknown>;
  return firstProblem(...['W', 'a', 'b'].map((k) => finiteProblem(`state.${k}`, state[k])));
}

function sgldModel(addon: NativeAddon): Model<RunParams<SgldConfig>> {
  return {
    name: 'addon.sgldRun',
    params: sgldRunArb,
    base: sgldArgs,
    fields: (r) => sgldFields(r, true),
    call: (args) => addon.sgldRun(...(args as Parameters<NativeAddon['sgldRun']>)),
    verify: verifySgld,
    labels: SGLD_LABELS,
  };
}

function sgldAsyncModel(addon: NativeAddon): Model<[RunParams<SgldConfig>, AsyncParams]> {
  return {
    name: 'addon.sgldRunAsync',
    params: fc.tuple(sgldRunArb, asyncArb),
    base: ([r, a]) => [...sgldArgs(r), progressFn(a)],
    fields: ([r]) => [
      ...sgldFields(r, true, true),
      { path: [6], label: 'onProgress', kind: { t: 'callback' }, nullable: true },
    ],
    call: (args, [, a]) =>
      settle(
        addon.sgldRunAsync(...(args as Parameters<NativeAddon['sgldRunAsync']>)),
        a,
        'sgldRunAsync',
      ),
    verify: verifySgld,
    labels: SGLD_LABELS,
    codes: ['ERR_MFL_CANCELLED'],
  };
}

// ---- mean field ----------------------------------------------------------------------------------

export const MF_CONFIG_KINDS: Record<string, Kind> = {
  P: DIM,
  d: DIM,
  PTest: COUNT,
  M: DIM,
  N: num(1, Number.MAX_VALUE),
  gamma: num(0.5, 1),
  kappa: POSITIVE,
  sigmaW: POSITIVE,
  sigmaA: POSITIVE,
  activation: ACTIVATION,
  dt: POSITIVE,
  seed: INDEX,
  branch: int(0, 2 ** 32 - 1),
  steps: int(1, MAX_INDEX),
  burnIn: INDEX,
  sampleEvery: int(1, MAX_INDEX),
  observeEvery: int(1, MAX_INDEX),
  batches: int(1, 10000),
  nRelevant: COUNT,
  ardAlpha0: POSITIVE,
  ardBeta0: POSITIVE,
  ardEma: num(0, 1),
  ardPrecisions: enumOf(['coordinate', 'neuron']),
  histBins: int(1, 10000),
  histRange: POSITIVE,
  solve: enumOf(['cholesky', 'woodbury']),
  average: enumOf(['kernel', 'predictor']),
};

export const mfRunArb: fc.Arbitrary<RunParams<MfKernelConfig>> = fc.record({
  config: mfConfigArb,
  targetTest: fc.boolean(),
  begin: fc.double({ min: 0, max: 1, noNaN: true }),
});

export function mfArgs(r: RunParams<MfKernelConfig>): unknown[] {
  const c = r.config;
  const state = {
    W: gaussian(c.M * c.d, c.seed, 16, c.sigmaW),
    rho: new Float64Array(c.ardPrecisions === 'neuron' ? c.M * c.d : c.d).fill(1 / c.sigmaW ** 2),
    rPrev: gaussian(c.P, c.seed, 17),
  };
  const begin = Math.floor(r.begin * c.steps);
  return [{ ...c }, dataOf(c, r.targetTest), state, createMfAccumulators(c), begin, c.steps];
}

export function mfFields(_: RunParams<MfKernelConfig>, strict: boolean, fixedLength = false) {
  const arr = (input = false) => f64({ input, fixedLength });
  return [
    ...objectFields([0], 'config', MF_CONFIG_KINDS, { strict }),
    ...objectFields(
      [1],
      'data',
      {
        X: arr(),
        y: arr(),
        XTest: arr(),
        yTest: arr(),
        targetTest: { kind: arr(), nullable: true },
      },
      { strict, prefix: 'data.' },
    ),
    ...objectFields(
      [2],
      'state',
      { W: arr(true), rho: arr(true), rPrev: arr(true) },
      {
        strict,
        prefix: 'state.',
      },
    ),
    ...objectFields([3], 'acc', Object.fromEntries(MF_ACC_KEYS.map((k) => [k, arr()])), {
      strict,
      prefix: 'acc.',
    }),
    { path: [4], label: 'stepBegin', kind: INDEX },
    { path: [5], label: 'stepEnd', kind: INDEX },
  ];
}

export const MF_LABELS = ['O', 'M*P', 'M*M', 'P*P', '4*M*P', 'mf workspace', 'steps', 'histBins'];

const FAILURES = ['none', 'nonFinite', 'notPositiveDefinite'];

export function verifyMf(args: unknown[], result: unknown): string | null {
  if (result === 'cancelled') return null;
  const r = result as { stepsDone: number; failure: string; failedStep: number; info: number };
  const span = (args[5] as number) - (args[4] as number);
  if (!FAILURES.includes(r.failure)) return `failure = ${r.failure}`;
  if (!Number.isInteger(r.stepsDone) || r.stepsDone < 0 || r.stepsDone > span) {
    return `stepsDone = ${r.stepsDone} for ${span} steps`;
  }
  if (r.failure !== 'none' || hasHuge(args)) return null;
  if (r.stepsDone !== span) return `stepsDone = ${r.stepsDone} without failure, expected ${span}`;
  const state = args[2] as Record<string, unknown>;
  return firstProblem(...['W', 'rho', 'rPrev'].map((k) => finiteProblem(`state.${k}`, state[k])));
}

function mfModel(addon: NativeAddon): Model<RunParams<MfKernelConfig>> {
  return {
    name: 'addon.mfRun',
    params: mfRunArb,
    base: mfArgs,
    fields: (r) => mfFields(r, true),
    call: (args) => addon.mfRun(...(args as Parameters<NativeAddon['mfRun']>)),
    verify: verifyMf,
    labels: MF_LABELS,
  };
}

function mfAsyncModel(addon: NativeAddon): Model<[RunParams<MfKernelConfig>, AsyncParams]> {
  return {
    name: 'addon.mfRunAsync',
    params: fc.tuple(mfRunArb, asyncArb),
    base: ([r, a]) => [...mfArgs(r), progressFn(a)],
    fields: ([r]) => [
      ...mfFields(r, true, true),
      { path: [6], label: 'onProgress', kind: { t: 'callback' }, nullable: true },
    ],
    call: (args, [, a]) =>
      settle(addon.mfRunAsync(...(args as Parameters<NativeAddon['mfRunAsync']>)), a, 'mfRunAsync'),
    verify: verifyMf,
    labels: MF_LABELS,
    codes: ['ERR_MFL_CANCELLED'],
  };
}

function infoModel(addon: NativeAddon): Model<number> {
  return {
    name: 'addon.info',
    params: fc.nat(),
    base: () => [],
    fields: () => [{ path: [0], label: 'args', kind: { t: 'any' } }],
    call: () => addon.info(),
    verify: (_, info) => {
      const i = info as { version?: unknown; napiVersion?: unknown };
      return typeof i.version === 'string' && Number.isInteger(i.napiVersion)
        ? null
        : `info() = ${JSON.stringify(info)}`;
    },
  };
}

/** Calls `fn` with arguments of any type (the point of the exercise). */
export function call(fn: unknown, args: unknown[]): unknown {
  return (fn as (...a: unknown[]) => unknown)(...args);
}

/** A model with its parameter type forgotten, to be listed beside others. */
export type AnyModel = Model<unknown>;
export const erase = <P>(model: Model<P>): AnyModel => model as unknown as AnyModel;

/** Every addon function's model (the property count is stated where they are run). */
export function addonModels(addon: NativeAddon): AnyModel[] {
  return [
    erase(infoModel(addon)),
    erase(philoxModel(addon)),
    erase(fillModel('addon.fillUniform', (...a) => call(addon.fillUniform, a))),
    erase(fillModel('addon.fillGaussian', (...a) => call(addon.fillGaussian, a))),
    erase(taskModel(addon)),
    erase(taskAsyncModel(addon)),
    erase(forwardModel(addon)),
    erase(lossGradientModel(addon)),
    erase(gemmModel(addon)),
    erase(kernelModel(addon, 'nngpGram')),
    erase(kernelModel(addon, 'nngpCross')),
    erase(kernelModel(addon, 'nngpDiag')),
    erase(choleskyModel(addon)),
    erase(choleskySolveModel(addon)),
    erase(sgldModel(addon)),
    erase(sgldAsyncModel(addon)),
    erase(mfModel(addon)),
    erase(mfAsyncModel(addon)),
  ];
}
