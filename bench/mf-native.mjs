#!/usr/bin/env node
// The MF particle step against its GEMMs outside Node (bench/native/mf_step.cpp), at the shapes of
// the MF table of `npm run bench`, one BLAS thread, OPENBLAS_L2_SIZE unset:
//
//   node bench/mf-native.mjs callgrind [P,d,M ...]   instructions (valgrind --tool=callgrind):
//       repeatable on a loaded machine, blind to memory stalls. Built for x86-64-v3 (valgrind
//       runs no AVX-512), OPENBLAS_CORETYPE unset, so OpenBLAS picks its Haswell kernels.
//   node bench/mf-native.mjs time [--rounds=R] [P,d,M ...]   thread CPU time, medians and
//       minima of R interleaved rounds (step, products, kernel GEMM): what the step costs when it
//       runs, whatever the scheduler gives other processes (caches stay shared). Built with
//       -march=native, OPENBLAS_CORETYPE as mfl sets it when unset (src/binding.ts).
//
//   node bench/mf-native.mjs potrf [--rounds=R] [n ...]   LAPACK's dpotrf on either triangle
//       (column-major 'U', which mfl's row-major lower storage calls, and 'L'), thread CPU time,
//       medians; n = 200, 400, 512, 2048 by default (the MF solves and a KRR size).
//
//   --source=DIR   take native/core from DIR (e.g. a `git archive` of another revision)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const mode = args[0];
if (mode !== 'callgrind' && mode !== 'time' && mode !== 'potrf') {
  console.error(
    'usage: node bench/mf-native.mjs callgrind|time|potrf [--rounds=R] [--source=DIR] [P,d,M ...]',
  );
  process.exit(2);
}
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const source = path.resolve(option('source') ?? root);
const rounds = Number(option('rounds') ?? 100);
const shapeArgs = args.slice(1).filter((a) => !a.startsWith('--'));
const shapes = shapeArgs.length
  ? shapeArgs.map((s) => s.split(',').map(Number))
  : mode === 'potrf'
    ? [[200], [400], [512], [2048]]
    : [
        [400, 35, 512],
        [1024, 35, 512],
        [200, 12, 1024],
      ];

const out = path.join(root, 'build', 'mf-native');
fs.mkdirSync(out, { recursive: true });
const sources = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8')).core;
const exe = path.join(out, `mf_step-${mode === 'callgrind' ? 'callgrind' : 'time'}`);
const arch = mode === 'callgrind' ? 'x86-64-v3' : 'native';
// The driver includes the core headers of `source`, so it builds against that revision.
fs.copyFileSync(path.join(root, 'bench', 'native', 'mf_step.cpp'), path.join(out, 'mf_step.cpp'));
const driver = fs
  .readFileSync(path.join(out, 'mf_step.cpp'), 'utf8')
  .replaceAll('"../../native/core/', `"${path.join(source, 'native', 'core')}/`);
fs.writeFileSync(path.join(out, 'mf_step.cpp'), driver);
const compile = spawnSync(
  'g++',
  [
    '-std=c++17',
    '-O3',
    '-g',
    '-ffp-contract=off',
    '-fno-math-errno',
    `-march=${arch}`,
    '-o',
    exe,
    path.join(out, 'mf_step.cpp'),
    ...sources.map((s) => path.join(source, s)),
    '-lopenblas',
    '-lpthread',
  ],
  { stdio: 'inherit' },
);
if (compile.status !== 0) process.exit(compile.status ?? 1);

const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
delete env.OPENBLAS_L2_SIZE;
delete env.OPENBLAS_CORETYPE;
if (mode !== 'callgrind') {
  // As src/binding.ts does for an unset variable: the kernel set named from the CPU flags.
  const { chooseOpenBlasKernels } = await import(path.join(root, 'dist', 'src', 'binding.js'));
  const chosen = chooseOpenBlasKernels({});
  if (chosen) env.OPENBLAS_CORETYPE = chosen;
}

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Instructions executed inside measured() for `what` (step or gemms) at `shape`. */
function instructions(what, shape) {
  const file = path.join(out, `callgrind.${what}.${shape.join('-')}.out`);
  run([
    'valgrind',
    '--tool=callgrind',
    `--callgrind-out-file=${file}`,
    '--toggle-collect=*measured*',
    exe,
    what,
    ...shape.map(String),
  ]);
  const totals = /^(?:summary|totals): (\d+)/m.exec(fs.readFileSync(file, 'utf8'));
  if (!totals) throw new Error(`no totals in ${file}`);
  return Number(totals[1]);
}

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`source: ${source}; 1-minute load average ${load()}`);
if (mode === 'callgrind') {
  console.log('| (P, d, M) | step (Mi / step) | GEMMs + SYRK (Mi / step) | step / GEMMs |');
  console.log('| --- | --- | --- | --- |');
  for (const shape of shapes) {
    // mf_step measures 3 steps (or 3 rounds of the products).
    const step = instructions('step', shape) / 3;
    const gemms = instructions('gemms', shape) / 3;
    const mi = (x) => (x / 1e6).toFixed(2);
    console.log(
      `| (${shape.join(', ')}) | ${mi(step)} | ${mi(gemms)} | ${(step / gemms).toFixed(3)} |`,
    );
  }
  console.log(
    '\nInstructions (callgrind Ir) per step inside the measured region, mean of 3 steps after ' +
      'one unmeasured step; the SYRK is counted as the call it is.',
  );
} else if (mode === 'potrf') {
  console.log(`OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? '(unset)'}; ${rounds} rounds per n`);
  console.log("| n | dpotrf 'U' (ms) | dpotrf 'L' (ms) | 'L' / 'U' |");
  console.log('| --- | --- | --- | --- |');
  for (const [n] of shapes) {
    const r = JSON.parse(run([exe, 'potrf', String(n), String(rounds)]));
    const ratio = (r.lower / r.upper).toFixed(3);
    console.log(`| ${n} | ${r.upper.toFixed(3)} | ${r.lower.toFixed(3)} | ${ratio} |`);
  }
  console.log(
    `\nThread CPU time per factorisation (medians). 1-minute load average after: ${load()}`,
  );
} else {
  console.log(
    `OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? '(unset)'}; ${rounds} rounds per shape`,
  );
  console.log(
    '| (P, d, M) | step (ms, median / min) | GEMMs (ms, median / min) | step / GEMMs (medians) | ' +
      'step / GEMMs (minima) | W X^T + g X (ms) | kernel GEMM (ms) | SYRK as called (ms) | ' +
      'Cholesky (ms) | rest of the step (ms) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const shape of shapes) {
    const r = JSON.parse(run([exe, 'time', ...shape.map(String), String(rounds)]));
    const ms = ([a, b]) => `${a.toFixed(3)} / ${b.toFixed(3)}`;
    console.log(
      `| (${shape.join(', ')}) | ${ms(r.step)} | ${ms(r.gemms)} | ${r.ratio[0].toFixed(3)} | ${r.ratio[1].toFixed(3)} | ${r.products.toFixed(3)} | ${r.kernel.toFixed(3)} | ` +
        `${r.syrk.toFixed(3)} | ${r.potrf.toFixed(3)} | ` +
        `${(r.step[0] - r.products - r.syrk - r.potrf).toFixed(3)} |`,
    );
  }
  console.log(
    `\nThread CPU time per call, medians unless stated; GEMMs = W X^T + g X + half the kernel ` +
      `GEMM (the GEMM of the SYRK's shape; bench/mfStep.ts's definition). Rest of the step = ` +
      `step - W X^T - g X - SYRK - Cholesky (medians): the elementwise passes, the solve, the ` +
      `noise and the update. 1-minute load average after: ${load()}`,
  );
}
