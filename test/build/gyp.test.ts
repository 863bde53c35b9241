/**
 * The alternative build path: node-gyp builds the same sources (native/sources.json) from
 * binding.gyp, and the result computes the same numbers as the cmake-js build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadNative, packageRoot, type NativeAddon } from '../../src/binding.js';

function buildWithGyp(): { dir: string; log: string; ok: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-gyp-'));
  for (const entry of ['binding.gyp', 'package.json', 'native']) {
    fs.cpSync(path.join(packageRoot, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const gyp = path.join(packageRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // Build against the running Node's own headers (npm passes npm_config_nodedir; a bare
  // `node --test` does not), so nothing is downloaded.
  const nodedir = process.env.npm_config_nodedir ?? path.resolve(path.dirname(process.execPath), '..');
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs', '2', `--nodedir=${nodedir}`], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { dir, log: `${r.stdout}\n${r.stderr}`, ok: r.status === 0 };
}

test('node-gyp builds the same addon from binding.gyp', { timeout: 600_000 }, (t) => {
  const cmakeBuild = loadNative().addon;
  if (!cmakeBuild) {
    t.skip(`no cmake-js build to compare with: ${loadNative().error}`);
    return;
  }
  const { dir, log, ok } = buildWithGyp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.ok(ok, `node-gyp rebuild failed:\n${log.slice(-4000)}`);
  const require = createRequire(import.meta.url);
  const gypBuild = require(path.join(dir, 'build', 'Release', 'mfl.node')) as NativeAddon;

  assert.equal(gypBuild.info().buildSystem, 'node-gyp');
  assert.equal(cmakeBuild.info().buildSystem, 'cmake-js');
  assert.equal(gypBuild.info().version, cmakeBuild.info().version);

  const g1 = new Float64Array(1001);
  const g2 = new Float64Array(1001);
  cmakeBuild.fillGaussian(7, 11, 13, g1);
  gypBuild.fillGaussian(7, 11, 13, g2);
  assert.deepEqual(g2, g1);

  const task = { kind: 'single-index', d: 6, k: 3, labelNoise: 0.2, seed: 5, test: true, rowOffset: 9 } as const;
  const rows = (addon: NativeAddon): [Float64Array, Float64Array] => {
    const X = new Float64Array(50 * 6);
    const y = new Float64Array(50);
    addon.generateTaskRows(task, X, y);
    return [X, y];
  };
  assert.deepEqual(rows(gypBuild), rows(cmakeBuild));

  const shape = { P: 50, d: 6, N: 7, gamma: 0.75, activation: 'tanh', bias: true } as const;
  const [X, y] = rows(cmakeBuild);
  const W = g1.subarray(0, 42);
  const a = g1.subarray(42, 49);
  const b = g1.subarray(49, 56);
  const grad = (addon: NativeAddon): number[] => {
    const f = new Float64Array(50);
    const gW = new Float64Array(42);
    const ga = new Float64Array(7);
    const gb = new Float64Array(7);
    const E = addon.lossGradient(shape, X, y, W, a, b, f, gW, ga, gb);
    return [E, ...f, ...gW, ...ga, ...gb];
  };
  const ref = grad(cmakeBuild);
  const got = grad(gypBuild);
  const scale = Math.max(...ref.map(Math.abs));
  const maxDiff = Math.max(...ref.map((r, i) => Math.abs(r - got[i]!)));
  assert.ok(maxDiff <= 1e-12 * scale, `max |gyp - cmake| = ${maxDiff} (scale ${scale})`);
});
