/**
 * The native mean-field kernel on several threads (docs/mf.md, "Threads"): particle blocks and
 * the pieces of the kernel matrix are fixed by the shape and each number is computed by one of them, so threads = 2
 * and 3 give bitwise the state, accumulators and results of threads = 1: plain MF, MF-ARD
 * (coordinate- and neuron-wise), the Cholesky and the Woodbury solve, particle counts that are
 * not a multiple of the block size, resumed ranges, the async entry point, a failing step, a
 * cancel, and meanField's `threads` option.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MfKernelConfig } from '../../src/backend/types.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { meanField } from '../../src/methods/mf/run.js';
import { jsBackend, nativeBackend, requireNative, skipUnlessNative } from '../helpers/backends.js';
import {
  assertMfRunsAgree,
  assertSameMfRun,
  mfData,
  mfInitialState,
  mfKernelConfig,
  runMf,
  skipUnlessMf,
} from '../helpers/mf.js';

const skip = skipUnlessNative() || skipUnlessMf(nativeBackend());

const ARD: [string, Partial<MfKernelConfig>][] = [
  ['plain', {}],
  ['ARD coordinate', { ardEma: 0.05, ardAlpha0: 2, ardBeta0: 1.5 }],
  ['ARD neuron', { ardEma: 0.05, ardAlpha0: 2, ardBeta0: 1.5, ardPrecisions: 'neuron' }],
];

/**
 * Shapes: M = 50 makes 6 blocks of 8 particles and one of 2 (native/core/mf.cpp, blockRows), and
 * K as two half sums; P = 700, M = 131 makes blocks of 17 (the last 12) and
 * keeps phi (erf), Woodbury over 131 particles; relu at P = 40 is the cheap-phi path.
 */
const SHAPES: [string, Partial<MfKernelConfig>][] = [
  ['M = 50, cholesky', { M: 50, solve: 'cholesky' }],
  ['M = 50, woodbury', { M: 50, solve: 'woodbury' }],
  [
    'P = 700, M = 131, woodbury, erf',
    { P: 700, M: 131, solve: 'woodbury', activation: 'erf', steps: 20, burnIn: 5 },
  ],
  [
    'P = 300, M = 131, cholesky, tanh',
    { P: 300, M: 131, solve: 'cholesky', activation: 'tanh', steps: 20, burnIn: 5 },
  ],
];

for (const [ard, ardOverrides] of ARD) {
  test(`threads 2, 3 equal threads 1 bitwise: ${ard}, both solves`, { skip }, () => {
    for (const [shape, shapeOverrides] of SHAPES) {
      const base = mfKernelConfig({ ...ardOverrides, ...shapeOverrides, branch: 1 });
      const data = mfData(base);
      const one = runMf(requireNative(), base, data);
      assert.equal(one.results[0]!.failure, 'none', `${shape}: the reference run failed`);
      assert.equal(one.results[0]!.stepsDone, base.steps);
      for (const threads of [2, 3]) {
        const many = runMf(requireNative(), { ...base, threads }, data);
        assert.deepEqual(many.results, one.results, `${shape}, threads ${threads}`);
        assertSameMfRun(many, one);
      }
    }
  });
}

test('K in tiles (one particle, or one training row): threads equal threads 1', { skip }, () => {
  // K is cut into tiles of at most 512 rows when its sum cannot be halved (or a second n x n
  // matrix would exceed 64 MiB): here 2 x 2 tiles of 300.
  const cases: Partial<MfKernelConfig>[] = [
    { P: 600, M: 1, solve: 'cholesky', steps: 20, burnIn: 5 },
    { P: 1, M: 600, solve: 'woodbury', steps: 20, burnIn: 5, PTest: 4 },
  ];
  for (const overrides of cases) {
    const config = mfKernelConfig(overrides);
    const data = mfData(config);
    const one = runMf(requireNative(), config, data);
    assert.equal(one.results[0]!.failure, 'none');
    for (const threads of [2, 3])
      assertSameMfRun(runMf(requireNative(), { ...config, threads }, data), one);
  }
});

test('resumed ranges on threads equal one call on one thread', { skip }, () => {
  const config = mfKernelConfig({ M: 50, ardEma: 0.05, solve: 'woodbury' });
  const data = mfData(config);
  const one = runMf(requireNative(), config, data);
  const split = runMf(requireNative(), { ...config, threads: 3 }, data, [0, 17, 18, 60]);
  assert.deepEqual(
    split.results.map((r) => r.stepsDone),
    [17, 1, 42],
  );
  assertSameMfRun(split, one);
});

test('more threads than blocks or tiles: the same numbers', { skip }, () => {
  const config = mfKernelConfig({ P: 5, M: 3, d: 3, nRelevant: 2 });
  const data = mfData(config);
  const one = runMf(requireNative(), config, data);
  assertSameMfRun(runMf(requireNative(), { ...config, threads: 256 }, data), one);
});

test('threads agree with the js kernel as one thread does', { skip }, () => {
  const config = mfKernelConfig({ M: 50, ardEma: 0.05, threads: 2 });
  const data = mfData(config);
  const js = runMf(jsBackend, config, data);
  assertMfRunsAgree(runMf(requireNative(), config, data), js, config, 1e-9, 'threads 2 vs js');
});

test('a failing step on threads fails as on one thread', { skip }, () => {
  const config = mfKernelConfig({ M: 50, dt: 1e4, steps: 200, burnIn: 150 });
  const data = mfData(config);
  const one = runMf(requireNative(), config, data);
  assert.equal(one.results[0]!.failure, 'nonFinite');
  const many = runMf(requireNative(), { ...config, threads: 3 }, data);
  assert.deepEqual(many.results, one.results);
  assertSameMfRun(many, one);
});

test('async on threads: the sync one-thread run, progress, and a cancel', { skip }, async () => {
  const config = mfKernelConfig({ M: 50, steps: 400, burnIn: 0, sampleEvery: 1 });
  const data = mfData(config);
  const one = runMf(requireNative(), config, data);
  const state = mfInitialState(config);
  const acc = createMfAccumulators(config);
  const progress: number[] = [];
  const result = await requireNative().mfRunAsync(
    { ...config, threads: 2 },
    data,
    state,
    acc,
    0,
    400,
    {
      onProgress: (done) => progress.push(done),
    },
  );
  assert.deepEqual(result, one.results[0]);
  assertSameMfRun({ state, acc, results: [] }, { ...one, results: [] });
  assert.equal(progress.at(-1), 400);

  // Every step is a sample, so nSamples tells how many steps were done before the cancel.
  const long = mfKernelConfig({ M: 50, steps: 200000, burnIn: 0, sampleEvery: 1, threads: 2 });
  const longState = mfInitialState(long);
  const longAcc = createMfAccumulators(long);
  const controller = new AbortController();
  const promise = requireNative().mfRunAsync(long, data, longState, longAcc, 0, long.steps, {
    signal: controller.signal,
    onProgress: (done, total) => done < total && controller.abort(),
  });
  setImmediate(() => controller.abort());
  await assert.rejects(promise, { code: 'ERR_MFL_CANCELLED' });
  const done = longAcc.nSamples[0]!;
  assert.ok(done >= 0 && done < long.steps, `steps done: ${done}`);
  const expected = runMf(requireNative(), { ...long, threads: 1 }, data, [0, done]);
  assertSameMfRun({ state: longState, acc: longAcc, results: [] }, { ...expected, results: [] });
});

test("meanField's threads option: the same result; bad values named", { skip }, async () => {
  const spec = {
    task: { task: 'parity', d: 8, k: 2, P: 60, PTest: 50, seed: 2 },
    network: { N: 64 },
    solver: { kappa: 0.05, particles: 100, steps: 60, dt: 0.01, seed: 3, ard: true },
  } as const;
  const one = await meanField(spec, { backend: 'native', threads: 1 });
  const two = await meanField(spec, { backend: 'native', threads: 2 });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  const numbers = (r: typeof one) => {
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const key of ['seconds', 'stepsPerSecond', 'threads']) delete json[key];
    return json;
  };
  assert.deepEqual(numbers(two), numbers(one));
  assert.deepEqual(two.predictions(), one.predictions());
  for (const bad of [0, 257, 1.5]) {
    await assert.rejects(meanField(spec, { backend: 'native', threads: bad }), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /threads/,
    });
  }
});
