/**
 * Models of the spec parsers (parseTaskSpec, parseNetworkSpec, parseSgldSpec, parseNngpSpec,
 * parseMfSpec). Messages name fields by their dotted path ("sampler.kappa"); the whole input by
 * what it is ("sgld spec"). A spec that parses must parse to itself (idempotence) with finite
 * numbers throughout.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseMfSpec } from '../../src/methods/mf/spec.js';
import { parseNngpSpec } from '../../src/methods/nngp/spec.js';
import { parseSgldSpec } from '../../src/methods/sgld/spec.js';
import { parseNetworkSpec } from '../../src/network/spec.js';
import { parseTaskSpec } from '../../src/tasks/spec.js';
import { BOOL, enumOf, int, num, objectFields, seedArb } from './kinds.js';
import { erase, type AnyModel } from './nativeModels.js';
import type { Field, Kind, Model } from './model.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const FINITE_POSITIVE = num(0, Number.MAX_VALUE, true);
const PRIOR_SD = num(1e-150, 1e150);
const MAX_STEPS = 2 ** 40;
const opt = (kind: Kind, nullable = false): Omit<Field, 'path' | 'label'> => ({
  kind,
  optional: true,
  nullable,
});

/** Field kinds of a generated task spec. */
export const TASK_SPEC: Record<string, Kind | Omit<Field, 'path' | 'label'>> = {
  task: enumOf(['parity', 'single-index']),
  d: int(1, 4096),
  k: int(0, 4096),
  P: int(0, 2 ** 31 - 1),
  PTest: opt(int(0, 2 ** 31 - 1)),
  labelNoise: opt(num(0, 1e150)),
  seed: opt(int(0, MAX_SAFE)),
};

export const NETWORK_SPEC: Record<string, Kind | Omit<Field, 'path' | 'label'>> = {
  N: int(1, 2 ** 20),
  gamma: opt(num(0.5, 1)),
  activation: opt(enumOf(['relu', 'erf', 'tanh', 'linear'])),
  bias: opt(BOOL),
  sigmaW: opt(PRIOR_SD),
  sigmaA: opt(PRIOR_SD),
  sigmaB: opt(PRIOR_SD),
};

export interface TaskSpecParams {
  task: 'parity' | 'single-index';
  d: number;
  k: number;
  P: number;
  PTest: number;
  labelNoise: number;
  seed: number;
}

/** A small generated task: d <= 8, P <= 12, PTest <= 8. */
export const taskSpecArb: fc.Arbitrary<TaskSpecParams> = fc
  .record({
    task: fc.constantFrom('parity', 'single-index'),
    d: fc.integer({ min: 1, max: 8 }),
    kFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    P: fc.integer({ min: 0, max: 12 }),
    PTest: fc.integer({ min: 0, max: 8 }),
    labelNoise: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: seedArb,
  })
  .map(({ kFraction, ...t }) => ({ ...t, k: Math.round(kFraction * Math.min(t.d, 4)) }));

export interface NetworkSpecParams {
  N: number;
  gamma: number;
  activation: 'relu' | 'erf' | 'tanh' | 'linear';
  bias: boolean;
  sigmaW: number;
  sigmaA: number;
  sigmaB: number;
}

export const networkSpecArb: fc.Arbitrary<NetworkSpecParams> = fc.record({
  N: fc.integer({ min: 1, max: 8 }),
  gamma: fc.double({ min: 0.5, max: 1, noNaN: true }),
  activation: fc.constantFrom('relu', 'erf', 'tanh', 'linear'),
  bias: fc.boolean(),
  sigmaW: fc.double({ min: 0.5, max: 2, noNaN: true }),
  sigmaA: fc.double({ min: 0.5, max: 2, noNaN: true }),
  sigmaB: fc.double({ min: 0.5, max: 2, noNaN: true }),
});

/** Every number in `value` (deeply) finite, or the path of the first one that is not. */
export function nonFinitePath(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} = ${value}`;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, v] of Object.entries(value)) {
    const bad = nonFinitePath(v, path ? `${path}.${key}` : key);
    if (bad) return bad;
  }
  return null;
}

/** Parsing the parsed spec gives it back, and every number in it is finite. */
export function idempotent(parse: (input: unknown) => unknown) {
  return (_: unknown[], spec: unknown): string | null => {
    const again = parse(spec);
    if (!isDeepStrictEqual(again, spec)) {
      return `not idempotent: ${JSON.stringify(spec)} -> ${JSON.stringify(again)}`;
    }
    const bad = nonFinitePath(spec);
    return bad ? `non-finite number in the parsed spec: ${bad}` : null;
  };
}

/**
 * The optional ParseSpecOptions argument { label }. `label` is called only to word an error, so
 * nothing checks it on a valid spec (any value passes).
 */
const LABEL_OPTIONS: Field[] = [
  {
    path: [1],
    label: 'options',
    kind: { t: 'object', keys: ['label'], strict: false },
    optional: true,
  },
  { path: [1, 'label'], label: 'options.label', kind: { t: 'callback' }, optional: true },
];

const parseOptions = { label: (path: readonly PropertyKey[]) => path.map(String).join('.') };

export interface SgldSpecParams {
  task: TaskSpecParams;
  network: NetworkSpecParams;
  kappa: number;
  eta: number;
  steps: number;
  burnIn: number;
  chains: number;
  seed: number;
  loss: 'sum' | 'mean';
  histBins: number;
  precision: 'float64' | 'float32';
  /** The (eta, weight decay) form: sampler.weightDecay instead of the network's sigmas. */
  decay: { W: number; a: number; b: number } | null;
}

export const sgldSpecArb: fc.Arbitrary<SgldSpecParams> = fc
  .record({
    task: taskSpecArb,
    network: networkSpecArb,
    kappa: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    eta: fc.double({ min: 1e-4, max: 1e-2, noNaN: true }),
    steps: fc.integer({ min: 1, max: 8 }),
    burn: fc.double({ min: 0, max: 1, noNaN: true }),
    chains: fc.integer({ min: 1, max: 2 }),
    seed: seedArb,
    loss: fc.constantFrom('sum', 'mean'),
    histBins: fc.integer({ min: 1, max: 8 }),
    precision: fc.constantFrom('float64', 'float32'),
    decay: fc.option(
      fc.record({
        W: fc.double({ min: 1e-3, max: 10, noNaN: true }),
        a: fc.double({ min: 1e-3, max: 10, noNaN: true }),
        b: fc.double({ min: 1e-3, max: 10, noNaN: true }),
      }),
    ),
  })
  .map(({ burn, ...s }) => ({ ...s, burnIn: Math.floor(burn * (s.steps - 1)) }));

export function sgldSpec(s: SgldSpecParams) {
  const { N, gamma, activation, bias } = s.network;
  const unscaled = { N, gamma, activation, bias };
  return {
    task: { ...s.task },
    network: s.decay ? unscaled : { ...s.network },
    sampler: {
      kappa: s.kappa,
      eta: s.eta,
      steps: s.steps,
      burnIn: s.burnIn,
      thin: 1,
      batchSize: null,
      chains: s.chains,
      seed: s.seed,
      mala: false,
      loss: s.loss,
      freezeW: false,
      observeEvery: 1,
      histBins: s.histBins,
      histRange: 6,
      checkpointEvery: null,
      ...(s.decay ? { weightDecay: { ...s.decay } } : {}),
    },
    precision: s.precision,
  };
}

export const SAMPLER_SPEC: Record<string, Kind | Omit<Field, 'path' | 'label'>> = {
  kappa: FINITE_POSITIVE,
  eta: opt(FINITE_POSITIVE, true),
  steps: int(1, MAX_STEPS),
  burnIn: opt(int(0, MAX_STEPS), true),
  thin: opt(int(1, MAX_STEPS), true),
  batchSize: opt(int(1, MAX_SAFE), true),
  chains: opt(int(1, 1024)),
  seed: opt(int(0, MAX_SAFE)),
  mala: opt(BOOL),
  loss: opt(enumOf(['sum', 'mean'])),
  freezeW: opt(BOOL),
  observeEvery: opt(int(0, MAX_STEPS), true),
  histBins: opt(int(1, 100_000)),
  histRange: opt(FINITE_POSITIVE),
  checkpointEvery: opt(int(1, MAX_STEPS), true),
};

export function sgldSpecFields(
  root: readonly (string | number)[],
  what: string,
  s: SgldSpecParams,
): Field[] {
  const decay = s.decay
    ? objectFields(
        [...root, 'sampler', 'weightDecay'],
        'sampler.weightDecay',
        { W: opt(FINITE_POSITIVE), a: opt(FINITE_POSITIVE), b: opt(FINITE_POSITIVE) },
        { strict: true, prefix: 'sampler.weightDecay.', optional: true },
      )
    : [];
  return [
    ...decay,
    ...objectFields(
      root,
      what,
      { precision: opt(enumOf(['float64', 'float32'])) },
      {
        strict: true,
      },
    ),
    ...objectFields([...root, 'task'], 'task', TASK_SPEC, { strict: true, prefix: 'task.' }),
    ...objectFields([...root, 'network'], 'network', NETWORK_SPEC, {
      strict: true,
      prefix: 'network.',
    }),
    ...objectFields([...root, 'sampler'], 'sampler', SAMPLER_SPEC, {
      strict: true,
      prefix: 'sampler.',
    }),
  ];
}

export interface NngpSpecParams {
  task: TaskSpecParams;
  network: NetworkSpecParams;
  kernel: 'relu' | 'erf' | 'linear';
  kappa: number;
  loss: 'sum' | 'mean';
  method: 'krr' | 'eigen';
  variance: boolean;
}

export const nngpSpecArb: fc.Arbitrary<NngpSpecParams> = fc.record({
  task: taskSpecArb,
  network: networkSpecArb,
  kernel: fc.constantFrom('relu', 'erf', 'linear'),
  kappa: fc.double({ min: 1e-3, max: 1, noNaN: true }),
  loss: fc.constantFrom('sum', 'mean'),
  method: fc.constantFrom('krr', 'eigen'),
  variance: fc.boolean(),
});

export function nngpSpec(s: NngpSpecParams) {
  return {
    task: { ...s.task },
    network: { ...s.network, activation: s.kernel },
    kappa: s.kappa,
    loss: s.loss,
    method: s.method,
    variance: s.method === 'krr' && s.variance,
    memoryLimitBytes: 2 ** 26,
  };
}

export function nngpSpecFields(root: readonly (string | number)[], what: string): Field[] {
  return [
    ...objectFields(
      root,
      what,
      {
        kappa: FINITE_POSITIVE,
        loss: opt(enumOf(['sum', 'mean'])),
        method: opt(enumOf(['krr', 'eigen'])),
        variance: opt(BOOL),
        memoryLimitBytes: opt(int(1, MAX_SAFE), true),
      },
      { strict: true },
    ),
    ...objectFields([...root, 'task'], 'task', TASK_SPEC, { strict: true, prefix: 'task.' }),
    ...objectFields(
      [...root, 'network'],
      'network',
      {
        ...NETWORK_SPEC,
        N: opt(int(1, MAX_SAFE), true),
        activation: opt(enumOf(['relu', 'erf', 'linear'])),
      },
      { strict: true, prefix: 'network.', optional: true },
    ),
  ];
}

export interface MfSpecParams {
  task: TaskSpecParams;
  network: NetworkSpecParams;
  width: number;
  kappa: number;
  particles: number;
  steps: number;
  dt: number;
  burnIn: number;
  seed: number;
  init: 'prior' | 'aligned' | 'both';
  ard: boolean;
  solve: 'auto' | 'cholesky' | 'woodbury';
}

export const mfSpecArb: fc.Arbitrary<MfSpecParams> = fc
  .record({
    task: taskSpecArb.map((t) => ({ ...t, P: Math.max(1, t.P) })),
    network: networkSpecArb.map((n) => ({ ...n, bias: false })),
    width: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.double({ min: 1, max: 1e9, noNaN: true })),
    kappa: fc.double({ min: 1e-2, max: 1, noNaN: true }),
    particles: fc.integer({ min: 1, max: 8 }),
    steps: fc.integer({ min: 1, max: 8 }),
    dt: fc.double({ min: 1e-4, max: 1e-2, noNaN: true }),
    burn: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: seedArb,
    init: fc.constantFrom('prior', 'aligned', 'both'),
    ard: fc.boolean(),
    solve: fc.constantFrom('auto', 'cholesky', 'woodbury'),
  })
  .map(({ burn, ...s }) => ({ ...s, burnIn: Math.floor(burn * (s.steps - 1)) }));

export function mfSpec(s: MfSpecParams) {
  return {
    task: { ...s.task },
    network: { ...s.network, N: s.width },
    solver: {
      kappa: s.kappa,
      particles: s.particles,
      steps: s.steps,
      dt: s.dt,
      burnIn: s.burnIn,
      sampleEvery: 1,
      observeEvery: 1,
      seed: s.seed,
      init: s.init,
      ard: s.ard ? { alpha0: 1, beta0: null, ema: 0.1 } : null,
      tol: 0.01,
      driftTol: 0.02,
      z: 3,
      batches: 10,
      hysteresisTol: 0.1,
      histBins: 8,
      histRange: 6,
      memoryLimitBytes: 2 ** 26,
      solve: s.solve,
    },
  };
}

export function mfSpecFields(
  root: readonly (string | number)[],
  what: string,
  s: MfSpecParams,
): Field[] {
  const ard = s.ard
    ? objectFields(
        [...root, 'solver', 'ard'],
        'solver.ard',
        { alpha0: opt(FINITE_POSITIVE), beta0: opt(FINITE_POSITIVE, true), ema: opt(num(0, 1)) },
        { strict: true, prefix: 'solver.ard.' },
      ).slice(1)
    : [];
  return [
    ...objectFields(root, what, {}, { strict: true }),
    ...objectFields([...root, 'task'], 'task', TASK_SPEC, { strict: true, prefix: 'task.' }),
    ...objectFields(
      [...root, 'network'],
      'network',
      { ...NETWORK_SPEC, N: num(1, Number.MAX_VALUE) },
      { strict: true, prefix: 'network.' },
    ),
    ...objectFields(
      [...root, 'solver'],
      'solver',
      {
        kappa: FINITE_POSITIVE,
        particles: opt(int(1, 2 ** 20), true),
        steps: opt(int(1, MAX_STEPS)),
        dt: opt(FINITE_POSITIVE),
        burnIn: opt(int(0, MAX_STEPS), true),
        sampleEvery: opt(int(1, MAX_STEPS), true),
        observeEvery: opt(int(1, MAX_STEPS), true),
        seed: opt(int(0, MAX_SAFE)),
        init: opt(enumOf(['prior', 'aligned', 'both'])),
        ard: opt({ t: 'any' }, true),
        tol: opt(FINITE_POSITIVE, true),
        driftTol: opt(FINITE_POSITIVE, true),
        z: opt(FINITE_POSITIVE),
        batches: opt(int(4, 100)),
        hysteresisTol: opt(FINITE_POSITIVE),
        histBins: opt(int(1, 100_000)),
        histRange: opt(FINITE_POSITIVE),
        memoryLimitBytes: opt(int(1, MAX_SAFE), true),
        solve: opt(enumOf(['auto', 'cholesky', 'woodbury'])),
      },
      { strict: true, prefix: 'solver.' },
    ),
    ...ard,
  ];
}

function parserModel<P>(
  name: string,
  params: fc.Arbitrary<P>,
  spec: (p: P) => unknown,
  fields: (p: P) => Field[],
  parse: (input: unknown, options?: unknown) => unknown,
  withOptions = true,
): Model<P> {
  return {
    name,
    params,
    base: (p) => (withOptions ? [spec(p), { ...parseOptions }] : [spec(p)]),
    fields: (p) => [...fields(p), ...(withOptions ? LABEL_OPTIONS : [])],
    call: (args) => parse(...(args as [unknown, unknown])),
    verify: idempotent((input) => parse(input)),
  };
}

/** The spec parsers' models. */
export function specModels(): AnyModel[] {
  const parse = (f: (input: unknown, options?: never) => unknown) =>
    f as (...a: unknown[]) => unknown;
  return [
    erase(
      parserModel(
        'parseTaskSpec',
        taskSpecArb,
        (t) => ({ ...t }),
        () => objectFields([0], 'task spec', TASK_SPEC, { strict: true }),
        parse(parseTaskSpec),
      ),
    ),
    erase(
      parserModel(
        'parseTaskSpec(custom)',
        fc.record({ train: fc.string({ minLength: 1 }), test: fc.string({ minLength: 1 }) }),
        (c) => ({ task: 'custom', ...c }),
        () =>
          objectFields(
            [0],
            'task spec',
            {
              task: enumOf(['custom']),
              train: { t: 'string', nonEmpty: true },
              test: opt({ t: 'string', nonEmpty: true }),
            },
            { strict: true },
          ),
        parse(parseTaskSpec),
      ),
    ),
    erase(
      parserModel(
        'parseNetworkSpec',
        networkSpecArb,
        (n) => ({ ...n }),
        () => objectFields([0], 'network', NETWORK_SPEC, { strict: true }),
        parse(parseNetworkSpec),
        false,
      ),
    ),
    erase(
      parserModel(
        'parseSgldSpec',
        sgldSpecArb,
        sgldSpec,
        (s) => sgldSpecFields([0], 'sgld spec', s),
        parse(parseSgldSpec),
      ),
    ),
    erase(
      parserModel(
        'parseNngpSpec',
        nngpSpecArb,
        nngpSpec,
        () => nngpSpecFields([0], 'nngp spec'),
        parse(parseNngpSpec),
      ),
    ),
    erase(
      parserModel(
        'parseMfSpec',
        mfSpecArb,
        mfSpec,
        (s) => mfSpecFields([0], 'mf spec', s),
        parse(parseMfSpec),
      ),
    ),
  ];
}
