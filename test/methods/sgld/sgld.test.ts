/**
 * `sgld()` end to end on every backend: result fields, the P = 0 and kappa -> infinity prior
 * limits, the kappa -> 0 gradient-descent limit, checkpoint and resume, divergence, custom data.
 * Statistical checks state their tolerance in standard errors (4) and use fixed seeds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Backend } from '../../../src/backend/types.js';
import { MflError } from '../../../src/errors.js';
import { readCheckpoint } from '../../../src/methods/sgld/checkpoint.js';
import type { SgldResult } from '../../../src/methods/sgld/result.js';
import { sgld } from '../../../src/methods/sgld/run.js';
import type { SgldSpecInput } from '../../../src/methods/sgld/spec.js';
import { writeData } from '../../../src/tasks/io/index.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { backends, skipUnlessNative } from '../../helpers/backends.js';
import { tempDir } from '../../tasks/tmp.js';

const Z = 4;
const dir = tempDir('mfl-sgld-');

/** parity(6, 2), P = 60, N = 16: quick on js. */
function small(sampler: Partial<SgldSpecInput['sampler']> = {}): SgldSpecInput {
  return {
    task: { task: 'parity', d: 6, k: 2, P: 60, PTest: 50, seed: 1 },
    network: { N: 16 },
    sampler: { kappa: 0.05, steps: 600, seed: 2, ...sampler },
  };
}

/** The result without the fields that may differ between equal runs (timing, resume point). */
function numbers(r: SgldResult): unknown {
  const rest = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  for (const key of ['seconds', 'stepsPerSecond', 'resumedFromStep']) delete rest[key];
  return rest;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected a rejection');
}

function assertClose(what: string, value: number, expected: number, se: number, z0 = Z): void {
  const z = (value - expected) / se;
  assert.ok(Math.abs(z) < z0, `${what}: ${value} vs ${expected} (${z.toFixed(2)} SE)`);
}

for (const backend of backends) {
  const name = backend.name;
  const opts = { backend } as { backend: Backend };

  describe(`sgld() on ${name}`, () => {
    test('result fields and shapes', async () => {
      const r = await sgld(small({ steps: 600, observeEvery: 50, histBins: 10 }), opts);
      assert.equal(r.method, 'sgld');
      assert.equal(r.backend, name);
      assert.equal(r.chains, 2);
      assert.equal(r.samplesPerChain, 300);
      assert.equal(r.loss, 'sum');
      assert.equal(r.spec.sampler.eta, r.eta);
      assert.match(r.etaRule, /^eta = 1 \/ \(T \/ /);
      assert.equal(r.q.length, 6);
      assert.equal(r.series.length, 12);
      assert.deepEqual(
        r.series.map((row) => row.step),
        Array.from({ length: 12 }, (_, o) => 50 * o),
      );
      for (const key of ['testMse', 'sampleTestMse', 'trainMse', 'sampleTrainMse', 'mS']) {
        assert.equal(typeof r[key as keyof SgldResult], 'number', key);
      }
      assert.ok(r.anisotropy !== null && r.anisotropy > 0);
      assert.ok(r.specialisation !== null && r.specialisation >= 0 && r.specialisation <= 1);
      const relevant = r.marginals.relevantW!;
      const total = relevant.counts.reduce((s, c) => s + c, relevant.underflow + relevant.overflow);
      assert.equal(total, 2 * 300 * 16 * 2);
      assert.equal(relevant.edges.length, 11);
      assert.equal(r.marginals.a.counts.length, 10);
      assert.equal(r.mala, null);
      assert.equal(typeof r.diagnostics.rhat.mS, 'number');
      assert.equal(typeof r.diagnostics.ess.testMse, 'number');
      assert.equal(r.predictions().length, 50);
      assert.equal(r.predictions('train').length, 60);
      assert.ok(!('predictions' in JSON.parse(JSON.stringify(r))));
      // The posterior mean predicts better than a single sample does (Jensen).
      assert.ok(r.trainMse! <= r.sampleTrainMse!);
      assert.ok(r.series.at(-1)!.trainMse! < r.series[0]!.trainMse!, 'training made progress');
      assert.deepEqual(r.weightDecay, { W: 0.05, a: 0.05, b: null });
    });

    test('same spec, same numbers; chunking by checkpoints changes nothing', async () => {
      const spec = small({ steps: 400, burnIn: 100, thin: 3, observeEvery: 7 });
      const a = await sgld(spec, opts);
      const file = path.join(dir, `${name}-chunks.ckpt`);
      const b = await sgld(spec, { ...opts, checkpoint: { path: file, every: 37 } });
      assert.deepEqual(numbers(b), numbers(a));
      assert.equal((await readCheckpoint(file)).header.step, 400);
    });

    test('P = 0 samples the prior exactly (moments of W and a)', async () => {
      const r = await sgld(
        {
          task: { task: 'parity', d: 6, k: 2, P: 0, PTest: 20, seed: 1 },
          network: { N: 20, sigmaW: 2, sigmaA: 0.5 },
          sampler: { kappa: 0.1, steps: 3000, burnIn: 0, thin: 1, seed: 4 },
        },
        opts,
      );
      assert.equal(r.eta, null);
      assert.equal(r.trainMse, null);
      const samples = 2 * 3000;
      const checks: [string, NonNullable<SgldResult['marginals']['a']>, number, number][] = [
        ['relevant W', r.marginals.relevantW!, 2, samples * 20 * 2],
        ['irrelevant W', r.marginals.irrelevantW!, 2, samples * 20 * 4],
        ['a', r.marginals.a, 0.5, samples * 20],
      ];
      for (const [what, m, sigma, n] of checks) {
        assertClose(`${what} mean`, m.mean, 0, sigma / Math.sqrt(n));
        assertClose(`${what} variance`, m.variance, sigma ** 2, sigma ** 2 * Math.sqrt(2 / n));
        assertClose(`${what} excess kurtosis`, m.excessKurtosis!, 0, Math.sqrt(24 / n));
      }
      // Six coordinates at once: 4.5 SE keeps the family-wise false alarm rate of 4 SE.
      for (const [j, q] of r.q.entries()) {
        assertClose(`q_${j}`, q, 4, 4 * Math.sqrt(2 / (samples * 20)), 4.5);
      }
      // Independent draws: chains agree and the ESS is about the number of draws.
      assert.ok(r.diagnostics.rhat.testMse! < 1.01);
      assert.ok(r.diagnostics.ess.testMse! > 0.7 * samples);
    });

    test('kappa -> infinity: the kernel samples the prior (P = 1)', async () => {
      const kappa = 1e6;
      const r = await sgld(
        {
          task: { task: 'parity', d: 6, k: 2, P: 1, PTest: 10, seed: 1 },
          network: { N: 20, sigmaW: 2, sigmaA: 0.5 },
          sampler: { kappa, steps: 20_000, burnIn: 1000, thin: 5, seed: 4 },
        },
        opts,
      );
      // Euler-Maruyama of dtheta = -theta/sigma^2 dt: variance sigma^2 / (1 - h / 2),
      // h = eta kappa / sigma^2 (<= 0.02 by the default rule). Relaxation takes 1/h steps, so
      // each parameter gives about (steps - burnIn) h / 2 independent draws.
      for (const [what, m, sigma, params] of [
        ['W', r.marginals.irrelevantW!, 2, 2 * 20 * 4],
        ['a', r.marginals.a, 0.5, 2 * 20],
      ] as const) {
        const h = (r.eta! * kappa) / sigma ** 2;
        assert.ok(h <= 0.02 + 1e-12, `h = ${h}`);
        const n = (params * 19_000 * h) / 2;
        const expected = sigma ** 2 / (1 - h / 2);
        assertClose(`${what} variance`, m.variance, expected, expected * Math.sqrt(2 / n));
        assertClose(`${what} mean`, m.mean, 0, sigma / Math.sqrt(n));
      }
    });

    test('kappa -> 0 with a small eta: E decreases monotonically (gradient descent)', async () => {
      const r = await sgld(
        small({ kappa: 1e-10, steps: 400, observeEvery: 1, chains: 1, eta: 2e-3 }),
        opts,
      );
      const losses = r.series.map((row) => row.trainMse!);
      assert.equal(losses.length, 400);
      for (let t = 1; t < losses.length; t++) {
        assert.ok(
          losses[t]! < losses[t - 1]!,
          `E rose at step ${t}: ${losses[t - 1]} -> ${losses[t]}`,
        );
      }
      assert.ok(losses.at(-1)! < 0.5 * losses[0]!);
    });

    test('resume after an interruption continues bit-identically', async () => {
      const spec = small({ steps: 900, observeEvery: 10 });
      const uninterrupted = await sgld(spec, opts);
      const file = path.join(dir, `${name}-resume.ckpt`);
      const controller = new AbortController();
      const err = await rejection(
        sgld(spec, {
          ...opts,
          checkpoint: { path: file, every: 200 },
          signal: controller.signal,
          onProgress: (done) => {
            if (done >= 450) controller.abort();
          },
        }),
      );
      assert.equal(err.code, 'ERR_MFL_CANCELLED');
      const saved = (await readCheckpoint(file)).header.step;
      assert.ok(saved >= 200 && saved < 900, `checkpoint at step ${saved}`);
      const resumed = await sgld(spec, { ...opts, checkpoint: { path: file }, resume: true });
      assert.equal(resumed.resumedFromStep, saved);
      assert.deepEqual(numbers(resumed), numbers(uninterrupted));
      assert.deepEqual(resumed.predictions(), uninterrupted.predictions());
    });

    test('resume refuses a checkpoint of another run, naming the field', async () => {
      const file = path.join(dir, `${name}-other.ckpt`);
      await sgld(small({ steps: 50 }), { ...opts, checkpoint: { path: file } });
      const other = await rejection(
        sgld(small({ steps: 50, kappa: 0.06 }), {
          ...opts,
          checkpoint: { path: file },
          resume: true,
        }),
      );
      assert.equal(other.code, 'ERR_MFL_OUT_OF_RANGE');
      assert.match(
        other.message,
        /^sampler\.kappa: must be 0\.05 as in the checkpoint .*got 0\.06$/,
      );
      const exists = await rejection(
        sgld(small({ steps: 50 }), { ...opts, checkpoint: { path: file } }),
      );
      assert.equal(exists.code, 'ERR_MFL_IO');
      assert.match(exists.message, /already exists: resume it/);
      const missing = await rejection(
        sgld(small({ steps: 50 }), {
          ...opts,
          checkpoint: { path: path.join(dir, 'missing.ckpt') },
          resume: true,
        }),
      );
      assert.equal(missing.code, 'ERR_MFL_IO');
    });

    test('divergence names the step and chain, suggests a smaller eta, keeps the checkpoint', async () => {
      const file = path.join(dir, `${name}-diverged.ckpt`);
      const err = await rejection(
        sgld(small({ eta: 50, steps: 1000 }), { ...opts, checkpoint: { path: file, every: 1 } }),
      );
      assert.ok(err instanceof MflError);
      assert.equal(err.code, 'ERR_MFL_DIVERGED');
      const match =
        /diverged at step (\d+) in chain (\d+).*try a smaller step size, e\.g\. --eta 12\.5/.exec(
          err.message,
        );
      assert.ok(match, err.message);
      const { header } = await readCheckpoint(file);
      assert.equal(header.step, Number(match[1]));
      assert.match(
        err.message,
        new RegExp(`last checkpoint \\(.*, step ${header.step}\\) is intact`),
      );
    });

    test('custom data: order parameters are null, errors are checked against the data', async () => {
      const data = await makeDataset({ task: 'parity', d: 5, k: 2, P: 40, PTest: 30, seed: 9 });
      const files = path.join(dir, `${name}-custom`);
      await writeData(files, 'train', { X: data.X, y: data.y, P: 40, d: 5 }, 'csv');
      await writeData(files, 'test', { X: data.XTest, y: data.yTest, P: 30, d: 5 }, 'npy');
      const task = {
        task: 'custom',
        train: path.join(files, 'train.csv'),
        test: path.join(files, 'test'),
      } as const;
      const r = await sgld(
        { task, network: { N: 8 }, sampler: { kappa: 0.05, steps: 200, seed: 1 } },
        opts,
      );
      assert.equal(r.mS, null);
      assert.equal(r.anisotropy, null);
      assert.equal(r.specialisation, null);
      assert.equal(r.marginals.relevantW, null);
      assert.equal(r.diagnostics.rhat.mS, null);
      assert.equal(typeof r.testMse, 'number');
      assert.ok(r.series.every((row) => row.mS === null));
      const tooBig = await rejection(
        sgld({ task, network: { N: 8 }, sampler: { kappa: 0.05, steps: 20, batchSize: 41 } }, opts),
      );
      assert.match(
        tooBig.message,
        /^sampler\.batchSize: must be null \(full batch\) or an integer in \[1, P\] = \[1, 40\]/,
      );
    });

    test('minibatches, MALA, loss "mean" and an already aborted signal', async () => {
      const batch = await sgld(small({ steps: 100, batchSize: 10 }), opts);
      assert.equal(batch.spec.sampler.batchSize, 10);
      const mala = await sgld(small({ steps: 100, mala: true }), opts);
      assert.ok(mala.mala !== null && mala.mala.acceptance > 0 && mala.mala.acceptance <= 1);
      const mean = await sgld(small({ steps: 100, loss: 'mean', kappa: 0.05 / 60 }), opts);
      assert.equal(mean.loss, 'mean');
      // Same posterior as loss "sum" with kappa = P kappa', and the default eta scales with it.
      const sum = await sgld(small({ steps: 100 }), opts);
      assert.ok(Math.abs(mean.eta! / sum.eta! - 60) < 1e-9 * 60);
      const controller = new AbortController();
      controller.abort();
      const err = await rejection(sgld(small(), { ...opts, signal: controller.signal }));
      assert.equal(err.code, 'ERR_MFL_CANCELLED');
    });
  });
}

test(
  'a checkpoint resumes only on the backend that wrote it',
  { skip: skipUnlessNative() },
  async () => {
    const file = path.join(dir, 'backend.ckpt');
    await sgld(small({ steps: 20 }), { backend: 'js', checkpoint: { path: file } });
    const err = await rejection(
      sgld(small({ steps: 20 }), { backend: 'native', checkpoint: { path: file }, resume: true }),
    );
    assert.match(err.message, /^backend: must be "js" as in the checkpoint .*MFL_BACKEND=js/);
  },
);

test('a checkpoint file is not left half-written: only complete files exist', () => {
  for (const file of fs.readdirSync(dir)) assert.ok(!file.endsWith('.tmp'), file);
});
