/**
 * Worker-thread side of test/native/concurrency.test.ts: runs one method through the public API
 * in this thread's own Node environment (its own instance of the addon) and posts the result's
 * numbers back. With `abandon`, starts a long native job and never waits for it, so the thread
 * can be terminated while the job runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { meanField, nngp, sgld } from '../../src/index.js';

interface Job {
  method: 'sgld' | 'mf' | 'nngp' | 'abandon';
  spec: unknown;
}

const job = workerData as Job;
const run = {
  sgld: (spec: unknown) => sgld(spec as Parameters<typeof sgld>[0], { backend: 'native' }),
  mf: (spec: unknown) => meanField(spec as Parameters<typeof meanField>[0], { backend: 'native' }),
  nngp: (spec: unknown) => nngp(spec as Parameters<typeof nngp>[0], { backend: 'native' }),
};

if (job.method === 'abandon') {
  void sgld(job.spec as Parameters<typeof sgld>[0], { backend: 'native' }).catch(() => {});
  parentPort!.postMessage('started');
} else {
  const result = await run[job.method](job.spec);
  parentPort!.postMessage(JSON.stringify(result));
}
