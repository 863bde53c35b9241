#!/usr/bin/env node
// Installs the native addon. A package with a prebuilt addon for this platform (prebuilds/, see
// scripts/prebuild.mjs) uses it when it loads, and compiles nothing; MFL_BUILD_FROM_SOURCE=1 (or
// npm's --build-from-source) compiles anyway. Otherwise cmake-js builds it. If it cannot be built
// (no compiler, no cmake, no BLAS/LAPACK), installation still succeeds: one line says why, and mfl
// runs on the prebuild if there is one, else on the pure-TypeScript backend. The full build log is
// kept in build/native-build.log.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logPath = path.join(root, 'build', 'native-build.log');
const localBuild = path.join(root, 'build', 'Release', 'mfl.node');

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

function buildFromSource() {
  const flag = process.env.npm_config_build_from_source;
  // A git checkout is where the addon is developed: it is compiled for this CPU, and a prebuild
  // left in it by `npm run build:prebuild` does not replace the build being worked on.
  const checkout = fs.existsSync(path.join(root, '.git'));
  return checkout || process.env.MFL_BUILD_FROM_SOURCE === '1' || flag === 'true' || flag === 'mfl';
}

/** The prebuilt addon node-gyp-build would load for this platform, if it loads; else null. */
function loadablePrebuild() {
  // PREBUILDS_ONLY: node-gyp-build would otherwise prefer a local build in build/Release.
  const probe = `const file = require('node-gyp-build').resolve(${JSON.stringify(root)});
    require(file).info();
    process.stdout.write(file);`;
  const run = spawnSync(process.execPath, ['-e', probe], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PREBUILDS_ONLY: '1' },
  });
  return run.status === 0 && run.stdout ? path.relative(root, run.stdout) : null;
}

function build() {
  if (process.env.MFL_SKIP_NATIVE === '1') return 'MFL_SKIP_NATIVE=1';
  if (!hasCommand('cmake')) return 'cmake not found';
  // Installed as a dependency, cmake-js is usually hoisted beside mfl, not inside it.
  let cmakeJs;
  try {
    cmakeJs = createRequire(path.join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
  } catch {
    return 'cmake-js is not installed';
  }
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
    ['-e', `require(${JSON.stringify(localBuild)}).info()`],
    {
      encoding: 'utf8',
    },
  );
  if (load.status !== 0)
    return `built addon does not load: ${(load.stderr ?? '').trim().split('\n')[0]}`;
  return null;
}

// Why there is no addon, for `mfl doctor` and the backend's messages (src/binding.ts) to report
// instead of node-gyp-build's "No native build was found"; gone once an addon is in place.
const status = path.join(root, 'build', 'native-build.json');
fs.rmSync(status, { force: true });

const forced = buildFromSource();
const prebuild = forced ? null : loadablePrebuild();
if (prebuild) {
  // node-gyp-build prefers build/Release: an addon left there by an earlier build would shadow
  // the prebuild (and may not match newer TypeScript).
  fs.rmSync(localBuild, { force: true });
  say(`using the prebuilt native addon ${prebuild}; MFL_BUILD_FROM_SOURCE=1 compiles it instead`);
} else {
  const failure = build();
  if (failure) {
    // A stale addon from an earlier build must not be loaded against newer TypeScript.
    fs.rmSync(localBuild, { force: true });
    fs.mkdirSync(path.dirname(status), { recursive: true });
    fs.writeFileSync(
      status,
      `${JSON.stringify({ built: false, reason: failure, log: logPath })}\n`,
    );
    const fallback = forced ? loadablePrebuild() : null;
    const using = fallback ? `the prebuilt addon ${fallback}` : 'the pure-TypeScript backend';
    say(`native addon not built (${failure}); using ${using}. Log: ${logPath}`);
  } else if (process.env.MFL_VERBOSE_INSTALL === '1') {
    say('native addon built (build/Release/mfl.node)');
  }
}
