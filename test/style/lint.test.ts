/**
 * Formatting and lint are part of the suite: ESLint and Prettier on the TypeScript, clang-format
 * on the C++ (the TypeScript is also compiled in strict mode before any test runs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { packageRoot } from '../../src/binding.js';
import { DEMO_OUT } from '../../src/cli/commands/demo.js';
import { reproduceOut } from '../../src/cli/commands/reproduce.js';

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

test("the main job's outputs are outside what git and the linters read", async () => {
  // Files the default output folders hold; they need not exist to be judged.
  const outputs = [DEMO_OUT, reproduceOut('parity-learning-curve', 'small')].flatMap((dir) =>
    ['records.jsonl', 'report.html', 'figures/test-error.vl.json', 'spec.json'].map((f) =>
      path.join(dir, f),
    ),
  );
  const eslint = new ESLint({ cwd: packageRoot });
  for (const file of outputs) {
    const info = await prettier.getFileInfo(path.join(packageRoot, file), {
      ignorePath: [path.join(packageRoot, '.gitignore'), path.join(packageRoot, '.prettierignore')],
    });
    assert.equal(info.ignored, true, `prettier reads ${file}`);
    assert.equal(
      await eslint.isPathIgnored(path.join(packageRoot, file)),
      true,
      `eslint reads ${file}`,
    );
    const git = spawnSync('git', ['check-ignore', '-q', '--no-index', file], { cwd: packageRoot });
    if (git.error) continue; // no git: installed from a tarball, nothing to commit by mistake
    assert.equal(git.status, 0, `git does not ignore ${file}`);
  }
});
