#!/usr/bin/env node
// `npm run setup`: everything a fresh clone needs, then the package itself. Installs the system
// packages mfl builds and checks itself with (a C++ compiler, cmake, pkg-config, OpenBLAS with
// LAPACK, a font for the figures' text; Chromium, clang-format and gfortran's static runtime for
// the test suite) through the system's package manager when it may (root or password-less sudo
// with apt-get; Homebrew on macOS), or prints the exact command when it may not; then installs the
// npm dependencies from the lock file, which builds the native addon, and says which backend mfl
// will use.
//
//   node scripts/setup.mjs            install what is missing, then `npm ci`
//   node scripts/setup.mjs --print    only print what is missing and the command that installs it
//
// Only node's own modules here: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const printOnly = process.argv.includes('--print');

function say(line) {
  process.stdout.write(`setup: ${line}\n`);
}

function run(cmd, args, options = {}) {
  say(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

function succeeds(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** ID and ID_LIKE of /etc/os-release, lower case. */
function osRelease() {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    const field = (k) =>
      (new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '').toLowerCase();
    return { id: field('ID'), like: field('ID_LIKE').split(/\s+/) };
  } catch {
    return { id: '', like: [] };
  }
}

/**
 * Debian's and Ubuntu's package names: what the native build needs, a font for the figures, and
 * the tools the test suite checks with. Ubuntu ships Chromium only as a snap, which apt-get
 * cannot install into a container; there the report's browser test needs MFL_CHROMIUM.
 */
function aptPackages(distro) {
  const build = ['g++', 'make', 'cmake', 'pkg-config', 'libopenblas-dev'];
  const figures = ['fonts-dejavu-core'];
  // gfortran brings the static libgfortran the self-contained prebuild links (its test builds one).
  const checks = ['clang-format', 'gfortran', ...(distro.id === 'ubuntu' ? [] : ['chromium'])];
  return [...build, ...figures, ...checks];
}

function aptInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs the missing Debian/Ubuntu packages; returns false when it may not (told how). */
function setUpApt(distro) {
  const missing = aptPackages(distro).filter((p) => !aptInstalled(p));
  if (distro.id === 'ubuntu' && !fs.existsSync('/usr/bin/chromium')) {
    say('Ubuntu ships Chromium as a snap: for the report tests, `snap install chromium` and');
    say('  export MFL_CHROMIUM=/snap/bin/chromium');
  }
  if (missing.length === 0) {
    say('system packages: all present');
    return true;
  }
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  say(`system packages missing: ${missing.join(' ')}`);
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && succeeds('sudo', ['-n', 'true']);
  if (printOnly || (!isRoot && !sudo)) {
    say(`install them with (as root, or with sudo before each apt-get):\n  ${command}`);
    return false;
  }
  // dpkg prints a line per package set up (a thousand for Chromium): they go to a log, shown
  // only when apt-get fails. sudo resets the environment: the variable goes on its command line.
  const log = path.join(os.tmpdir(), 'mfl-setup-apt.log');
  fs.writeFileSync(log, '');
  const apt = (args) => {
    const out = fs.openSync(log, 'a');
    try {
      const options = { stdio: ['ignore', out, out] };
      return sudo
        ? run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], options)
        : run('apt-get', args, {
            ...options,
            env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
          });
    } finally {
      fs.closeSync(out);
    }
  };
  const failed = (what) => {
    const tail = fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    return new Error(`${what} failed (log: ${log}):\n${tail}`);
  };
  if (apt(['update', '-qq']) !== 0) throw failed('apt-get update');
  if (apt(['install', '-y', '-qq', ...missing]) !== 0) throw failed('apt-get install');
  say(`installed ${missing.join(' ')} (log: ${log})`);
  return true;
}

/** Installs OpenBLAS, cmake and pkg-config with Homebrew (the compiler comes with Xcode's tools). */
function setUpBrew() {
  const wanted = ['openblas', 'cmake', 'pkg-config'];
  if (!succeeds('brew', ['--version'])) {
    say(`Homebrew not found: install it, then brew install ${wanted.join(' ')}`);
    return false;
  }
  const missing = wanted.filter((p) => !succeeds('brew', ['list', '--versions', p]));
  if (missing.length === 0) {
    say('Homebrew packages: all present');
    return true;
  }
  if (printOnly) {
    say(`install them with:\n  brew install ${missing.join(' ')}`);
    return false;
  }
  if (run('brew', ['install', ...missing]) !== 0) throw new Error('brew install failed');
  return true;
}

/** Homebrew's OpenBLAS is keg-only: CMake finds it through CMAKE_PREFIX_PATH. */
function pointCMakeAtBrewOpenBlas() {
  const r = spawnSync('brew', ['--prefix', 'openblas'], { encoding: 'utf8' });
  if (r.status !== 0) return;
  const prefix = r.stdout.trim();
  const paths = [prefix, process.env.CMAKE_PREFIX_PATH].filter(Boolean);
  process.env.CMAKE_PREFIX_PATH = paths.join(path.delimiter);
  say(`CMAKE_PREFIX_PATH=${process.env.CMAKE_PREFIX_PATH} for the build`);
}

function setUpSystem() {
  if (process.platform === 'darwin') {
    const ready = setUpBrew();
    pointCMakeAtBrewOpenBlas();
    return ready;
  }
  const distro = osRelease();
  if (process.platform === 'linux' && succeeds('dpkg-query', ['--version']))
    return setUpApt(distro);
  say(
    `no package manager this script knows on ${os.type()} ${distro.id}: install a C++17 compiler, ` +
      'cmake, pkg-config and OpenBLAS (or another BLAS with LAPACK); with conda: ' +
      'conda install -c conda-forge openblas cmake pkg-config cxx-compiler',
  );
  return false;
}

/** Which backend mfl will use, and why, in one line. */
function reportBackend() {
  const addon = path.join(root, 'build', 'Release', 'mfl.node');
  const probe = spawnSync(
    process.execPath,
    ['-e', `const i = require(${JSON.stringify(addon)}).info(); console.log(i.blasVendor)`],
    { encoding: 'utf8' },
  );
  if (probe.status === 0) {
    say(`native backend built (${probe.stdout.trim()}): build/Release/mfl.node`);
    return;
  }
  say(
    'the native addon was not built: mfl runs on the TypeScript backend, 15-30x slower. ' +
      'Why: build/native-build.log; after installing what is missing, run `npm run setup` again.',
  );
}

function main() {
  let systemReady;
  try {
    systemReady = setUpSystem();
  } catch (error) {
    say(`${error.message}`);
    return 1;
  }
  if (printOnly) return 0;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const lock = fs.existsSync(path.join(root, 'package-lock.json'));
  const status = run(npm, [lock ? 'ci' : 'install', '--no-audit', '--no-fund']);
  if (status !== 0) return status;
  reportBackend();
  if (!systemReady) say('some system packages are still missing (see above)');
  return 0;
}

process.exit(main());
