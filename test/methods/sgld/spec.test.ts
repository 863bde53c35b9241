/**
 * The SGLD spec: defaults, idempotent normalisation, the (eta, weight decay) form, and one
 * error of each class naming its field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MflError, MflRangeError, MflTypeError } from '../../../src/errors.js';
import { parseSgldSpec, weightDecayOf } from '../../../src/methods/sgld/spec.js';

const base = {
  task: { task: 'parity', d: 12, k: 4, P: 400 },
  network: { N: 128 },
  sampler: { kappa: 0.01, steps: 20000 },
};

function withSampler(sampler: Record<string, unknown>): unknown {
  return { ...base, sampler: { ...base.sampler, ...sampler } };
}

function errorOf(input: unknown): Error & { code?: string } {
  try {
    parseSgldSpec(input);
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected parseSgldSpec to throw');
}

describe('parseSgldSpec', () => {
  test('accepts precision float32 and float64, and normalises to itself', () => {
    for (const precision of ['float32', 'float64'] as const) {
      const spec = parseSgldSpec({ ...base, precision });
      assert.equal(spec.precision, precision);
      assert.deepEqual(parseSgldSpec(spec), spec);
    }
  });

  test('fills the documented defaults', () => {
    const spec = parseSgldSpec(base);
    assert.deepEqual(spec.sampler, {
      kappa: 0.01,
      eta: null,
      steps: 20000,
      burnIn: 10000,
      thin: 10,
      batchSize: null,
      chains: 2,
      seed: 0,
      mala: false,
      loss: 'sum',
      freezeW: false,
      observeEvery: 100,
      histBins: 60,
      histRange: 6,
      checkpointEvery: null,
    });
    assert.equal(spec.precision, 'float64');
    assert.deepEqual(spec.network, {
      N: 128,
      gamma: 0.5,
      activation: 'relu',
      bias: false,
      sigmaW: 1,
      sigmaA: 1,
      sigmaB: 1,
    });
    assert.deepEqual(spec.task, {
      task: 'parity',
      d: 12,
      k: 4,
      P: 400,
      PTest: 4000,
      labelNoise: 0,
      seed: 0,
    });
  });

  test('the normalised spec parses to itself', () => {
    const once = parseSgldSpec(withSampler({ weightDecay: { W: 0.04 }, steps: 7, thin: null }));
    assert.deepEqual(parseSgldSpec(once), once);
  });

  test('short runs: thin 1, observe every step, burn-in half', () => {
    const { sampler } = parseSgldSpec(withSampler({ steps: 1 }));
    assert.equal(sampler.burnIn, 0);
    assert.equal(sampler.thin, 1);
    assert.equal(sampler.observeEvery, 1);
  });

  test('weight decay lambda = kappa / sigma^2 sets sigma = sqrt(kappa / lambda)', () => {
    const spec = parseSgldSpec({
      ...base,
      network: { N: 8, bias: true },
      sampler: { kappa: 0.02, steps: 10, weightDecay: { W: 0.08, a: 0.5, b: 0.02 } },
    });
    assert.equal(spec.network.sigmaW, Math.sqrt(0.02 / 0.08));
    assert.equal(spec.network.sigmaA, Math.sqrt(0.02 / 0.5));
    assert.equal(spec.network.sigmaB, 1);
    assert.ok(!('weightDecay' in spec.sampler));
    const lambda = weightDecayOf(spec);
    assert.ok(Math.abs(lambda.W - 0.08) < 1e-15);
    assert.ok(Math.abs(lambda.a - 0.5) < 1e-15);
    assert.ok(Math.abs((lambda.b ?? 0) - 0.02) < 1e-15);
  });

  test('sigma and weight decay for the same layer are rejected, naming the field', () => {
    const err = errorOf({
      ...base,
      network: { N: 8, sigmaA: 2 },
      sampler: { ...base.sampler, weightDecay: { a: 0.5 } },
    });
    assert.ok(err instanceof MflRangeError);
    assert.match(err.message, /^sampler\.weightDecay\.a: must be omitted when network\.sigmaA/);
  });

  test('sigma for one layer and weight decay for another are fine', () => {
    const spec = parseSgldSpec({
      ...base,
      network: { N: 8, sigmaA: 2 },
      sampler: { ...base.sampler, weightDecay: { W: 0.01 } },
    });
    assert.equal(spec.network.sigmaA, 2);
    assert.equal(spec.network.sigmaW, 1);
  });

  describe('errors name the field', () => {
    const cases: [string, unknown, new (...args: never[]) => Error, RegExp][] = [
      ['unknown key', withSampler({ kapa: 1 }), MflError, /"sampler\.kapa".*"sampler\.kappa"/],
      ['missing kappa', { ...base, sampler: { steps: 10 } }, MflTypeError, /^sampler\.kappa: /],
      ['kappa type', withSampler({ kappa: '0.1' }), MflTypeError, /^sampler\.kappa: expected/],
      ['kappa <= 0', withSampler({ kappa: 0 }), MflRangeError, /^sampler\.kappa: must be/],
      ['eta NaN', withSampler({ eta: NaN }), MflRangeError, /^sampler\.eta: must be/],
      ['steps 0', withSampler({ steps: 0 }), MflRangeError, /^sampler\.steps: must be an int/],
      [
        'burn-in >= steps',
        withSampler({ steps: 100, burnIn: 100 }),
        MflRangeError,
        /^sampler\.burnIn: must be an integer in \[0, steps - 1\] = \[0, 99\], got 100$/,
      ],
      ['thin 0', withSampler({ thin: 0 }), MflRangeError, /^sampler\.thin: /],
      [
        'batch > P',
        withSampler({ batchSize: 401 }),
        MflRangeError,
        /^sampler\.batchSize: must be null \(full batch\) or an integer in \[1, P\] = \[1, 400\]/,
      ],
      [
        'MALA with a minibatch',
        withSampler({ mala: true, batchSize: 10 }),
        MflRangeError,
        /^sampler\.batchSize: must be null \(full batch\) when mala is true/,
      ],
      ['chains 0', withSampler({ chains: 0 }), MflRangeError, /^sampler\.chains: /],
      ['loss', withSampler({ loss: 'avg' }), MflRangeError, /^sampler\.loss: must be one of/],
      ['mala type', withSampler({ mala: 1 }), MflTypeError, /^sampler\.mala: expected a bool/],
      [
        'trace too large',
        withSampler({ steps: 2 ** 40, thin: 1 }),
        MflRangeError,
        /^sampler\.thin: must be an integer >= \d+ \(chains \* samples kept/,
      ],
      [
        'precision float16',
        { ...base, precision: 'float16' },
        MflRangeError,
        /^precision: must be one of "float64", "float32", got "float16"/,
      ],
      ['precision number', { ...base, precision: 32 }, MflRangeError, /^precision: must be one of/],
      ['precision case', { ...base, precision: 'Float32' }, MflRangeError, /^precision: /],
      ['network.N', { ...base, network: { N: 0 } }, MflRangeError, /^network\.N: must be/],
      [
        'task.k',
        { ...base, task: { ...base.task, k: 13 } },
        MflRangeError,
        /^task\.k: must be an integer in \[0, d\]/,
      ],
      [
        'weight decay <= 0',
        withSampler({ weightDecay: { W: -1 } }),
        MflRangeError,
        /^sampler\.weightDecay\.W: /,
      ],
    ];
    for (const [name, input, cls, message] of cases) {
      test(name, () => {
        const err = errorOf(input);
        assert.ok(err instanceof cls, `${name}: ${err.constructor.name}: ${err.message}`);
        assert.match(err.message, message);
        assert.match(String(err.code), /^ERR_MFL_/);
      });
    }
  });
});
