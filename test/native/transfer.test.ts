/**
 * An async native job survives the caller transferring its typed arrays' buffers away mid-job
 * (structuredClone with transfer, postMessage to a worker) and V8 freeing them: the job computes
 * on its own copies, so an input that went away changes nothing (same bits as the sync run), and
 * an in-out array that went away rejects the job with ERR_MFL_INVALID_TYPE naming it, the other
 * arrays left as they were. Each case runs in a child process (transfer-child.ts), since a
 * use-after-free would crash it; under the sanitizer test the child inherits the ASan build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipUnlessNative } from '../helpers/backends.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, '..', 'native', 'transfer-child.js');

const CASES: [kernel: string, which: string, how: string, title: string, outcome: RegExp][] = [
  ['sgld', 'input', 'clone', 'data.X to a clone: same bits as sync', /^resolved$/],
  ['sgld', 'input', 'worker', 'data.X to a worker: same bits as sync', /^resolved$/],
  ['sgld', 'inout', 'clone', 'state.W to a clone: rejects naming it', /^rejected: state\.W: /],
  ['sgld', 'inout', 'worker', 'state.W to a worker: rejects naming it', /^rejected: state\.W: /],
  [
    'sgld',
    'both',
    'clone',
    'data.X and acc.sumQ: rejects naming acc.sumQ',
    /^rejected: acc\.sumQ: /,
  ],
  ['mf', 'input', 'clone', 'data.X to a clone: same bits as sync', /^resolved$/],
  ['mf', 'inout', 'clone', 'state.W to a clone: rejects naming it', /^rejected: state\.W: /],
  [
    'mf',
    'both',
    'worker',
    'data.y and acc.hist: rejects naming acc.hist',
    /^rejected: acc\.hist: /,
  ],
  ['generateTaskRows', 'input', 'clone', 'nothing transferred: same bits as sync', /^resolved$/],
  ['generateTaskRows', 'inout', 'clone', 'X to a clone: rejects naming it', /^rejected: X: /],
  ['generateTaskRows', 'both', 'worker', 'y and X: rejects naming X', /^rejected: X: /],
];

for (const [kernel, which, how, title, outcome] of CASES) {
  test(
    `${kernel}Async, transferred away mid-job and collected: ${title}`,
    { skip: skipUnlessNative() },
    () => {
      const r = spawnSync(process.execPath, ['--expose-gc', child, kernel, which, how], {
        encoding: 'utf8',
        env: { ...process.env },
        timeout: 300_000,
      });
      const output = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.signal, null, `the child died of ${r.signal}:\n${output.slice(-4000)}`);
      assert.equal(r.status, 0, `the child failed:\n${output.slice(-4000)}`);
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcome: string };
      assert.match(result.outcome, outcome);
    },
  );
}
