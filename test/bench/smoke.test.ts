/**
 * The benchmark tables run end to end on tiny shapes and come out well formed: a header, its
 * separator and rows of as many cells, numbers where numbers belong. Nothing about the timings is
 * asserted (the machine is shared); `npm run bench` itself is not run here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { krrTable, krrTwinTable } from '../../bench/krr.js';
import { mfBenchConfig, mfGemms, mfStepTable } from '../../bench/mfStep.js';
import { mfThreadsTable } from '../../bench/mfThreads.js';
import { GemmRates } from '../../bench/roofline.js';
import { parallelTable, runsTable } from '../../bench/runs.js';
import { sgldStepTable } from '../../bench/sgldStep.js';
import { jsBackend, nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { assertNumeric, column, parseTable } from './tables.js';

const native = nativeBackend() ?? null;

test('SGLD step table: native, js, NumPy (or a skip note), GEMM-bound fraction', () => {
  const text = sgldStepTable(native, jsBackend, [{ P: 32, d: 6, N: 8 }], {
    maxTime: 0.02,
    numpySeconds: 0.02,
  });
  const t = parseTable(text);
  assert.equal(t.rows[0]![0], '(32, 6, 8)');
  for (const name of ['js step (ms)', 'js / native', 'NumPy step (ms)', 'GEMM-bound fraction']) {
    for (const cell of column(t, name)) assertNumeric(cell, name, true);
  }
  if (column(t, 'NumPy step (ms)')[0] === '-') assert.match(text, /NumPy column skipped: /);
  if (native) {
    for (const name of ['native step (ms)', 'step / GEMMs', 'GEMM-bound fraction']) {
      assertNumeric(column(t, name)[0]!, name);
    }
  }
});

test('SGLD step table: a missing interpreter is a skip note, not an error', () => {
  const text = sgldStepTable(null, jsBackend, [{ P: 16, d: 4, N: 4 }], {
    maxTime: 0.02,
    numpySeconds: 0.02,
    python: '/nonexistent/python3',
  });
  assert.equal(column(parseTable(text), 'NumPy step (ms)')[0], '-');
  assert.match(text, /NumPy column skipped: \/nonexistent\/python3 not found/);
});

test('MF step table: per step and per particle, both solves', () => {
  const shapes = [
    { P: 12, d: 4, M: 16 }, // cholesky (P <= M)
    { P: 20, d: 4, M: 8 }, // woodbury
  ];
  assert.deepEqual(
    shapes.map((s) => mfBenchConfig(s).solve),
    ['cholesky', 'woodbury'],
  );
  const t = parseTable(mfStepTable(native, jsBackend, shapes, { maxTime: 0.02 }));
  assert.deepEqual(column(t, 'solve'), ['cholesky', 'woodbury']);
  for (const name of ['js step (ms)', 'js µs / particle', 'GEMM-bound fraction']) {
    for (const cell of column(t, name)) assertNumeric(cell, name, native === null);
  }
});

test('MF GEMM shapes follow the solve', () => {
  const kernel = (solve: 'cholesky' | 'woodbury') =>
    mfGemms({ P: 30, d: 5, M: 7, solve }).find((g) => g.share === 0.5)!;
  assert.deepEqual([kernel('cholesky').M, kernel('cholesky').K], [30, 7]);
  assert.deepEqual([kernel('woodbury').M, kernel('woodbury').K], [7, 30]);
});

test(
  'MF step on 1 and 2 threads: both solves, cores obtained',
  { skip: skipUnlessNative() },
  async () => {
    const shapes = [
      { P: 12, d: 4, M: 16 },
      { P: 20, d: 4, M: 8 },
    ];
    const t = parseTable(await mfThreadsTable(nativeBackend()!, { shapes, steps: 3, repeats: 2 }));
    assert.deepEqual(column(t, 'solve'), ['cholesky', 'woodbury']);
    for (const name of ['1 thread (ms / step)', '2 threads (ms / step)', 'speed-up (medians)']) {
      for (const cell of column(t, name)) assertNumeric(cell, name);
    }
    for (const cell of column(t, 'cores obtained (1, 2 threads)')) {
      assert.match(cell, /^\d+\.\d\d, \d+\.\d\d$/);
    }
    // Calls this short end before their first progress report: no share.
    for (const cell of column(t, "pool thread's CPU share")) {
      assertNumeric(cell, 'pool share', true);
    }
  },
);

test('roofline table', { skip: skipUnlessNative() }, () => {
  const rates = new GemmRates(nativeBackend()!, 0.02);
  const g = { name: 'X W^T', M: 20, N: 8, K: 5, transA: false, transB: true, share: 1 };
  assert.ok(rates.boundSeconds([g], 'test') > 0);
  const t = parseTable(rates.table());
  assertNumeric(column(t, 'GFLOP/s')[0]!, 'GFLOP/s');
  assert.equal(column(t, 'used by')[0], 'test X W^T');
});

test('KRR kernels on both backends', { skip: skipUnlessNative() }, () => {
  const text = krrTwinTable(nativeBackend()!, jsBackend, 96, 1);
  const rows = text.split('\n').filter((line) => line.startsWith('| '));
  assert.equal(rows.length, 5);
  for (const row of rows.slice(2)) {
    const ratio = Number(row.split('|')[4]);
    assert.ok(ratio > 0 && Number.isFinite(ratio), row);
  }
});

test('KRR table with the SciPy columns (or a skip note)', { skip: skipUnlessNative() }, () => {
  const text = krrTable(nativeBackend()!, [{ P: 64, runs: 1 }]);
  const t = parseTable(text);
  assertNumeric(column(t, 'ratio')[0]!, 'ratio');
  const scipy = column(t, 'SciPy / native')[0]!;
  assertNumeric(scipy, 'SciPy / native', true);
  if (scipy === '-') assert.match(text, /SciPy columns skipped: /);
});

test(
  'whole runs and parallel throughput',
  { skip: skipUnlessNative(), timeout: 120_000 },
  async () => {
    const backend = nativeBackend()!;
    const runs = parseTable(
      await runsTable(backend, {
        sgldSteps: 20,
        sgldP: 30,
        mfSteps: 10,
        mfP: 30,
        krrP: 40,
        krrD: 8,
      }),
    );
    assert.deepEqual(column(runs, 'run'), ['SGLD', 'MF', 'KRR']);
    for (const cell of column(runs, 'seconds')) assertNumeric(cell, 'seconds');
    const parallel = parseTable(
      await parallelTable({ sgldSteps: 10, rounds: 1, choleskyP: 64, choleskyRuns: 1 }),
    );
    for (const cell of column(parallel, 'throughput ratio')) assertNumeric(cell, 'ratio');
  },
);
