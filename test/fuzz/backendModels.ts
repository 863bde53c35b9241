/**
 * Models of the `Backend` interface (src/backend/types.ts) for either backend. The native one is
 * an adapter over the addon, so errors carry the addon's field names; its objects are not strict
 * (the adapter copies the keys it knows). The js backend trusts its callers by design (types.ts:
 * validation happens once, at the public boundary), so it gets valid calls with varied shapes and
 * buffers (the output must then be finite and well-shaped), and separately wrong calls whose only
 * requirement is to end without a crash, a hang or a non-Error throw.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backend/types.js';
import { BOOL, INDEX, f64, objectFields, shapeArb, type Shape } from './kinds.js';
import {
  CANCELLED,
  type Field,
  type Kind,
  finiteProblem,
  firstProblem,
  hasHuge,
  withTimeout,
} from './model.js';
import {
  CHOLESKY_FIELDS,
  GEMM_ARRAYS,
  GEMM_KINDS,
  KERNEL_KINDS,
  KERNEL_LABELS,
  MF_LABELS,
  SGLD_LABELS,
  SHAPE_KINDS,
  SOLVE_FIELDS,
  TASK_KINDS,
  asyncArb,
  biasKind,
  call,
  choleskyArb,
  erase,
  factor,
  fillModel,
  gemmArgs,
  kernelArb,
  kernelCall,
  mfArgs,
  mfFields,
  mfRunArb,
  networkArrays,
  sgldArgs,
  sgldFields,
  sgldRunArb,
  spd,
  taskArb,
  verifyCholesky,
  verifyMf,
  verifyRows,
  verifySgld,
  isCancelled,
  type AnyModel,
  type AsyncParams,
  type KernelFn,
  type TaskParams,
} from './nativeModels.js';
import { gaussian } from './kinds.js';
import { numberArb, primitiveArb, typedArb, type Bad } from './values.js';

const CALLBACK: Kind = { t: 'callback' };

/**
 * AsyncOptions {signal, onProgress} at argument `index`: optional, strict, fields named
 * "options.key"; onProgress may be null (no callback), as the addon takes it.
 */
function asyncOptionFields(index: number): Field[] {
  return objectFields(
    [index],
    'options',
    {
      signal: { kind: { t: 'signal' }, optional: true },
      onProgress: { kind: CALLBACK, optional: true, nullable: true },
    },
    { strict: true, optional: true, prefix: 'options.' },
  );
}

/** AsyncOptions for a case: an aborted signal when cancelling, a no-op progress callback. */
function asyncOptions(a: AsyncParams) {
  const controller = new AbortController();
  if (a.cancel) controller.abort();
  return { signal: controller.signal, ...(a.progress ? { onProgress: () => undefined } : {}) };
}

async function settled<T>(promise: unknown, a: AsyncParams, what: string) {
  try {
    return await withTimeout(promise as Promise<T>, what);
  } catch (err) {
    if (a.cancel && isCancelled(err)) return CANCELLED;
    throw err;
  }
}

function taskFields(): Field[] {
  return [
    ...objectFields([0], 'params', TASK_KINDS, { strict: false }),
    ...objectFields(
      [1],
      'rows',
      { test: BOOL, rowOffset: INDEX, X: f64({}), y: f64({ exact: false }) },
      { strict: false },
    ),
  ];
}

function taskArgs(t: TaskParams): unknown[] {
  return [
    { kind: t.kind, d: t.d, k: t.k, labelNoise: t.labelNoise, seed: t.seed },
    {
      test: t.test,
      rowOffset: t.rowOffset,
      X: new Float64Array(t.n * t.d),
      y: new Float64Array(t.n),
    },
  ];
}

const rowsOf = (args: unknown[]) => args[1] as { X: unknown; y: unknown };

function networkFields(s: Shape, gradient: boolean): Field[] {
  const params = (i: number) =>
    objectFields(
      [i],
      'params',
      { W: f64({ input: true }), a: f64({ input: true }), b: biasKind(s, true) },
      { strict: false },
    );
  const shape = objectFields([0], 'shape', SHAPE_KINDS, { strict: false });
  if (!gradient) {
    return [
      ...shape,
      { path: [1], label: 'X', kind: f64({ input: true }) },
      ...params(2),
      { path: [3], label: 'f', kind: f64({}) },
    ];
  }
  return [
    ...shape,
    { path: [1], label: 'X', kind: f64({ input: true }) },
    { path: [2], label: 'y', kind: f64({ input: true }) },
    ...params(3),
    ...objectFields(
      [4],
      'out',
      { f: f64({}), gW: f64({}), ga: f64({}), gb: biasKind(s, false) },
      { strict: false },
    ),
  ];
}

function shapeOf(s: Shape) {
  return { P: s.P, d: s.d, N: s.N, gamma: s.gamma, activation: s.activation, bias: s.bias };
}

/** Models of every method of `backend` with the argument shapes of the Backend interface. */
export function backendModels(backend: Backend): AnyModel[] {
  const name = (method: string) => `${backend.name}.${method}`;
  const models: AnyModel[] = [
    erase(fillModel(name('fillUniform'), (...a) => call(backend.fillUniform, a))),
    erase(fillModel(name('fillGaussian'), (...a) => call(backend.fillGaussian, a))),
    erase<number>({
      name: name('philox4x32'),
      params: fc.nat(),
      base: (p) => [Uint32Array.of(p, 1, 2, 3), Uint32Array.of(7, p)],
      fields: () => [
        {
          path: [0],
          label: 'counter',
          kind: { t: 'array', type: 'Uint32Array', exact: true, finite: false },
        },
        {
          path: [1],
          label: 'key',
          kind: { t: 'array', type: 'Uint32Array', exact: true, finite: false },
        },
      ],
      call: (args) => call(backend.philox4x32, args),
      verify: (_, out) =>
        out instanceof Uint32Array && out.length === 4
          ? null
          : `philox4x32 returned ${String(out)}`,
    }),
    erase<TaskParams>({
      name: name('generateTaskRows'),
      params: taskArb,
      base: taskArgs,
      fields: taskFields,
      call: (args) => call(backend.generateTaskRows, args),
      verify: (args) => verifyRows(rowsOf(args).X, rowsOf(args).y),
      labels: ['n', 'n*d'],
    }),
    erase<[TaskParams, AsyncParams]>({
      name: name('generateTaskRowsAsync'),
      params: fc.tuple(taskArb, asyncArb),
      base: ([t, a]) => [...taskArgs(t), asyncOptions(a)],
      fields: () => [...taskFields(), ...asyncOptionFields(2)],
      call: (args, [, a]) =>
        settled(call(backend.generateTaskRowsAsync, args), a, 'generateTaskRowsAsync'),
      verify: (args, r) => (r === 'cancelled' ? null : verifyRows(rowsOf(args).X, rowsOf(args).y)),
      labels: ['n', 'n*d'],
      codes: ['ERR_MFL_CANCELLED'],
    }),
    erase<Shape>({
      name: name('forward'),
      params: shapeArb,
      base: (s) => {
        const n = networkArrays(s);
        return [shapeOf(s), n.X, { W: n.W, a: n.a, b: n.b }, new Float64Array(s.P)];
      },
      fields: (s) => networkFields(s, false),
      call: (args) => call(backend.forward, args),
      verify: (args) => (hasHuge(args) ? null : finiteProblem('f', args[3])),
    }),
    erase<Shape>({
      name: name('lossGradient'),
      params: shapeArb,
      base: (s) => {
        const n = networkArrays(s);
        const out = {
          f: new Float64Array(s.P),
          gW: new Float64Array(s.N * s.d),
          ga: new Float64Array(s.N),
          gb: s.bias ? new Float64Array(s.N) : null,
        };
        return [shapeOf(s), n.X, n.y, { W: n.W, a: n.a, b: n.b }, out];
      },
      fields: (s) => networkFields(s, true),
      call: (args) => call(backend.lossGradient, args),
      verify: (args, E) => {
        if (hasHuge(args)) return null;
        const out = args[4] as Record<string, unknown>;
        return firstProblem(
          Number.isFinite(E) ? null : `E = ${String(E)}`,
          ...['f', 'gW', 'ga', 'gb'].map((k) => finiteProblem(k, out[k])),
        );
      },
    }),
    erase({
      name: name('gemm'),
      params: fc.record({
        transA: fc.boolean(),
        transB: fc.boolean(),
        M: fc.integer({ min: 1, max: 5 }),
        N: fc.integer({ min: 1, max: 5 }),
        K: fc.integer({ min: 1, max: 5 }),
        alpha: fc.double({ min: -2, max: 2, noNaN: true }),
        beta: fc.double({ min: -2, max: 2, noNaN: true }),
        seed: fc.nat(),
      }),
      base: gemmArgs,
      fields: () => [
        ...objectFields([0], 'options', GEMM_KINDS, { strict: false }),
        ...GEMM_ARRAYS,
      ],
      call: (args) => call(backend.gemm, args),
      verify: (args) => (hasHuge(args) ? null : finiteProblem('C', args[3])),
      labels: ['M*K', 'K*N', 'M*N'],
    }),
    ...(['nngpGram', 'nngpCross', 'nngpDiag'] as KernelFn[]).map((fn) =>
      erase({
        name: name(fn),
        params: kernelArb,
        base: (k) => kernelCall(fn, k).args,
        fields: (k) => [
          ...objectFields([0], 'spec', KERNEL_KINDS, { strict: false }),
          ...kernelCall(fn, k).arrays,
        ],
        call: (args) => call(backend[fn], args),
        verify: (args) => (hasHuge(args) ? null : finiteProblem('K', args[args.length - 1])),
        labels: KERNEL_LABELS,
      }),
    ),
    erase({
      name: name('cholesky'),
      params: choleskyArb,
      base: (c) => [spd(c.n, c.seed), c.n, c.ridge],
      fields: () => CHOLESKY_FIELDS,
      call: (args) => call(backend.cholesky, args),
      verify: verifyCholesky,
      labels: ['n*n'],
    }),
    erase({
      name: name('choleskySolve'),
      params: choleskyArb,
      base: (c) => [factor(c.n, c.seed), c.n, gaussian(c.nrhs * c.n, c.seed, 2)],
      fields: () => SOLVE_FIELDS,
      call: (args) => call(backend.choleskySolve, args),
      verify: (args) => (hasHuge(args) ? null : finiteProblem('B', args[2])),
      labels: ['n*n', 'nrhs'],
    }),
    erase({
      name: name('sgldRun'),
      params: sgldRunArb,
      base: sgldArgs,
      fields: (r) => sgldFields(r, false),
      call: (args) => call(backend.sgldRun, args),
      verify: verifySgld,
      labels: SGLD_LABELS,
    }),
    erase<[Parameters<typeof sgldArgs>[0], AsyncParams]>({
      name: name('sgldRunAsync'),
      params: fc.tuple(sgldRunArb, asyncArb),
      base: ([r, a]) => [...sgldArgs(r), asyncOptions(a)],
      fields: ([r]) => [...sgldFields(r, false), ...asyncOptionFields(6)],
      call: (args, [, a]) => settled(call(backend.sgldRunAsync, args), a, 'sgldRunAsync'),
      verify: verifySgld,
      labels: SGLD_LABELS,
      codes: ['ERR_MFL_CANCELLED'],
    }),
    erase({
      name: name('mfRun'),
      params: mfRunArb,
      base: mfArgs,
      fields: (r) => mfFields(r, false),
      call: (args) => call(backend.mfRun, args),
      verify: verifyMf,
      labels: MF_LABELS,
    }),
    erase<[Parameters<typeof mfArgs>[0], AsyncParams]>({
      name: name('mfRunAsync'),
      params: fc.tuple(mfRunArb, asyncArb),
      base: ([r, a]) => [...mfArgs(r), asyncOptions(a)],
      fields: ([r]) => [...mfFields(r, false), ...asyncOptionFields(6)],
      call: (args, [, a]) => settled(call(backend.mfRunAsync, args), a, 'mfRunAsync'),
      verify: verifyMf,
      labels: MF_LABELS,
      codes: ['ERR_MFL_CANCELLED'],
    }),
  ];
  return models;
}

// ---- the js backend ------------------------------------------------------------------------------

/** Valid replacements only: the same array in other memory (shared, offset) or with -0 and
 *  subnormal entries. */
function validBads(field: Field): fc.Arbitrary<Bad> {
  if (field.kind.t !== 'array' || field.kind.type !== 'Float64Array')
    return fc.constant({ k: 'none' });
  return fc.oneof(
    fc.constant<Bad>({ k: 'none' }),
    typedArb().map<Bad>((t) => ({
      ...t,
      type: 'Float64Array',
      length: 'same',
      backing: t.at % 2 === 0 ? 'shared' : 'offset',
      fill: t.fill === 'negZero' || t.fill === 'subnormal' ? t.fill : 'copy',
    })),
  );
}

/**
 * Wrong values for the js kernels. Those that check their loop bounds (`checked`) get every
 * number and bigint; the others (sgld and mf trust their callers, types.ts) get
 * small numbers and no bigints, which cannot turn a loop bound into billions (a loop `j < k`
 * runs 2^64 times for k = 2n ** 64n).
 */
function boundedBads(checked: boolean): (field: Field) => fc.Arbitrary<Bad> {
  return (field) => {
    const others = primitiveArb().filter((b) => b.k !== 'number' && (checked || b.k !== 'bigint'));
    if (field.kind.t === 'array') return fc.oneof(typedArb(), others);
    const numbers = checked
      ? numberArb()
      : numberArb().filter((v) => Number.isNaN(v) || Math.abs(v) <= 64);
    return fc.oneof(
      numbers.map<Bad>((v) => ({ k: 'number', v })),
      others,
    );
  };
}

/** The js kernels that check their loop bounds. */
const CHECKED_BOUNDS = /\.(generateTaskRows|nngp|cholesky|gemm|forward|lossGradient)/;

/** The js backend with valid calls: outputs finite and well-shaped. */
export function jsValidModel(model: AnyModel): AnyModel {
  return { ...model, name: `${model.name}(valid)`, bads: validBads };
}

/** The js backend with wrong calls: no crash, no hang, only Error instances thrown. */
export function jsWrongModel(model: AnyModel): AnyModel {
  const bads = boundedBads(CHECKED_BOUNDS.test(model.name));
  return { ...model, name: `${model.name}(wrong)`, bads, lenient: true };
}
