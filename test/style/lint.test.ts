/**
 * Formatting and lint are part of the suite: ESLint and Prettier on the TypeScript, clang-format
 * on the C++ (the TypeScript is also compiled in strict mode before any test runs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/binding.js';

function runTool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, args, { cwd: packageRoot, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`.trim() };
}

const bin = (pkg: string, file: string): string =>
  path.join(packageRoot, 'node_modules', pkg, file);

test('eslint reports no problems', { timeout: 120_000 }, () => {
  const r = runTool([bin('eslint', 'bin/eslint.js'), '.']);
  assert.equal(r.status, 0, r.output);
});

test('prettier formatting is applied', { timeout: 120_000 }, () => {
  const r = runTool([bin('prettier', 'bin/prettier.cjs'), '--check', '.']);
  assert.equal(r.status, 0, r.output);
});

test('clang-format formatting is applied to native/', { timeout: 120_000 }, (t) => {
  const probe = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    t.skip('clang-format is not installed (CI installs it)');
    return;
  }
  const r = runTool([path.join(packageRoot, 'scripts', 'clang-format.mjs'), '--check']);
  assert.equal(r.status, 0, r.output);
});
