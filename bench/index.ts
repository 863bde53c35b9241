/**
 * `npm run bench`: prints markdown tables of the benchmarks. Run through scripts/bench.mjs, which
 * pins BLAS to one thread and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so figures describe the
 * library's own choices on this machine.
 */
import os from 'node:os';
import { availableBackends } from '../src/backend/index.js';
import { jsBackend } from '../src/backend/js/index.js';
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

console.log('\n## SGLD step, float64, full batch, one chain, one BLAS thread\n');
console.log(
  sgldStepTable(native, jsBackend, [
    { P: 4096, d: 35, N: 512 },
    { P: 1024, d: 35, N: 512 },
    { P: 400, d: 12, N: 128 },
  ]),
);
