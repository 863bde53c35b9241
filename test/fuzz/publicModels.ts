/**
 * Models of the public entry points that build data, networks and method results:
 * makeDataset(Sync), sampleNetworkPrior, forward, lossGradient, sgld, nngp (krr and eigen),
 * learningCurve and meanField. Valid calls run at tiny sizes; a valid spec asking for more work
 * than a unit test affords is recognised by parsing it and is not run.
 */
import fc from 'fast-check';
import { getBackend } from '../../src/backend/index.js';
import type { BackendName } from '../../src/backend/types.js';
import { meanField } from '../../src/methods/mf/run.js';
import { parseMfSpec } from '../../src/methods/mf/spec.js';
import { learningCurve, nngp } from '../../src/methods/nngp/run.js';
import { parseNngpSpec } from '../../src/methods/nngp/spec.js';
import { sgld } from '../../src/methods/sgld/run.js';
import { parseSgldSpec } from '../../src/methods/sgld/spec.js';
import { forward, lossGradient, sampleNetworkPrior } from '../../src/network/network.js';
import { makeDataset, makeDatasetSync } from '../../src/tasks/dataset.js';
import { parseTaskSpec } from '../../src/tasks/spec.js';
import { BOOL, enumOf, f64, gaussian, int, objectFields } from './kinds.js';
import { finiteProblem, firstProblem, hasHuge, type Field, type Model } from './model.js';
import { erase, type AnyModel } from './nativeModels.js';
import {
  NETWORK_SPEC,
  TASK_SPEC,
  mfSpec,
  mfSpecArb,
  mfSpecFields,
  networkSpecArb,
  nngpSpec,
  nngpSpecArb,
  nngpSpecFields,
  nonFinitePath,
  sgldSpec,
  sgldSpecArb,
  sgldSpecFields,
  taskSpecArb,
  type MfSpecParams,
  type NetworkSpecParams,
  type NngpSpecParams,
  type SgldSpecParams,
  type TaskSpecParams,
} from './specModels.js';

/** Errors a method may end with besides argument errors. */
const RUN_CODES = ['ERR_MFL_DIVERGED', 'ERR_MFL_CANCELLED', 'ERR_MFL_IO', 'ERR_MFL_FORMAT'];

const SIGNAL: Field['kind'] = { t: 'signal' };
const CALLBACK: Field['kind'] = { t: 'callback' };
const BACKEND = enumOf(['native', 'js']);

/**
 * A function's options object: every key optional, unknown keys are errors, fields named
 * "options.key" in messages. `backend` is "native", "js" (or a Backend object: the base of some
 * models).
 */
function optionFields(index: number, keys: Record<string, Field['kind']>): Field[] {
  return objectFields(
    [index],
    'options',
    Object.fromEntries(Object.entries(keys).map(([k, kind]) => [k, { kind, optional: true }])),
    { strict: true, optional: true, prefix: 'options.' },
  );
}

/** Whether `parse(input)` succeeds (the method will then run). */
function parses(parse: (input: unknown) => unknown, input: unknown): unknown {
  try {
    return parse(input);
  } catch {
    return null;
  }
}

function backendArb(): fc.Arbitrary<BackendName> {
  return fc.constantFrom<BackendName>('js', ...(hasNative() ? (['native'] as const) : []));
}

function hasNative(): boolean {
  try {
    getBackend('native');
    return true;
  } catch {
    return false;
  }
}

/** Finite-or-null numbers at `keys` of a method result. */
function resultProblem(result: unknown, keys: readonly string[]): string | null {
  const r = result as Record<string, unknown>;
  for (const key of keys) {
    const v = r[key];
    if (v !== null && !(typeof v === 'number' && Number.isFinite(v)))
      return `${key} = ${String(v)}`;
  }
  return null;
}

// ---- makeDataset -------------------------------------------------------------------------------

/** At most this many values of X over both splits. */
const MAX_DATA_VALUES = 200_000;

function datasetTooBig(input: unknown): boolean {
  const spec = parses(parseTaskSpec, input) as { P?: number; PTest?: number; d?: number } | null;
  if (!spec || spec.d === undefined) return false;
  return ((spec.P ?? 0) + (spec.PTest ?? 0)) * spec.d > MAX_DATA_VALUES;
}

function verifyDataset(dataset: unknown): string | null {
  const ds = dataset as { P: number; PTest: number; d: number } & Record<string, unknown>;
  const X = ds.X as Float64Array;
  const XTest = ds.XTest as Float64Array;
  if (X.length !== ds.P * ds.d || XTest.length !== ds.PTest * ds.d) {
    return `X has ${X.length} values for P*d = ${ds.P}*${ds.d}`;
  }
  return firstProblem(...['X', 'y', 'XTest', 'yTest'].map((k) => finiteProblem(k, ds[k])));
}

function datasetModel(sync: boolean): Model<[TaskSpecParams, BackendName]> {
  return {
    name: sync ? 'makeDatasetSync' : 'makeDataset',
    params: fc.tuple(taskSpecArb, backendArb()),
    base: ([t, backend]) => [{ ...t }, { backend }],
    fields: () => [
      ...objectFields([0], 'task spec', TASK_SPEC, { strict: true }),
      ...optionFields(
        1,
        sync ? { backend: BACKEND } : { backend: BACKEND, signal: SIGNAL, onProgress: CALLBACK },
      ),
    ],
    call: (args) =>
      sync
        ? makeDatasetSync(...(args as Parameters<typeof makeDatasetSync>))
        : makeDataset(...(args as Parameters<typeof makeDataset>)),
    verify: (_, dataset) => verifyDataset(dataset),
    notRun: (args) => (datasetTooBig(args[0]) ? 'too big' : null),
    codes: RUN_CODES,
  };
}

// ---- networks ----------------------------------------------------------------------------------

interface NetParams {
  network: NetworkSpecParams;
  d: number;
  seed: number;
  chain: number;
  P: number;
  backend: BackendName;
}

const netArb: fc.Arbitrary<NetParams> = fc.record({
  network: networkSpecArb,
  d: fc.integer({ min: 1, max: 6 }),
  seed: fc.nat(),
  chain: fc.nat({ max: 3 }),
  P: fc.integer({ min: 1, max: 6 }),
  backend: backendArb(),
});

function priorModel(): Model<NetParams> {
  return {
    name: 'sampleNetworkPrior',
    params: netArb,
    base: (n) => [{ ...n.network }, n.d, n.seed, n.chain, { backend: getBackend(n.backend) }],
    fields: () => [
      ...objectFields([0], 'network', NETWORK_SPEC, { strict: true }),
      { path: [1], label: 'd', kind: int(1, 2 ** 20) },
      { path: [2], label: 'seed', kind: int(0, Number.MAX_SAFE_INTEGER) },
      { path: [3], label: 'chain', kind: int(0, 2 ** 32 - 1), optional: true },
      ...optionFields(4, { backend: BACKEND }),
    ],
    call: (args) => sampleNetworkPrior(...(args as Parameters<typeof sampleNetworkPrior>)),
    verify: (_, net) => {
      const n = net as { d: number; spec: { N: number; bias: boolean } } & Record<string, unknown>;
      const W = n.W as Float64Array;
      if (W.length !== n.spec.N * n.d) return `W has ${W.length} values for N*d`;
      if ((n.b === null) === n.spec.bias) return `b = ${String(n.b)} with bias ${n.spec.bias}`;
      return firstProblem(...['W', 'a', 'b'].map((k) => finiteProblem(k, n[k])));
    },
    // N*d values are allocated before anything else: at most a million here.
    notRun: (args) => {
      const spec = args[0] as { N?: unknown };
      const big =
        typeof spec?.N === 'number' && typeof args[1] === 'number' && spec.N * args[1] > 1e6;
      return big ? 'too big' : null;
    },
  };
}

function netArgs(n: NetParams, gradient: boolean): unknown[] {
  const net = sampleNetworkPrior(n.network, n.d, n.seed, n.chain, { backend: getBackend('js') });
  const X = gaussian(n.P * n.d, n.seed, 21);
  const options = { backend: getBackend(n.backend) };
  return gradient ? [net, X, gaussian(n.P, n.seed, 22), options] : [net, X, options];
}

function netFields(n: NetParams, gradient: boolean): Field[] {
  const bias: Pick<Field, 'kind' | 'nullable'> = n.network.bias
    ? { kind: f64({ input: true }) }
    : { kind: { t: 'nullOnly' }, nullable: true };
  return [
    ...objectFields(
      [0],
      'net',
      { W: f64({ input: true }), a: f64({ input: true }), b: bias },
      { strict: false },
    ),
    { path: [0, 'd'], label: 'net.d', kind: int(1, 2 ** 20) },
    ...objectFields([0, 'spec'], 'net.spec', NETWORK_SPEC, { strict: true, prefix: 'net.spec.' }),
    // Rows are inferred from X: any length that is a multiple of d (0 included) is valid.
    { path: [1], label: 'X', kind: f64({ exact: false, input: true }) },
    ...(gradient ? [{ path: [2], label: 'y', kind: f64({ input: true }) }] : []),
    ...optionFields(gradient ? 3 : 2, { backend: BACKEND }),
  ];
}

function forwardModel(gradient: boolean): Model<NetParams> {
  return {
    name: gradient ? 'lossGradient' : 'forward',
    params: netArb,
    base: (n) => netArgs(n, gradient),
    fields: (n) => netFields(n, gradient),
    call: (args) =>
      gradient
        ? lossGradient(...(args as Parameters<typeof lossGradient>))
        : forward(...(args as Parameters<typeof forward>)),
    verify: (args, out) => {
      if (hasHuge(args)) return null;
      if (!gradient) return finiteProblem('f', out);
      const g = out as Record<string, unknown>;
      return firstProblem(
        Number.isFinite(g.E) ? null : `E = ${String(g.E)}`,
        ...['f', 'gW', 'ga', 'gb'].map((k) => finiteProblem(k, g[k])),
      );
    },
  };
}

// ---- methods -----------------------------------------------------------------------------------

function sgldTooBig(input: unknown): boolean {
  const spec = parses(parseSgldSpec, input) as ReturnType<typeof parseSgldSpec> | null;
  if (!spec || spec.task.task === 'custom') return false;
  const { P, PTest, d } = spec.task;
  const { steps, chains, histBins } = spec.sampler;
  const work = steps * chains * (P + PTest + 1) * spec.network.N * d;
  return work > 3e5 || (P + PTest) * d > MAX_DATA_VALUES || histBins * chains > 1e5;
}

function sgldModel(): Model<[SgldSpecParams, BackendName]> {
  return {
    name: 'sgld',
    params: fc.tuple(sgldSpecArb, backendArb()),
    base: ([s, backend]) => [sgldSpec(s), { backend }],
    fields: ([s]) => [
      ...sgldSpecFields([0], 'sgld spec', s),
      ...optionFields(1, {
        backend: BACKEND,
        signal: SIGNAL,
        onProgress: CALLBACK,
        resume: BOOL,
      }),
    ],
    call: (args) => sgld(...(args as Parameters<typeof sgld>)),
    verify: (_, r) => resultProblem(r, ['testMse', 'trainMse', 'mS']),
    notRun: (args) => (sgldTooBig(args[0]) ? 'too big' : null),
    codes: RUN_CODES,
  };
}

function nngpTooBig(input: unknown): boolean {
  const spec = parses(parseNngpSpec, input) as ReturnType<typeof parseNngpSpec> | null;
  if (!spec || spec.task.task === 'custom') return false;
  const { P, PTest, d } = spec.task;
  if (spec.method === 'eigen') return d > 64;
  return P > 400 || (P + PTest) * d > MAX_DATA_VALUES || PTest * (P + 1) > 1e6;
}

function nngpModel(): Model<[NngpSpecParams, BackendName]> {
  return {
    name: 'nngp',
    params: fc.tuple(nngpSpecArb, backendArb()),
    base: ([s, backend]) => [nngpSpec(s), { backend }],
    fields: () => [
      ...nngpSpecFields([0], 'nngp spec'),
      ...optionFields(1, { backend: BACKEND, signal: SIGNAL }),
    ],
    call: (args) => nngp(...(args as Parameters<typeof nngp>)),
    verify: (_, r) => resultProblem(r, ['testMse', 'trainMse', 'mS']),
    notRun: (args) => (nngpTooBig(args[0]) ? 'too big' : null),
    codes: RUN_CODES,
  };
}

function learningCurveModel(): Model<[NngpSpecParams, number[]]> {
  return {
    name: 'learningCurve',
    params: fc.tuple(
      nngpSpecArb,
      fc.array(fc.oneof(fc.nat({ max: 1000 }), fc.constant(1e9)), { minLength: 1, maxLength: 4 }),
    ),
    base: ([s, Ps]) => [nngpSpec(s), [...Ps]],
    fields: ([, Ps]) => [
      ...nngpSpecFields([0], 'nngp spec'),
      { path: [1], label: 'Ps', kind: { t: 'any' } },
      ...Ps.map((_, i): Field => ({
        path: [1, i],
        label: `Ps[${i}]`,
        kind: int(0, 2 ** 53 - 1),
      })),
    ],
    call: (args) => learningCurve(...(args as Parameters<typeof learningCurve>)),
    verify: (_, points) =>
      (points as Record<string, unknown>[])
        .map((p) => resultProblem(p, ['ridge', 'E0', 'testMse', 'mS']))
        .find((x) => x !== null) ?? null,
    notRun: (args) => {
      const spec = parses(parseNngpSpec, args[0]) as { task: { d?: number } } | null;
      return (spec?.task.d ?? 0) > 64 ? 'too big' : null;
    },
  };
}

/** Too big for a unit test. */
function mfNotRun(input: unknown): string | null {
  const spec = parses(parseMfSpec, input) as ReturnType<typeof parseMfSpec> | null;
  if (!spec || spec.task.task === 'custom') return null;
  const { P, PTest, d } = spec.task;
  const { steps, particles, init } = spec.solver;
  const order = Math.max(P, particles);
  const work = (init === 'both' ? 2 : 1) * steps * (particles * (P + PTest) * d + order ** 3);
  const big = work > 3e5 || (P + PTest) * d > MAX_DATA_VALUES || spec.solver.histBins > 1e5;
  return big ? 'too big' : null;
}

function meanFieldModel(): Model<[MfSpecParams, BackendName]> {
  return {
    name: 'meanField',
    params: fc.tuple(mfSpecArb, backendArb()),
    base: ([s, backend]) => [mfSpec(s), { backend }],
    fields: ([s]) => [
      ...mfSpecFields([0], 'mf spec', s),
      ...optionFields(1, { backend: BACKEND, signal: SIGNAL, onProgress: CALLBACK }),
    ],
    call: (args) => meanField(...(args as Parameters<typeof meanField>)),
    verify: (_, r) =>
      firstProblem(
        resultProblem(r, ['testMse', 'trainMse', 'mS']),
        nonFinitePath((r as { spec: unknown }).spec),
      ),
    notRun: (args) => mfNotRun(args[0]),
    codes: RUN_CODES,
  };
}

/** Every public entry point's model but the spec parsers and file functions. */
export function publicModels(): AnyModel[] {
  return [
    erase(datasetModel(true)),
    erase(datasetModel(false)),
    erase(priorModel()),
    erase(forwardModel(false)),
    erase(forwardModel(true)),
    erase(sgldModel()),
    erase(nngpModel()),
    erase(learningCurveModel()),
    erase(meanFieldModel()),
  ];
}
