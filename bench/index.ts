/**
 * `npm run bench`: prints markdown tables of the benchmarks. Run through scripts/bench.mjs, which
 * pins BLAS to one thread and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so figures describe
 * what a user gets on this machine: OpenBLAS's own kernel choice, or the one mfl makes for it
 * when loading (src/binding.ts; MFL_OPENBLAS_CORETYPE=keep opts out).
 *
 *   npm run bench               the full set (about 10 minutes on a 2-core machine)
 *   npm run bench -- --quick    a reduced set (smaller shapes and runs, shorter measurements;
 *                               under 2 minutes) to check that every benchmark runs
 *
 *   npm run bench -- --sgld-threads   only the SGLD chains-on-threads table
 *   npm run bench -- --mf             only the MF particle step tables (with their GEMM rates;
 *                                     the step on 1 and 2 threads); --repeat=R prints them R
 *                                     times, measured afresh
 *   npm run bench -- --projection     only the paper-scale projection (CLI slices extrapolated;
 *                                     about 10 minutes on a 2-core machine)
 *   npm run bench -- --time-to-answer only the time-to-answer table (4-6 minutes on a loaded
 *                                     2-core machine; with --quick about half a minute)
 *
 * Tables: SGLD step (native, js, NumPy reference), MF particle step (native, js), NNGP KRR
 * (native, SciPy reference), whole runs, parallel throughput, SGLD chains on threads, time to an
 * answer (bench/timeToAnswer.ts), the paper-scale projection (bench/projection.ts) and the roofline (dgemm rates of
 * the steps' GEMM shapes, which the SGLD and MF tables' GEMM-bound fractions use). The NumPy and
 * SciPy references need python3 with numpy (and scipy); without them their columns print a
 * "skipped: ..." note.
 */
import os from 'node:os';
import { availableBackends } from '../src/backend/index.js';
import { jsBackend } from '../src/backend/js/index.js';
import { krrTable, krrTwinTable, type KrrCase } from './krr.js';
import { mfStepTable, type MfShape } from './mfStep.js';
import { mfThreadsTable, type MfThreadsSizes } from './mfThreads.js';
import {
  PROJECTION_FULL,
  PROJECTION_QUICK,
  projectionTables,
  type ProjectionSizes,
} from './projection.js';
import { GemmRates } from './roofline.js';
import { parallelTable, runsTable, type ParallelSizes, type RunSizes } from './runs.js';
import { sgldStepTable, type Shape } from './sgldStep.js';
import { sgldThreadsTable, type ThreadsSizes } from './sgldThreads.js';
import { TTA_FULL, TTA_QUICK, timeToAnswerTable, type TtaSizes } from './timeToAnswer.js';

interface Plan {
  maxTime: number;
  numpySeconds: number;
  sgld: Shape[];
  mf: MfShape[];
  krr: KrrCase[];
  runs: RunSizes;
  parallel: ParallelSizes;
  threads: ThreadsSizes;
  mfThreads: MfThreadsSizes;
  projection: ProjectionSizes;
  timeToAnswer: TtaSizes;
}

const FULL: Plan = {
  maxTime: 3,
  numpySeconds: 3,
  sgld: [
    { P: 4096, d: 35, N: 512 },
    { P: 1024, d: 35, N: 512 },
    { P: 400, d: 12, N: 128 },
  ],
  mf: [
    { P: 400, d: 35, M: 512 },
    { P: 1024, d: 35, M: 512 },
    { P: 200, d: 12, M: 1024 },
  ],
  krr: [
    { P: 2048, runs: 5 },
    { P: 4096, runs: 3 },
    { P: 8192, runs: 2 },
    { P: 16384, runs: 1 },
  ],
  runs: { sgldSteps: 5000, mfSteps: 2000, krrP: 4096 },
  parallel: { sgldSteps: 4000, rounds: 2, choleskyP: 4096, choleskyRuns: 3 },
  threads: { shape: { P: 2048, d: 35, N: 512 }, steps: 200, repeats: 5 },
  mfThreads: {
    shapes: [
      { P: 400, d: 35, M: 512 },
      { P: 1024, d: 35, M: 512 },
      { P: 200, d: 12, M: 1024 },
    ],
    steps: 100,
    repeats: 5,
  },
  projection: PROJECTION_FULL,
  timeToAnswer: TTA_FULL,
};

const QUICK: Plan = {
  maxTime: 0.5,
  numpySeconds: 0.5,
  sgld: [
    { P: 1024, d: 35, N: 512 },
    { P: 400, d: 12, N: 128 },
  ],
  mf: [
    { P: 400, d: 35, M: 512 },
    { P: 200, d: 12, M: 256 },
  ],
  krr: [{ P: 2048, runs: 1 }],
  runs: { sgldSteps: 500, mfSteps: 200, krrP: 1024 },
  parallel: { sgldSteps: 1000, rounds: 1, choleskyP: 2048, choleskyRuns: 1 },
  threads: { shape: { P: 2048, d: 35, N: 512 }, steps: 20, repeats: 1 },
  mfThreads: { shapes: [{ P: 400, d: 35, M: 512 }], steps: 10, repeats: 1 },
  projection: PROJECTION_QUICK,
  timeToAnswer: TTA_QUICK,
};

const quick = process.argv.includes('--quick');
// --sgld-threads: only the chains-on-threads table (under a minute instead of ten).
const threadsOnly = process.argv.includes('--sgld-threads');
// --projection: only the paper-scale projection.
const projectionOnly = process.argv.includes('--projection');
// --time-to-answer: only the time-to-answer table.
const ttaOnly = process.argv.includes('--time-to-answer');
// --mf: only the MF particle step table, repeated --repeat=R times (default 1) side by side.
const mfOnly = process.argv.includes('--mf');
const repeatArg = process.argv.find((a) => a.startsWith('--repeat='));
const mfRepeats = repeatArg ? Math.max(1, Number(repeatArg.slice('--repeat='.length)) || 1) : 1;
const plan = quick ? QUICK : FULL;
const started = performance.now();

// Loading the addon names OpenBLAS's kernel set when the variable is unset (src/binding.ts).
const coreTypeGiven = process.env.OPENBLAS_CORETYPE;
const native = availableBackends().find((b) => b.name === 'native') ?? null;
const info = native?.info();
const coreType =
  coreTypeGiven !== undefined
    ? coreTypeGiven
    : process.env.OPENBLAS_CORETYPE
      ? `${process.env.OPENBLAS_CORETYPE} (unset before; set by mfl from the CPU flags)`
      : '(unset)';
console.log(`# mfl benchmarks (${new Date().toISOString().slice(0, 10)}${quick ? ', quick' : ''})`);
console.log(
  `cpu: ${os.cpus()[0]?.model.trim()} (${os.availableParallelism()} threads); ` +
    `blas: ${info?.blas ? `${info.blas.config}, ${info.blas.threads} thread(s)` : 'none'}; ` +
    `OPENBLAS_CORETYPE=${coreType}; node ${process.version}; ` +
    `1-minute load average ${os.loadavg()[0]!.toFixed(2)}`,
);
if (!native) console.log('native backend unavailable: js only');

const projectionHeading =
  '\n## Paper-scale projection: CLI slices extrapolated, one BLAS thread per thread\n';
if (projectionOnly) {
  console.log(projectionHeading);
  console.log(native ? projectionTables(plan.projection) : 'skipped: needs the native backend');
  console.log(`\n1-minute load average after: ${os.loadavg()[0]!.toFixed(2)}`);
  console.log(`\nTotal: ${((performance.now() - started) / 1e3).toFixed(0)} s`);
  process.exit(0);
}
const ttaHeading =
  '\n## Time to an answer: SGLD until mS and the test MSE match the long run, one BLAS thread\n';
if (ttaOnly) {
  console.log(ttaHeading);
  console.log(
    native
      ? await timeToAnswerTable(native, plan.timeToAnswer)
      : 'skipped: needs the native backend',
  );
  console.log(`\nTotal: ${((performance.now() - started) / 1e3).toFixed(0)} s`);
  process.exit(0);
}
const threadsHeading = `\n## SGLD chains on threads: 2 chains on 1 and 2 threads, one BLAS thread\n`;
if (threadsOnly) {
  console.log(threadsHeading);
  console.log(
    native ? sgldThreadsTable(native, plan.threads) : 'skipped: needs the native backend',
  );
  process.exit(0);
}
const rates = native ? new GemmRates(native) : undefined;
const options = { maxTime: plan.maxTime, rates };

const mfHeading = '\n## Mean-field particle step (Rao-Blackwellised, plain MF), one BLAS thread\n';
const mfThreadsHeading = '\n## Mean-field particle step on 1 and 2 threads, one BLAS thread\n';
const mfThreadsText = async (): Promise<string> =>
  native ? mfThreadsTable(native, plan.mfThreads) : 'skipped: needs the native backend';
if (mfOnly) {
  for (let k = 0; k < mfRepeats; k++) {
    console.log(
      `${mfHeading}\nrepeat ${k + 1} of ${mfRepeats}, 1-minute load average ${os.loadavg()[0]!.toFixed(2)}\n`,
    );
    console.log(mfStepTable(native, jsBackend, plan.mf, options));
    console.log(mfThreadsHeading);
    console.log(await mfThreadsText());
  }
  console.log(`\nTotal: ${((performance.now() - started) / 1e3).toFixed(0)} s`);
  process.exit(0);
}

console.log(
  '\n## SGLD step, float64 (float32 in the last two columns), full batch, one chain, one BLAS thread\n',
);
console.log(
  sgldStepTable(native, jsBackend, plan.sgld, { ...options, numpySeconds: plan.numpySeconds }),
);

console.log(mfHeading);
console.log(mfStepTable(native, jsBackend, plan.mf, options));
console.log(mfThreadsHeading);
console.log(await mfThreadsText());

console.log(
  '\n## NNGP kernel ridge regression: relu Gram + Cholesky, parity(d = 35), one BLAS thread\n',
);
if (native) console.log(krrTable(native, plan.krr));
else
  console.log('skipped: needs the native backend (the js Cholesky would take hours at P = 8192)');

console.log('\n## NNGP kernels on both backends, one BLAS thread\n');
if (native) console.log(krrTwinTable(native, jsBackend, quick ? 256 : 1024, 3));
else console.log('skipped: needs the native backend to compare with');

console.log('\n## Whole runs (native, one BLAS thread)\n');
if (native) console.log(await runsTable(native, plan.runs));
else console.log('skipped: needs the native backend');

console.log(`\n## Parallel throughput (${os.availableParallelism()} CPU threads)\n`);
if (native) console.log(await parallelTable(plan.parallel));
else console.log('skipped: needs the native backend');

console.log(threadsHeading);
if (native) console.log(sgldThreadsTable(native, plan.threads));
else console.log('skipped: needs the native backend');

console.log(ttaHeading);
if (native) console.log(await timeToAnswerTable(native, plan.timeToAnswer));
else console.log('skipped: needs the native backend');

console.log(projectionHeading);
if (native) console.log(projectionTables(plan.projection));
else console.log('skipped: needs the native backend');

console.log('\n## Roofline: dgemm rate on the steps’ GEMM shapes, one BLAS thread\n');
if (rates) {
  const n = 1024;
  const square = { name: 'square product', M: n, N: n, K: n, transA: false, transB: false };
  rates.rate({ ...square, share: 1 }, 'reference:');
  console.log(rates.table());
  console.log(
    '\nMeans ± 95% margin of one backend.gemm call (C = op(A) op(B), C is M x N). The square ' +
      `${n}^3 product is the reference for this BLAS's best rate on this machine.`,
  );
} else console.log('skipped: needs the native backend');

console.log(`\nTotal: ${((performance.now() - started) / 1e3).toFixed(0)} s`);
