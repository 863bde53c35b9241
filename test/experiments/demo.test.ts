/**
 * `mfl demo`, the README's main job, end to end on the native backend (a few minutes on 2 cores):
 * the parity learning curve at the paper's width N = 512 runs, its figures and report are written,
 * and the numbers show the paper's claims (findings.ts): SGLD learns (mS > 0.5) at sizes where the
 * NNGP kernel limit does not; plain MF learns within one grid size of SGLD's onset but stays more
 * than 2x above SGLD's test error at the largest P; MF-ARD is within 2x of SGLD at SGLD's onset;
 * MF-ARD is nearer SGLD than plain MF where SGLD has learned (fixed seeds; measured margins in the
 * README's table).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runMfl } from '../cli/run.js';
import { skipUnlessNative } from '../helpers/backends.js';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-demo-test-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

// On the TypeScript backend the demo takes over ten minutes: this test needs the native one.
test(
  'mfl demo: learning curve, figures, report and the claims it shows',
  {
    skip: skipUnlessNative(),
  },
  () => {
    const r = runMfl(['demo', '--out', out, '--json'], {}, 15 * 60_000);
    assert.equal(r.status, 0, r.stderr);
    const demo = JSON.parse(r.stdout) as {
      records: number;
      points: number;
      report: string;
      figures: { name: string; files?: { png: string; svg: string; spec: string } }[];
      findings: { claim: string; holds: boolean; detail: string }[];
    };
    assert.equal(demo.records, demo.points);
    assert.ok(fs.statSync(demo.report).size > 10_000);
    assert.deepEqual(
      demo.figures.map((f) => f.name),
      ['test-error', 'order-parameter', 'ratio-to-sgld'],
    );
    for (const f of demo.figures) {
      assert.ok(f.files, `${f.name} drawn`);
      assert.deepEqual([...fs.readFileSync(f.files.png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    }
    assert.equal(demo.findings.length, 4);
    for (const f of demo.findings) assert.ok(f.holds, `${f.claim}: ${f.detail}`);

    // The human form: a table per observable and the claims, with the same numbers.
    const again = runMfl(['demo', '--out', out]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^ +P +SGLD +MF-ARD +MF +NNGP \(KRR\)$/m);
    assert.match(again.stdout, /^ {2}\[yes\] The kernel limit misses feature learning/m);
    assert.match(
      again.stdout,
      /^mean-field ceiling on mS at this width, N c\^2 \/ \(1 \+ N c\^2\): 0\.941 /m,
    );
    assert.match(again.stdout, /^report: .*report\.html$/m);
  },
);
