/**
 * Concurrency of the native backend: several asynchronous runs at once on the main thread, and
 * the same runs in worker threads (each with its own Node environment and its own instance of the
 * addon's per-environment data), give exactly the numbers of sequential calls; terminating a
 * worker while its native job runs does not take the process down.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { meanField, nngp, sgld } from '../../src/index.js';
import { skipUnlessNative } from '../helpers/backends.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workerFile = path.join(here, 'concurrency-worker.js');

const task = { task: 'parity', d: 8, k: 2, P: 80, PTest: 100, seed: 3 } as const;
const specs = {
  sgld: { task, network: { N: 32 }, sampler: { kappa: 0.05, steps: 1500, seed: 5, chains: 2 } },
  sgld2: { task, network: { N: 32 }, sampler: { kappa: 0.05, steps: 1500, seed: 6, chains: 2 } },
  mf: { task, network: { N: 32 }, solver: { kappa: 0.05, steps: 300, particles: 128, seed: 5 } },
  nngp: { task: { ...task, P: 400 }, kappa: 0.05 },
} as const;
type Name = keyof typeof specs;
const methodOf: Record<Name, 'sgld' | 'mf' | 'nngp'> = {
  sgld: 'sgld',
  sgld2: 'sgld',
  mf: 'mf',
  nngp: 'nngp',
};

/** Fields that depend on the moment, not on the computation. */
const MOMENTARY = new Set(['seconds', 'stepsPerSecond', 'memoryLimitBytes']);

/** A result's numbers: its JSON without wall-clock time and the free-memory-based limit. */
function numbers(json: string): unknown {
  return JSON.parse(json, (key, value: unknown) => (MOMENTARY.has(key) ? undefined : value));
}

async function runHere(name: Name): Promise<string> {
  const method = methodOf[name];
  const options = { backend: 'native' as const };
  if (method === 'sgld') return JSON.stringify(await sgld(specs[name] as never, options));
  if (method === 'mf') return JSON.stringify(await meanField(specs[name] as never, options));
  return JSON.stringify(await nngp(specs[name] as never, options));
}

function runInWorker(name: Name): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, {
      workerData: { method: methodOf[name], spec: specs[name] },
    });
    worker.once('message', (message: string) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

const names = Object.keys(specs) as Name[];

describe('native concurrency', { skip: skipUnlessNative() }, () => {
  const sequential = new Map<Name, unknown>();

  test('reference: the runs one after the other', async () => {
    for (const name of names) sequential.set(name, numbers(await runHere(name)));
    assert.equal(sequential.size, names.length);
  });

  test('all at once on the main thread: the same numbers', async () => {
    const results = await Promise.all(names.map((name) => runHere(name)));
    for (const [i, name] of names.entries()) {
      assert.deepEqual(numbers(results[i]!), sequential.get(name), name);
    }
  });

  test('in worker threads, beside main-thread runs: the same numbers', async () => {
    const results = await Promise.all([
      ...names.map((name) => runInWorker(name)),
      ...names.map((name) => runHere(name)),
    ]);
    for (const [i, name] of [...names, ...names].entries()) {
      assert.deepEqual(numbers(results[i]!), sequential.get(name), name);
    }
  });

  test('terminating a worker mid-job leaves the process working', () => {
    // In a child process, so that a crash shows up as a failed test rather than a dead runner.
    const script = `
      import { Worker } from 'node:worker_threads';
      import { sgld } from ${JSON.stringify(path.join(here, '..', '..', 'src', 'index.js'))};
      const long = ${JSON.stringify({ ...specs.sgld, sampler: { ...specs.sgld.sampler, steps: 2_000_000 } })};
      for (let round = 0; round < 4; round++) {
        const worker = new Worker(${JSON.stringify(workerFile)}, {
          workerData: { method: 'abandon', spec: long },
        });
        await new Promise((resolve) => worker.once('message', resolve));
        await new Promise((resolve) => setTimeout(resolve, 50 + 50 * round));
        await worker.terminate();
      }
      const r = await sgld(${JSON.stringify(specs.sgld)}, { backend: 'native' });
      console.log(r.testMse);
    `;
    // A file rather than --eval: workers inherit the parent's execArgv, and --input-type is
    // refused in a worker.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-workers-'));
    const file = path.join(dir, 'terminate.mjs');
    fs.writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stderr}`);
    const expected = (sequential.get('sgld') as { testMse: number }).testMse;
    assert.equal(Number(r.stdout.trim()), expected);
  });
});
