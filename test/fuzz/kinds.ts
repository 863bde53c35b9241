/**
 * Field kinds shared by the models, and the small valid calls they start from: shapes, data,
 * states and accumulators of the native kernels at sizes that run in microseconds.
 */
import fc from 'fast-check';
import { jsBackend } from '../../src/backend/js/index.js';
import type { MfKernelConfig, SgldConfig } from '../../src/backend/types.js';
import type { Field, Kind } from './model.js';

export const MAX_DIM = 2 ** 31 - 1;
export const MAX_INDEX = 2 ** 53 - 1;

export const int = (min: number, max: number): Kind => ({ t: 'int', min, max });
export const num = (min: number, max: number, open = false): Kind => ({ t: 'num', min, max, open });
export const DIM = int(1, MAX_DIM);
export const COUNT = int(0, MAX_DIM);
export const INDEX = int(0, MAX_INDEX);
export const POSITIVE = num(0, Number.MAX_VALUE, true);
export const NONNEGATIVE = num(0, Number.MAX_VALUE);
export const BOOL: Kind = { t: 'bool' };
export const enumOf = (values: readonly string[]): Kind => ({ t: 'enum', values });
export const ACTIVATION = enumOf(['relu', 'erf', 'tanh', 'linear']);

/** A Float64Array field: exact length unless `rows`, checked finite when `input`. */
export function f64(options: {
  exact?: boolean;
  input?: boolean;
  nonEmpty?: boolean;
  fixedLength?: boolean;
}): Kind {
  return {
    t: 'array',
    type: 'Float64Array',
    exact: options.exact ?? true,
    finite: options.input ?? false,
    nonEmpty: options.nonEmpty,
    fixedLength: options.fixedLength,
  };
}

/**
 * The object at `path` and each of its keys as fields: `kinds` maps keys to kinds; a key's label
 * is `prefix + key` (the binding names config keys bare and data arrays "data.X").
 */
export function objectFields(
  path: readonly (string | number)[],
  label: string,
  kinds: Record<string, Kind | Omit<Field, 'path' | 'label'>>,
  options: { strict: boolean; prefix?: string; optional?: boolean },
): Field[] {
  const keys = Object.keys(kinds);
  const own: Field = {
    path,
    label,
    kind: { t: 'object', keys, strict: options.strict },
    optional: options.optional,
  };
  return [
    own,
    ...keys.map((key): Field => {
      const spec = kinds[key]!;
      const rest = 't' in spec ? { kind: spec } : spec;
      return { path: [...path, key], label: `${options.prefix ?? ''}${key}`, ...rest };
    }),
  ];
}

/** Gaussian values of (seed, stream), scaled: inputs that are finite and not degenerate. */
export function gaussian(n: number, seed: number, stream: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  jsBackend.fillGaussian(seed, stream, 0, out);
  for (let i = 0; i < n; i++) out[i]! *= scale;
  return out;
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 40 });
const smallDouble = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

export interface Shape {
  P: number;
  d: number;
  N: number;
  gamma: number;
  activation: 'relu' | 'erf' | 'tanh' | 'linear';
  bias: boolean;
  seed: number;
}

export const shapeArb: fc.Arbitrary<Shape> = fc.record({
  P: fc.integer({ min: 1, max: 6 }),
  d: fc.integer({ min: 1, max: 5 }),
  N: fc.integer({ min: 1, max: 6 }),
  gamma: smallDouble(0.5, 1),
  activation: fc.constantFrom('relu', 'erf', 'tanh', 'linear'),
  bias: fc.boolean(),
  seed: seedArb,
});

/** A small SGLD kernel configuration: every schedule and option combination, tiny sizes. */
export const sgldConfigArb: fc.Arbitrary<SgldConfig> = fc
  .record({
    P: fc.integer({ min: 1, max: 6 }),
    d: fc.integer({ min: 1, max: 4 }),
    N: fc.integer({ min: 1, max: 4 }),
    PTest: fc.integer({ min: 0, max: 3 }),
    chains: fc.integer({ min: 1, max: 2 }),
    gamma: smallDouble(0.5, 1),
    activation: fc.constantFrom('relu', 'erf', 'tanh', 'linear'),
    bias: fc.boolean(),
    kappa: smallDouble(1e-3, 1),
    eta: smallDouble(1e-4, 0.05),
    lossScale: smallDouble(0.1, 1),
    sigmaW: smallDouble(0.5, 2),
    sigmaA: smallDouble(0.5, 2),
    sigmaB: smallDouble(0.5, 2),
    batch: fc.double({ min: 0, max: 1, noNaN: true }),
    freezeW: fc.boolean(),
    mala: fc.boolean(),
    seed: seedArb,
    steps: fc.integer({ min: 1, max: 6 }),
    burn: fc.double({ min: 0, max: 1, noNaN: true }),
    thin: fc.integer({ min: 1, max: 3 }),
    observeEvery: fc.integer({ min: 0, max: 3 }),
    relevant: fc.double({ min: 0, max: 1, noNaN: true }),
    histBins: fc.integer({ min: 1, max: 5 }),
    histRange: smallDouble(1, 6),
    precision: fc.constantFrom('float64', 'float32'),
    threads: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ batch, burn, relevant, ...c }) => ({
    ...c,
    batchSize: c.mala ? c.P : 1 + Math.floor(batch * (c.P - 1)),
    burnIn: Math.floor(burn * (c.steps - 1)),
    nRelevant: Math.round(relevant * c.d),
  }));

/** A small mean-field kernel configuration. */
export const mfConfigArb: fc.Arbitrary<MfKernelConfig> = fc
  .record({
    P: fc.integer({ min: 1, max: 6 }),
    d: fc.integer({ min: 1, max: 4 }),
    PTest: fc.integer({ min: 0, max: 3 }),
    M: fc.integer({ min: 1, max: 6 }),
    N: fc.oneof(fc.integer({ min: 1, max: 64 }), smallDouble(1, 1e8)),
    gamma: smallDouble(0.5, 1),
    kappa: smallDouble(1e-3, 1),
    sigmaW: smallDouble(0.5, 2),
    sigmaA: smallDouble(0.5, 2),
    activation: fc.constantFrom('relu', 'erf', 'tanh', 'linear'),
    dt: smallDouble(1e-4, 0.05),
    seed: seedArb,
    branch: fc.integer({ min: 0, max: 1 }),
    steps: fc.integer({ min: 1, max: 6 }),
    burn: fc.double({ min: 0, max: 1, noNaN: true }),
    sampleEvery: fc.integer({ min: 1, max: 3 }),
    observeEvery: fc.integer({ min: 1, max: 3 }),
    batches: fc.integer({ min: 1, max: 4 }),
    relevant: fc.double({ min: 0, max: 1, noNaN: true }),
    ardAlpha0: smallDouble(0.5, 2),
    ardBeta0: smallDouble(0.5, 2),
    ardEma: fc.double({ min: 0, max: 1, noNaN: true }),
    ardPrecisions: fc.constantFrom('coordinate', 'neuron'),
    histBins: fc.integer({ min: 1, max: 5 }),
    histRange: smallDouble(1, 6),
    solve: fc.constantFrom('cholesky', 'woodbury'),
    average: fc.constantFrom('kernel', 'predictor'),
    threads: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ burn, relevant, ...c }) => ({
    ...c,
    burnIn: Math.floor(burn * (c.steps - 1)),
    nRelevant: Math.round(relevant * c.d),
  }));
