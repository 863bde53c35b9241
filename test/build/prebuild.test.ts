/**
 * The prebuilt addon (scripts/prebuild.mjs): OpenBLAS and the Fortran runtime linked in, so it
 * loads where neither is installed; it computes what the local build computes; and `npm pack`
 * ships it, with dist/, in a package whose install uses it without compiling.
 *
 * The prebuild is built once, into a temporary directory (the checkout is not written to), which
 * takes 22-41 s on 2 cores. Skipped with the reason when the static libraries are missing
 * (libopenblas.a, libgfortran.a), unless CI=true: CI must build it.
 *
 * Where the tests may (root, with unshare), the prebuild also runs in a private mount namespace
 * in which the system's libopenblas, libgfortran and libquadmath are replaced by empty files: the
 * local build cannot load there, so that run proves what ldd says.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chooseOpenBlasKernels, packageRoot } from '../../src/binding.js';

const CI = process.env.CI === 'true';
const BUNDLED = /lib(openblas|gfortran|quadmath)\b/;
const PREBUILD_NAME = path.join('prebuilds', `${process.platform}-${process.arch}`, 'node.napi.glibc.node');
const localBuild = path.join(packageRoot, 'build', 'Release', 'mfl.node');
const childScript = path.join(packageRoot, 'dist', 'test', 'build', 'prebuild-child.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-prebuild-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Why the prebuild cannot be built here, or null once it is built into tmp/prebuilds. */
let unavailable: string | null = 'not built yet';
const prebuilt = path.join(tmp, PREBUILD_NAME);
let buildLog = '';
let buildSummary = '';

before(
  () => {
    if (process.platform !== 'linux') {
      unavailable = 'prebuilds are made on Linux only';
      return;
    }
    if (spawnSync('cmake', ['--version']).status !== 0) {
      if (CI) assert.fail('cmake not found');
      unavailable = 'cmake not found';
      return;
    }
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        path.join(packageRoot, 'scripts', 'prebuild.mjs'),
        '--out',
        path.join(tmp, 'prebuilds'),
        '--build-dir',
        path.join(tmp, 'build'),
      ],
      { cwd: packageRoot, encoding: 'utf8' },
    );
    buildLog = `${r.stdout}\n${r.stderr}`;
    if (r.status === 0) {
      unavailable = null;
      const megabytes = (fs.statSync(prebuilt).size / 1e6).toFixed(1);
      buildSummary = `${megabytes} MB, built in ${((Date.now() - started) / 1000).toFixed(0)} s`;
      return;
    }
    const missing = /MFL_STATIC_BLAS needs \S+|Could NOT find BLAS|Could NOT find LAPACK/.exec(buildLog);
    if (missing && !CI) unavailable = `cannot build the prebuild here: ${missing[0]}`;
    else assert.fail(`scripts/prebuild.mjs failed:\n${buildLog.slice(-4000)}`);
  },
  { timeout: 600_000 },
);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
}

/** Shared objects `file` needs, as ldd lists them. */
function ldd(file: string): string {
  const r = run('ldd', [file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/**
 * The command wrapped so that it runs where the system's libopenblas, libgfortran and
 * libquadmath (as the local build resolves them) are empty files, or null when this process may
 * not make a mount namespace (not root, no unshare, or no local build to read the paths from).
 */
function withoutSystemBlas(command: string[]): string[] | null {
  if (process.getuid?.() !== 0 || !fs.existsSync(localBuild)) return null;
  const libraries = [...ldd(localBuild).matchAll(/=>\s*(\S+)/g)]
    .map((m) => m[1]!)
    .filter((file) => BUNDLED.test(file))
    .map((file) => fs.realpathSync(file));
  if (libraries.length === 0) return null;
  const mounts = libraries.map((file) => `mount --bind /dev/null '${file}'`).join(' && ');
  const prefix = ['unshare', '--mount', 'sh', '-c', `${mounts} && exec "$@"`, 'sh'];
  // The local build must fail to load in there, else nothing was hidden.
  const probe = run(prefix[0]!, [
    ...prefix.slice(1),
    process.execPath,
    '-e',
    `require(${JSON.stringify(localBuild)})`,
  ]);
  return probe.status !== 0 && /too short/.test(probe.stderr) ? [...prefix, ...command] : null;
}

/** The same BLAS kernels for every run: those this CPU supports, or the SSE3 ones. */
const blasEnv = {
  ...process.env,
  OPENBLAS_CORETYPE: chooseOpenBlasKernels({}) ?? 'Prescott',
  OPENBLAS_NUM_THREADS: '1',
};

interface ChildOutput {
  addon: { file: string; source: string };
  info: { blas: { config: string } };
  runs: Record<string, Record<string, string | null>>;
}

function sgldRuns(addon: string, hide: boolean): ChildOutput {
  const command = [process.execPath, childScript];
  const wrapped = hide ? withoutSystemBlas(command) : command;
  assert.ok(wrapped);
  const r = run(wrapped[0]!, wrapped.slice(1), { ...blasEnv, MFL_ADDON: addon });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ChildOutput;
}

test('the prebuild needs no libopenblas, libgfortran or libquadmath', (t) => {
  if (unavailable) return t.skip(unavailable);
  const needs = ldd(prebuilt);
  const names = [...needs.matchAll(/^\s*(\S+)/gm)].map((m) => m[1]);
  t.diagnostic(`${PREBUILD_NAME} needs: ${names.join(' ')} (${buildSummary})`);
  assert.doesNotMatch(needs, BUNDLED);
  assert.doesNotMatch(needs, /not found/);
});

// Bit for bit, although the local build has -march=native and the prebuild does not: both
// compile with -ffp-contract=off and without -ffast-math, so the compiler may vectorise
// elementwise loops but neither fuses nor reorders a sum; the BLAS kernels are the same
// (OPENBLAS_CORETYPE, one thread, OpenBLAS from the same package) and libm is the system's.
test('the prebuild computes the local build’s SGLD runs bit for bit', (t) => {
  if (unavailable) return t.skip(unavailable);
  if (!fs.existsSync(localBuild)) {
    if (CI) assert.fail(`no local build to compare with: ${localBuild}`);
    return t.skip(`no local build to compare with (${localBuild})`);
  }
  const hide = withoutSystemBlas(['true']) !== null;
  t.diagnostic(
    hide
      ? 'the prebuild runs with the system OpenBLAS and Fortran runtime hidden'
      : 'cannot hide the system OpenBLAS here (needs root and unshare): ldd alone vouches for it',
  );
  const local = sgldRuns(localBuild, false);
  const pre = sgldRuns(prebuilt, hide);
  assert.match(pre.info.blas.config, /^OpenBLAS .*\(linked statically\)$/);
  assert.equal(pre.addon.file, prebuilt);
  assert.deepEqual(Object.keys(pre.runs), Object.keys(local.runs));
  for (const [label, arrays] of Object.entries(local.runs)) {
    for (const [key, value] of Object.entries(arrays)) {
      assert.equal(pre.runs[label]![key], value, `${label}: ${key} differs`);
    }
  }
});

/** The package the test below packs, for the bare-machine test after it. */
let tarball: string | null = null;

test('npm pack ships the prebuild and dist/, and installing it compiles nothing', (t) => {
  if (unavailable) return t.skip(unavailable);
  // A copy of the checkout, so that the prebuild can sit in its prebuilds/ for npm pack.
  const copy = path.join(tmp, 'package');
  const skipped = new Set(['node_modules', '.git', 'build', 'build-prebuild', 'prebuilds']);
  fs.cpSync(packageRoot, copy, {
    recursive: true,
    filter: (source) => path.dirname(source) !== packageRoot || !skipped.has(path.basename(source)),
  });
  fs.mkdirSync(path.dirname(path.join(copy, PREBUILD_NAME)), { recursive: true });
  fs.copyFileSync(prebuilt, path.join(copy, PREBUILD_NAME));
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');

  // --ignore-scripts: `prepare` would compile dist/ again, which the copy already holds.
  const packed = spawnSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
    { cwd: copy, encoding: 'utf8' },
  );
  assert.equal(packed.status, 0, packed.stderr);
  const [manifest] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(tmp, manifest!.filename);
  const files = manifest!.files.map((f) => f.path);
  assert.ok(files.includes(PREBUILD_NAME), `${PREBUILD_NAME} not packed`);
  for (const file of ['dist/src/index.js', 'dist/src/cli/main.js', 'bin/mfl.js', 'scripts/install-native.mjs']) {
    assert.ok(files.includes(file), `${file} not packed`);
  }
  assert.ok(!files.some((f) => f.startsWith('build/') || f.startsWith('node_modules/')));

  const unpacked = path.join(tmp, 'unpacked');
  fs.mkdirSync(unpacked);
  const tar = run('tar', ['-xzf', path.join(tmp, manifest!.filename), '-C', unpacked]);
  assert.equal(tar.status, 0, tar.stderr);
  const installed = path.join(unpacked, 'package');
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(installed, 'node_modules'), 'dir');

  const install = spawnSync(process.execPath, ['scripts/install-native.mjs'], {
    cwd: installed,
    encoding: 'utf8',
    env: { ...process.env, MFL_BUILD_FROM_SOURCE: '', npm_config_build_from_source: '' },
  });
  assert.equal(install.status, 0, install.stderr);
  assert.equal(
    install.stderr,
    `mfl: using the prebuilt native addon ${PREBUILD_NAME}; MFL_BUILD_FROM_SOURCE=1 compiles it instead\n`,
  );
  assert.ok(!fs.existsSync(path.join(installed, 'build')), 'install compiled');

  const doctor = [process.execPath, path.join(installed, 'bin', 'mfl.js'), 'doctor', '--json'];
  const wrapped = withoutSystemBlas(doctor) ?? doctor;
  const env = { ...process.env, MFL_ADDON: '', MFL_BACKEND: '' };
  const r = run(wrapped[0]!, wrapped.slice(1), env);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { backend: string; native: { source: string; file: string } };
  assert.equal(report.backend, 'native');
  assert.equal(report.native.source, 'prebuild');
  assert.equal(report.native.file, path.join(installed, PREBUILD_NAME));
});

/** Why the bare-machine test cannot run here, or null. */
function noBareRoot(): string | null {
  if (process.platform !== 'linux') return 'a Debian root is made on Linux only';
  if (process.getuid?.() !== 0) return 'not root (debootstrap, chroot and mount need it)';
  if (run('sh', ['-c', 'command -v debootstrap']).status !== 0) {
    return 'debootstrap not found (apt-get install debootstrap)';
  }
  return null;
}

// scripts/fresh-machine.sh: a minimal Debian 12 with Node and npm only (the first run makes and
// caches it with debootstrap, a few minutes), the package installed as a user would, then
// `mfl doctor` must report the native backend and a short SGLD run must succeed.
test(
  'the packed package on a bare Debian root without a compiler or OpenBLAS runs natively',
  { timeout: 1_200_000 },
  (t) => {
    if (unavailable) return t.skip(unavailable);
    const why = noBareRoot();
    if (why) {
      if (CI) assert.fail(why);
      return t.skip(why);
    }
    assert.ok(tarball, 'the npm pack test did not leave a package');
    // Outside tmp: the root holds bind mounts while it runs, and tmp is removed recursively.
    const root = '/var/tmp/mfl-fresh-tarball-test';
    const r = spawnSync(path.join(packageRoot, 'scripts', 'fresh-machine.sh'), ['tarball', tarball], {
      encoding: 'utf8',
      env: { ...process.env, MFL_FRESH_ROOT: root },
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, output.slice(-6000));
    assert.match(r.stdout, /^backend: +native$/m);
    assert.match(r.stdout, /^addon file: .*node\.napi\.glibc\.node \(prebuild\)$/m);
    assert.match(r.stdout, /^fresh-machine: done: exit 0$/m);
  },
);
