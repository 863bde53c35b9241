/**
 * Without the native addon mfl still runs, on the TypeScript backend, and says so: once, before
 * the long work, with the reason and the one command that fixes it. `mfl doctor` gives the cause
 * that `npm install` recorded rather than the loader's generic message.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { missingAddonReason } from '../../src/binding.js';
import { nativeFixCommand } from '../../src/cli/fallback.js';
import { runMfl } from './run.js';

/** The addon fails to load, as on an installation where it could not be built. */
const NO_ADDON = {
  MFL_ADDON: path.join(os.tmpdir(), 'mfl-no-such-addon', 'mfl.node'),
  MFL_BACKEND: '',
};
const SHORT_SGLD = ['sgld', '--task', 'parity', '--d', '6', '--k', '2', '--P', '20'];
const SHORT_SGLD_REST = ['--N', '8', '--kappa', '0.05', '--steps', '40', '--seed', '1', '--json'];

test('a long command without the addon says once that it runs on TypeScript, why, and the fix', () => {
  const r = runMfl([...SHORT_SGLD, ...SHORT_SGLD_REST], NO_ADDON);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, 'js');
  const notices = r.stderr
    .split('\n')
    .filter((l) => l.includes('running on the TypeScript backend'));
  assert.equal(notices.length, 1, r.stderr);
  assert.match(notices[0]!, /native addon is unavailable \(Cannot find module .*mfl-no-such-addon/);
  assert.match(r.stderr, /15-30x slower/);
  assert.ok(r.stderr.includes(`to fix it: ${nativeFixCommand()}`), r.stderr);
});

test('asking for the js backend is not a fallback: no notice', () => {
  const r = runMfl([...SHORT_SGLD, ...SHORT_SGLD_REST], { ...NO_ADDON, MFL_BACKEND: 'js' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /TypeScript backend/);
});

test('with the addon loaded there is no notice', (t) => {
  const r = runMfl([...SHORT_SGLD, ...SHORT_SGLD_REST]);
  assert.equal(r.status, 0, r.stderr);
  if (JSON.parse(r.stdout).backend !== 'native') {
    t.skip('the native addon is not built here: the case above is this installation');
    return;
  }
  assert.doesNotMatch(r.stderr, /TypeScript backend/);
});

test('mfl doctor without the addon names the cause and the fix', () => {
  const r = runMfl(['doctor', '--json'], NO_ADDON);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    backend: string;
    native: { reason: string };
    hints: string[];
  };
  assert.equal(report.backend, 'js');
  assert.match(report.native.reason, /mfl-no-such-addon/);
  assert.ok(
    report.hints.some((h) => h.endsWith(nativeFixCommand())),
    report.hints.join('\n'),
  );
});

test("the loader's 'No native build was found' becomes what npm install recorded", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-reason-'));
  const loader = 'No native build was found for platform=linux arch=x64 runtime=node abi=115';
  assert.match(
    missingAddonReason(loader, root),
    /^no native build was found \(npm install builds it/,
  );
  fs.mkdirSync(path.join(root, 'build'));
  const status = {
    built: false,
    reason: 'BLAS/LAPACK not found (Debian/Ubuntu: apt-get install libopenblas-dev; see README)',
    log: path.join(root, 'build', 'native-build.log'),
  };
  fs.writeFileSync(path.join(root, 'build', 'native-build.json'), JSON.stringify(status));
  assert.equal(
    missingAddonReason(loader, root),
    `not built when mfl was installed: ${status.reason}; see ${status.log}`,
  );
  // Any other loader error (a broken build, a missing library) is already the cause.
  const other = 'libopenblas.so.0: cannot open shared object file: No such file or directory';
  assert.equal(missingAddonReason(other, root), other);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the fix is `npm run setup` in a checkout, the system packages and a rebuild elsewhere', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-fix-'));
  assert.match(nativeFixCommand(root), /apt-get install libopenblas-dev .* then npm rebuild mfl$/);
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.writeFileSync(path.join(root, 'scripts', 'setup.mjs'), '');
  assert.equal(nativeFixCommand(root), 'npm run setup');
  fs.rmSync(root, { recursive: true, force: true });
});
