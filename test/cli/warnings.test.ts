/**
 * Representability warnings in the CLI: `mfl sgld`, `mf` and `nngp` print the warning once on
 * stderr, keep --json stdout one JSON document, and still run; `mfl sweep` prints each distinct
 * warning once before running, naming the points it concerns, and records carry it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readResults } from '../../src/experiments/index.js';
import { tempDir } from '../tasks/tmp.js';
import { runMfl } from './run.js';

const dir = tempDir('mfl-cli-warnings-');

const task = (k: number) => ['--task', 'single-index', '--d', '6', '--k', String(k), '--P', '20'];
const common = ['--P-test', '50', '--N', '8', '--kappa', '0.05', '--seed', '1', '--json'];

const COMMANDS: Record<string, string[]> = {
  sgld: ['--steps', '200'],
  mf: ['--steps', '20', '--particles', '32'],
  nngp: [],
};

/** Representable variants of the He_3 run (the MF solver has no bias, docs/mf.md). */
const FIXED: Record<string, string[][]> = {
  sgld: [[...task(3), '--bias'], [...task(3), '--activation', 'erf'], task(2)],
  mf: [[...task(3), '--activation', 'erf'], task(2)],
  nngp: [[...task(3), '--bias'], [...task(3), '--activation', 'erf'], task(2)],
};

/** Exit status of a run that finished: mf exits 3 when its 20 steps do not converge. */
function finished(command: string, status: number | null): boolean {
  return status === 0 || (command === 'mf' && status === 3);
}

function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('mfl: warning:'));
}

describe('mfl sgld / mf / nngp: representability warning', () => {
  for (const [command, extra] of Object.entries(COMMANDS)) {
    test(`${command}: He_3 with a bias-free relu warns once on stderr and still runs`, () => {
      const r = runMfl([command, ...task(3), ...common, ...extra]);
      assert.ok(finished(command, r.status), r.stderr);
      const lines = warningLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /He_3\(x_1\).*not representable by this network \(relu, no bias\)/);
      assert.match(lines[0]!, /Fix: add a bias/);
      const result = JSON.parse(r.stdout) as { testMse: number; mS: number };
      assert.equal(typeof result.testMse, 'number');
      assert.ok(!r.stdout.includes('warning'), 'stdout carries no warning text');
    });

    test(`${command}: He_3 with a bias or erf, and He_2 with relu, are not warned about`, () => {
      for (const args of FIXED[command]!) {
        const r = runMfl([command, ...args, ...common, ...extra]);
        assert.ok(finished(command, r.status), r.stderr);
        assert.deepEqual(warningLines(r.stderr), []);
      }
    });
  }
});

describe('mfl sweep: distinct warnings once, naming their points', () => {
  test('parity k in {2, 3} for krr: one warning for the k = 3 point, in its record too', () => {
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        name: 'warned',
        base: {
          task: { task: 'parity', d: 6, k: 2, P: 20, PTest: 50 },
          network: { N: 8 },
          kappa: 0.05,
        },
        methods: { krr: {}, eigen: {} },
        grid: { 'task.k': [2, 3], seed: [1, 2, 3] },
      }),
    );
    const out = path.join(dir, 'out');
    const r = runMfl(['sweep', spec, '--out', out, '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    const lines = warningLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /parity target .* order k = 3/);
    // 3 krr points (one per seed) and 1 eigen point (seed-free) have k = 3, of 8 in all.
    assert.match(
      r.stderr,
      /concerns 4 of 8 points: krr k=3 seed=1; krr k=3 seed=2; krr k=3 seed=3; eigen k=3/,
    );
    const records = readResults(out);
    assert.equal(records.length, 8);
    for (const record of records) {
      assert.equal(record.warnings.length, record.params['task.k'] === 3 ? 1 : 0);
    }
    assert.equal(records.find((x) => x.params['task.k'] === 3)!.warnings[0], lines[0]!.slice(14));
  });
});
