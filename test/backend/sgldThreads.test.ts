/**
 * The native SGLD kernel on several threads (docs/sgld.md, "Threads"): every chain's arithmetic
 * is its own, so threads = 2, 3, 4 give bitwise the numbers of threads = 1: state, accumulators
 * and result, through resumed ranges, the async entry point, a divergence (same chain, step and
 * state of every chain) and a cancel (every chain stops after the same step). The js kernel, which
 * runs the chains one after another, agrees with native on threads > 1 as on one thread.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import type { SgldConfig, SgldState } from '../../src/backend/types.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { sgld } from '../../src/methods/sgld/run.js';
import { jsBackend, nativeBackend, requireNative, skipUnlessNative } from '../helpers/backends.js';
import {
  assertRunsAgree,
  assertSameRun,
  initialState,
  runSgld,
  sgldConfig,
  sgldData,
  skipUnlessSgld,
} from '../helpers/sgld.js';
import type { SgldRunOutcome } from '../helpers/sgld.js';

const skip = skipUnlessNative() || skipUnlessSgld(nativeBackend());

const VARIANTS: [string, Partial<SgldConfig>][] = [
  ['full batch', {}],
  ['minibatch of 20', { batchSize: 20 }],
  ['MALA', { mala: true }],
];

for (const precision of ['float64', 'float32'] as const) {
  for (const [name, overrides] of VARIANTS) {
    test(
      `threads 2, 4 equal threads 1 bitwise: chains 2, 3, 4; ${name}, bias, ${precision}`,
      {
        skip,
      },
      () => {
        for (const chains of [2, 3, 4]) {
          const base = sgldConfig({ chains, bias: true, precision, steps: 400, ...overrides });
          const data = sgldData(base);
          const one = runSgld(requireNative(), base, data);
          assert.equal(one.results[0]!.stepsDone, base.steps, 'the reference run diverged');
          for (const threads of [2, 4]) {
            const many = runSgld(requireNative(), { ...base, threads }, data);
            assert.deepEqual(many.results, one.results, `chains ${chains}, threads ${threads}`);
            assertSameRun(many, one);
          }
        }
      },
    );
  }
}

test('resumed ranges on threads equal one call on one thread', { skip }, () => {
  for (const precision of ['float64', 'float32'] as const) {
    const config = sgldConfig({ chains: 3, bias: true, mala: true, precision, steps: 600 });
    const data = sgldData(config);
    const one = runSgld(requireNative(), config, data);
    const split = runSgld(requireNative(), { ...config, threads: 2 }, data, [0, 250, 251, 600]);
    assert.deepEqual(
      split.results.map((r) => r.stepsDone),
      [250, 1, 349],
    );
    assertSameRun(split, one);
  }
});

test('the async entry point on threads equals the sync run on one thread', { skip }, async () => {
  const config = sgldConfig({ chains: 4, batchSize: 20, steps: 800 });
  const data = sgldData(config);
  const one = runSgld(requireNative(), config, data);
  const state = initialState(config);
  const acc = createSgldAccumulators(config);
  const progress: number[] = [];
  const result = await requireNative().sgldRunAsync(
    { ...config, threads: 3 },
    data,
    state,
    acc,
    0,
    800,
    {
      onProgress: (done) => progress.push(done),
    },
  );
  assert.deepEqual(result, one.results[0]);
  assertSameRun({ state, acc, results: [] }, one);
  assert.equal(progress.at(-1), 800);
  assert.ok(
    progress.every((done, i) => i === 0 || done >= progress[i - 1]!),
    'progress not monotone',
  );
});

/** Makes chain c's first step overflow: its loss is finite, its gradient (so its update) not. */
function poison(config: SgldConfig, state: SgldState, c: number): void {
  const { N, d } = config;
  for (let i = c * N; i < (c + 1) * N; i++) state.a[i]! *= 1e-100;
  for (let i = c * N * d; i < (c + 1) * N * d; i++) state.W[i]! *= 1e250;
}

/** Scales chain c's output weights so that it diverges after a few steps. */
function destabilise(config: SgldConfig, state: SgldState, c: number): void {
  for (let i = c * config.N; i < (c + 1) * config.N; i++) state.a[i]! *= 6;
}

/** Steps [0, begin) on one thread, then `prepare`, then one call over [begin, steps). */
function runFrom(
  config: SgldConfig,
  prepare: (state: SgldState) => void,
  begin = 0,
): SgldRunOutcome {
  const data = sgldData(config);
  const state = initialState(config);
  const acc = createSgldAccumulators(config);
  requireNative().sgldRun({ ...config, threads: 1 }, data, state, acc, 0, begin);
  prepare(state);
  const result = requireNative().sgldRun(config, data, state, acc, begin, config.steps);
  return { state, acc, results: [result] };
}

test(
  'a divergence reports the chain, step and state of every chain of one thread',
  { skip },
  () => {
    const cases: [string, Partial<SgldConfig>, (c: SgldConfig, s: SgldState) => void][] = [
      // Chains 1 and 2 (other threads when threads >= 2) both fail at step 0 after recording their
      // sample: the lower is reported, chain 2's sample must not stay.
      [
        'two chains at step 0',
        { chains: 4, steps: 300, burnIn: 0, thin: 1, observeEvery: 1 },
        (c, s) => {
          poison(c, s, 1);
          poison(c, s, 2);
        },
      ],
      // The last chain diverges after a few steps while the others run on (on two threads, chain 0
      // has a thread to itself and runs ahead).
      [
        'a later step',
        { chains: 3, eta: 0.1, steps: 3000, burnIn: 2 },
        (c, s) => destabilise(c, s, 2),
      ],
      ['huge eta, every chain', { chains: 4, eta: 0.3, steps: 500, burnIn: 1, thin: 1 }, () => {}],
      [
        'MALA, float32',
        { chains: 4, eta: 0.1, mala: true, precision: 'float32', steps: 500, burnIn: 1 },
        (c, s) => poison(c, s, 3),
      ],
    ];
    for (const [name, overrides, prepare] of cases) {
      // From step 0, and in a call that starts at step 40 (the copy a thread's chains are put
      // back from covers only the call's trace and series entries).
      for (const begin of [0, 40]) {
        const config = sgldConfig(overrides);
        const one = runFrom(config, (s) => prepare(config, s), begin);
        const label = `${name}, from step ${begin}`;
        assert.ok(one.results[0]!.divergedChain >= 0, `${label}: the reference did not diverge`);
        for (const threads of [2, 3, 4]) {
          const many = runFrom({ ...config, threads }, (s) => prepare(config, s), begin);
          assert.deepEqual(many.results, one.results, `${label}, threads ${threads}`);
          assertSameRun(many, one);
        }
      }
    }
  },
);

test(
  'a cancel on two threads stops every chain after the same step, resumably',
  { skip },
  async () => {
    const config = sgldConfig({ steps: 200_000, burnIn: 0, thin: 1, observeEvery: 1, threads: 2 });
    const data = sgldData(config);
    const state = initialState(config);
    const acc = createSgldAccumulators(config);
    const controller = new AbortController();
    const reported: number[] = [];
    await assert.rejects(
      requireNative().sgldRunAsync(config, data, state, acc, 0, config.steps, {
        signal: controller.signal,
        onProgress: (done) => {
          reported.push(done);
          controller.abort();
        },
      }),
      { code: 'ERR_MFL_CANCELLED' },
    );
    // Row t of the series holds (t, trainMse, mS) once chain c has done step t: count them.
    const O = config.steps;
    const rowsDone = (c: number) => {
      let rows = 0;
      while (rows < O && acc.series[(c * O + rows) * 3 + 1] !== 0) rows++;
      return rows;
    };
    const stopped = rowsDone(0);
    assert.ok(stopped >= reported[0]! && stopped < config.steps, `stopped after ${stopped} steps`);
    assert.equal(rowsDone(1), stopped, 'the chains stopped after different steps');
    assert.equal(acc.nSamples[0], stopped);
    const reference = runSgld(requireNative(), { ...config, threads: 1 }, data, [0, stopped]);
    assertSameRun({ state, acc, results: [] }, reference);
  },
);

test('the js kernel (chains in turn) agrees with native on threads > 1', { skip }, () => {
  for (const overrides of [{ mala: true }, { batchSize: 20, precision: 'float64' as const }]) {
    const config = sgldConfig({ chains: 3, threads: 3, bias: true, ...overrides });
    const data = sgldData(config);
    const expected = runSgld(jsBackend, config, data);
    const actual = runSgld(requireNative(), config, data);
    assertRunsAgree(actual, expected, config, 1e-9, JSON.stringify(overrides));
  }
});

test('threads: an integer in [1, 256], else an error naming it', { skip }, () => {
  const config = sgldConfig();
  const data = sgldData(config);
  const bad: [unknown, string][] = [
    [0, 'ERR_MFL_OUT_OF_RANGE'],
    [-1, 'ERR_MFL_OUT_OF_RANGE'],
    [257, 'ERR_MFL_OUT_OF_RANGE'],
    [1e12, 'ERR_MFL_OUT_OF_RANGE'],
    [1.5, 'ERR_MFL_OUT_OF_RANGE'],
    [Number.NaN, 'ERR_MFL_OUT_OF_RANGE'],
    ['x', 'ERR_MFL_INVALID_TYPE'],
    [undefined, 'ERR_MFL_INVALID_TYPE'],
  ];
  for (const [threads, code] of bad) {
    const state = initialState(config);
    const acc = createSgldAccumulators(config);
    const withThreads = { ...config, threads } as unknown as SgldConfig;
    assert.throws(
      () => requireNative().sgldRun(withThreads, data, state, acc, 0, 10),
      (e: { code?: string; message?: string }) =>
        e.code === code && /\bthreads\b/.test(e.message ?? ''),
      `threads ${String(threads)}`,
    );
  }
  // 256 is allowed and uses min(256, chains) threads.
  const state = initialState(config);
  const acc = createSgldAccumulators(config);
  assert.equal(
    requireNative().sgldRun({ ...config, threads: 256 }, data, state, acc, 0, 10).stepsDone,
    10,
  );
});

test(
  'sgld(): the threads option changes no number; the result reports the threads',
  { skip },
  async () => {
    const spec = {
      task: { task: 'parity', d: 6, k: 2, P: 60, PTest: 40, seed: 1 },
      network: { N: 16, bias: true },
      sampler: { kappa: 0.05, steps: 300, chains: 3, seed: 2 },
    } as const;
    const numbers = (r: Record<string, unknown>) => {
      const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
      for (const key of ['seconds', 'stepsPerSecond', 'threads']) delete json[key];
      return json;
    };
    const one = await sgld(spec, { backend: 'native', threads: 1 });
    const two = await sgld(spec, { backend: 'native', threads: 2 });
    const many = await sgld(spec, { backend: 'native', threads: 200 });
    assert.deepEqual([one.threads, two.threads, many.threads], [1, 2, 3]);
    assert.deepEqual(numbers(two as never), numbers(one as never));
    assert.deepEqual(numbers(many as never), numbers(one as never));
    // One chain thread per core that the BLAS threads of each call leave.
    const blasThreads = requireNative().info().blas?.threads ?? 1;
    const byDefault = await sgld(spec, { backend: 'native' });
    const cores = Math.floor(os.availableParallelism() / blasThreads);
    assert.equal(byDefault.threads, Math.max(1, Math.min(3, cores)));
    const js = await sgld(
      { ...spec, sampler: { ...spec.sampler, steps: 20 } },
      { backend: 'js', threads: 3 },
    );
    assert.equal(js.threads, 1);
    for (const threads of [0, 257, 1.5, '2']) {
      await assert.rejects(
        sgld(spec, { backend: 'native', threads: threads as number }),
        (e: Error) => /^options\.threads: /.test(e.message),
      );
    }
  },
);
