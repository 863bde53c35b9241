/**
 * scripts/kappa-c.mjs runs end to end on a tiny case and reports, per method, one kappa_c per d
 * (or the bracket where none was found), the slope, and every solve it made.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/binding.js';

test('kappa-c.mjs: tiny case, JSON report', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(packageRoot, 'scripts', 'kappa-c.mjs'),
      ...['--d', '4,6', '--k', '2', '--P', '30', '--P-test', '50', '--N', '16'],
      ...['--particles', '16', '--steps', '40', '--bisections', '1', '--kappa-lo', '0.01'],
      ...['--init', 'aligned', '--json'],
    ],
    { cwd: packageRoot, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    methods: Record<string, { rows: { d: number; kappaC: number | null }[]; slope: number | null }>;
    solves: { method: string; d: number; kappa: number; mS: number }[];
  };
  assert.deepEqual(Object.keys(report.methods), ['mf', 'mf-ard']);
  for (const { rows, slope } of Object.values(report.methods)) {
    assert.deepEqual(
      rows.map((row) => row.d),
      [4, 6],
    );
    const found = rows.filter((row) => row.kappaC !== null);
    assert.equal(slope === null, found.length < 2);
    for (const row of found) assert.ok(row.kappaC! >= 0.01 && row.kappaC! <= 10);
  }
  assert.ok(report.solves.length >= 4);
  assert.ok(report.solves.every((s) => Number.isFinite(s.mS)));
});
