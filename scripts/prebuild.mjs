#!/usr/bin/env node
// Builds the self-contained prebuilt addon that `npm pack` ships in prebuilds/: OpenBLAS and its
// Fortran runtime linked statically (MFL_STATIC_BLAS), no -march=native (MFL_NATIVE_ARCH=OFF), so
// it runs on any x86-64 Linux with glibc and needs neither a compiler nor a BLAS there.
// node-gyp-build loads it when there is no local build in build/Release.
//
//   node scripts/prebuild.mjs [--out DIR] [--build-dir DIR]
//
// --out (default prebuilds/): the addon goes to DIR/<platform>-<arch>/node.napi.glibc.node, the
// name node-gyp-build looks for (N-API, any Node >= the napi_versions in package.json; glibc so
// that a musl system falls back instead of failing to load it).
// --build-dir (default build-prebuild/): the CMake build tree, apart from build/ so that the local
// build in build/Release stays as it is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Shared objects a prebuild must not need: they are linked in. */
const BUNDLED_LIBRARIES = /lib(openblas|gfortran|quadmath|blas|lapack)\b/;

function fail(message) {
  process.stderr.write(`prebuild: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, 'prebuilds') },
    'build-dir': { type: 'string', default: path.join(root, 'build-prebuild') },
  },
});
const outDir = path.resolve(values.out);
const buildDir = path.resolve(values['build-dir']);

if (process.platform !== 'linux') fail('prebuilds are made on Linux only (static OpenBLAS, ELF)');
if (!process.report.getReport().header.glibcVersionRuntime) fail('prebuilds need glibc');

const started = Date.now();
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const build = spawnSync(
  process.execPath,
  [
    cmakeJs,
    'compile',
    '--out',
    buildDir,
    '--CDMFL_STATIC_BLAS=ON',
    '--CDMFL_NATIVE_ARCH=OFF',
    '--log-level',
    'warn',
  ],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);
if (build.error) fail(`could not run cmake-js: ${build.error.message}`);
if (build.status !== 0) fail(`cmake-js failed (exit ${build.status})`);
const built = path.join(buildDir, 'Release', 'mfl.node');
if (!fs.existsSync(built)) fail(`cmake-js left no ${built}`);

const ldd = spawnSync('ldd', [built], { encoding: 'utf8' });
if (ldd.status !== 0) fail(`ldd ${built} failed: ${ldd.stderr.trim()}`);
const leftover = ldd.stdout.split('\n').filter((line) => BUNDLED_LIBRARIES.test(line));
if (leftover.length > 0) fail(`the addon still needs:\n${leftover.join('\n')}`);

const load = spawnSync(
  process.execPath,
  ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(built)}).info()))`],
  { encoding: 'utf8' },
);
if (load.status !== 0) fail(`the addon does not load: ${load.stderr.trim().split('\n')[0]}`);
const info = JSON.parse(load.stdout);

const target = path.join(outDir, `${process.platform}-${process.arch}`, 'node.napi.glibc.node');
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(built, target);
const megabytes = (fs.statSync(target).size / 1e6).toFixed(1);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
process.stdout.write(
  `prebuild: ${path.relative(process.cwd(), target) || target} (${megabytes} MB, ${seconds} s): ` +
    `${info.blasConfig}; ${info.lapack}\n`,
);
