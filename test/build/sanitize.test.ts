/**
 * The native boundary under AddressSanitizer and UndefinedBehaviorSanitizer: cmake-js builds the
 * addon with -DMFL_SANITIZE=ON into a temporary folder, and the backend tests (every native
 * kernel, its argument checks and error paths, async jobs and cancellation, compared with the
 * TypeScript twins) run against that build in a child Node with the ASan runtime preloaded. Any
 * sanitizer report fails the run (UBSan is built not to recover).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadNative, packageRoot } from '../../src/binding.js';

/** The compiler's ASan runtime, or null when it has none (gcc prints the bare name then). */
function asanRuntime(): string | null {
  const r = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const file = r.status === 0 ? r.stdout.trim() : '';
  return path.isAbsolute(file) && fs.existsSync(file) ? file : null;
}

function buildSanitized(out: string): { ok: boolean; log: string } {
  const cmakeJs = path.join(packageRoot, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const r = spawnSync(
    process.execPath,
    [cmakeJs, 'compile', '--out', out, '--CDMFL_SANITIZE=ON', '--CDMFL_NATIVE_ARCH=OFF'],
    { cwd: packageRoot, encoding: 'utf8' },
  );
  return { ok: r.status === 0, log: `${r.stdout}\n${r.stderr}` };
}

test('backend tests pass on an ASan + UBSan build of the addon', { timeout: 1_200_000 }, (t) => {
  if (!loadNative().addon) {
    t.skip(`no native toolchain here (the regular build failed): ${loadNative().error}`);
    return;
  }
  const runtime = asanRuntime();
  assert.ok(runtime, 'gcc has no libasan.so: install the compiler sanitizer runtime (libasan)');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-asan-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const build = buildSanitized(out);
  assert.ok(build.ok, `sanitized build failed:\n${build.log.slice(-4000)}`);
  const addon = path.join(out, 'Release', 'mfl.node');
  assert.ok(fs.readFileSync(addon).includes('__asan_init'), 'the build is not instrumented');

  // Without NODE_TEST_CONTEXT the child runner prints its own TAP report instead of reporting
  // to this one.
  const parentEnv = { ...process.env };
  delete parentEnv.NODE_TEST_CONTEXT;
  const env = {
    ...parentEnv,
    MFL_ADDON: addon,
    MFL_BACKEND: '',
    LD_PRELOAD: runtime,
    // Node's own allocations are not ours to report; every real error aborts the child.
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  };
  // The sanitized addon must load in the child, or the backend tests would quietly run js only.
  const probe = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { loadNative } from ${JSON.stringify(path.join(packageRoot, 'dist', 'src', 'binding.js'))};
       const { addon, error } = loadNative();
       if (!addon) { console.error(error); process.exit(3); }`,
    ],
    { env, encoding: 'utf8' },
  );
  assert.equal(probe.status, 0, `the sanitized addon does not load: ${probe.stderr}`);

  const dir = path.join(packageRoot, 'dist', 'test', 'backend');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join(dir, f));
  const r = spawnSync(process.execPath, ['--test', ...files], {
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const output = `${r.stdout}\n${r.stderr}`;
  assert.doesNotMatch(output, /ERROR: AddressSanitizer|runtime error:/);
  assert.equal(r.status, 0, `backend tests failed under the sanitizers:\n${output.slice(-6000)}`);
  assert.match(r.stdout, /^# fail 0$/m);
  assert.match(r.stdout, /^# pass [1-9]\d{2,}$/m, 'fewer than 100 backend tests ran');
  assert.match(r.stdout, /^# skipped 0$/m);
});
