#!/usr/bin/env node
// Builds the native addon with cmake-js at install time. If it cannot be built (no compiler,
// no cmake, no BLAS/LAPACK), installation still succeeds: one line says why, and mfl runs on the
// pure-TypeScript backend. The full build log is kept in build/native-build.log.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logPath = path.join(root, 'build', 'native-build.log');

function say(line) {
  process.stderr.write(`mfl: ${line}\n`);
}

function hasCommand(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The first recognisable cause in a failed build log, in words a user can act on. */
function diagnose(log) {
  if (/Could NOT find BLAS|BLAS.*not found|Could NOT find LAPACK|no BLAS/i.test(log)) {
    return 'BLAS/LAPACK not found (Debian/Ubuntu: apt-get install libopenblas-dev; see README)';
  }
  if (/No CMAKE_CXX_COMPILER could be found|CMAKE_CXX_COMPILER.*not/i.test(log)) {
    return 'no C++ compiler found';
  }
  const errorLine = log.split('\n').find((l) => /error/i.test(l));
  return errorLine ? `build failed: ${errorLine.trim().slice(0, 160)}` : 'build failed';
}

function build() {
  if (process.env.MFL_SKIP_NATIVE === '1') return 'MFL_SKIP_NATIVE=1';
  if (!hasCommand('cmake')) return 'cmake not found';
  const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  if (!fs.existsSync(cmakeJs)) return 'cmake-js is not installed';
  fs.mkdirSync(path.dirname(logPath), { recursive: true });
  const run = spawnSync(process.execPath, [cmakeJs, 'compile', '--log-level', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.writeFileSync(logPath, `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.error) return `could not run cmake-js: ${run.error.message}`;
  if (run.status !== 0) return diagnose(`${run.stdout}\n${run.stderr}`);
  const load = spawnSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(path.join(root, 'build', 'Release', 'mfl.node'))}).info()`],
    { encoding: 'utf8' },
  );
  if (load.status !== 0)
    return `built addon does not load: ${(load.stderr ?? '').trim().split('\n')[0]}`;
  return null;
}

const failure = build();
// Why there is no addon, for `mfl doctor` and the backend's messages (src/binding.ts) to report
// instead of node-gyp-build's "No native build was found".
fs.mkdirSync(path.dirname(logPath), { recursive: true });
fs.writeFileSync(
  path.join(root, 'build', 'native-build.json'),
  `${JSON.stringify({ built: !failure, reason: failure, log: logPath })}\n`,
);
if (failure) {
  // A stale addon from an earlier build must not be loaded against newer TypeScript.
  fs.rmSync(path.join(root, 'build', 'Release', 'mfl.node'), { force: true });
  say(`native addon not built (${failure}); using the pure-TypeScript backend. Log: ${logPath}`);
} else if (process.env.MFL_VERBOSE_INSTALL === '1') {
  say('native addon built (build/Release/mfl.node)');
}
