/**
 * Installing without a way to build the addon still succeeds, says why in one line, and the
 * library then runs on the pure-TypeScript backend.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/binding.js';

test('install without cmake succeeds with one explanatory line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-install-'));
  try {
    for (const entry of ['scripts', 'package.json']) {
      fs.cpSync(path.join(packageRoot, entry), path.join(dir, entry), { recursive: true });
    }
    const r = spawnSync(process.execPath, ['scripts/install-native.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: path.join(dir, 'no-such-bin') },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^mfl: native addon not built \(cmake not found\); using the pure-TypeScript backend/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without a loadable addon the library falls back to js', () => {
  const script = `
    import { getBackend, nativeUnavailableReason } from './dist/src/backend/index.js';
    console.log(JSON.stringify({ name: getBackend().name, reason: nativeUnavailableReason() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, MFL_ADDON: '/nonexistent/mfl.node', MFL_BACKEND: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { name: string; reason: string };
  assert.equal(out.name, 'js');
  assert.match(out.reason, /Cannot find module/);
});
