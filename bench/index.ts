/**
 * `npm run bench`: prints markdown tables of the benchmarks. Run through scripts/bench.mjs, which
 * pins BLAS to one thread and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so figures describe the
 * library's own choices on this machine.
 */
import os from 'node:os';
import { availableBackends } from '../src/backend/index.js';
import { jsBackend } from '../src/backend/js/index.js';
import { krrTable } from './krr.js';
import { sgldStepTable } from './sgldStep.js';

const native = availableBackends().find((b) => b.name === 'native') ?? null;
const info = native?.info();
console.log(`# mfl benchmarks (${new Date().toISOString().slice(0, 10)})`);
console.log(
  `cpu: ${os.cpus()[0]?.model.trim()} (${os.availableParallelism()} threads); ` +
    `blas: ${info?.blas ? `${info.blas.config}, ${info.blas.threads} thread(s)` : 'none'}; ` +
    `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}; node ${process.version}`,
);
if (!native) console.log('native backend unavailable: js only');

console.log(
  '\n## SGLD step, float64 (float32 in the last two columns), full batch, one chain, one BLAS thread\n',
);
console.log(
  sgldStepTable(native, jsBackend, [
    { P: 4096, d: 35, N: 512 },
    { P: 1024, d: 35, N: 512 },
    { P: 400, d: 12, N: 128 },
  ]),
);

console.log(
  '\n## NNGP kernel ridge regression: relu Gram + Cholesky, parity(d = 35), one BLAS thread\n',
);
if (native) {
  console.log(
    krrTable(native, [
      { P: 2048, runs: 5 },
      { P: 4096, runs: 3 },
      { P: 8192, runs: 2 },
      { P: 16384, runs: 1 },
    ]),
  );
} else {
  console.log('skipped: needs the native backend (the js Cholesky would take hours at P = 8192)');
}
