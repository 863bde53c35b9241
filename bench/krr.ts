/**
 * Kernel ridge regression cost (target: Gram assembly + Cholesky for P = 8192 reaches at least
 * 80% of the GFLOP/s of the Cholesky alone): for relu NNGP kernels on parity(d = 35) inputs, the
 * Gram assembly alone (one dsyrk + the fused map), the Cholesky alone (dpotrf on a copy of the same
 * matrix, ridge added), and the two back to back in one buffer as KRR runs them. Both GFLOP/s
 * figures count the Cholesky's P^3/3 flops, so their ratio is t(Cholesky) / t(Gram + Cholesky).
 *
 * Timed with performance.now(), a few runs per size (the benchmark package's minimum sample count
 * would take many minutes at P = 16384), the three measurements interleaved; medians are
 * reported. Copies are never timed.
 *
 * Beside it, the same Gram + Cholesky as a researcher writes it with NumPy and SciPy
 * (bench/reference/krr_scipy.py: arc-cosine Gram, cho_factor; one BLAS thread), when python3
 * with numpy and scipy is present.
 */
import os from 'node:os';
import type { Backend, KernelSpec } from '../src/backend/types.js';
import { formatMs, formatRatio, median, parityInputs, seconds, table } from './harness.js';
import { runReference } from './python.js';

const D = 35;
const RIDGE = 0.01; // kappa / sigma_a^2 at the defaults kappa = 0.01, sigma_a = 1
/** Matrices the benchmark holds at once: the Gram and the copy the Cholesky factors. */
const MATRICES = 2;
/** Fraction of free memory the benchmark may take. */
const MEMORY_SHARE = 0.7;

export interface KrrTableOptions {
  /** false: no SciPy columns. */
  scipy?: boolean;
  /** Largest P the SciPy reference runs at (default 8192). */
  scipyMaxP?: number;
  python?: string;
}

export interface KrrCase {
  P: number;
  /** Timed runs of each measurement. */
  runs: number;
}

function factor(backend: Backend, A: Float64Array, P: number): void {
  const info = backend.cholesky(A, P, RIDGE);
  if (info !== 0) throw new Error(`Cholesky failed at P = ${P}: leading minor ${info}`);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

interface ScipyKrr {
  gram: number;
  cholesky: number;
  total: number;
}

/** NumPy's Gram keeps about this many P x P temporaries alive at its peak. */
const SCIPY_MATRICES = 6;

function scipyCell(c: KrrCase, native: number, options: KrrTableOptions, notes: Set<string>) {
  const dash = ['-', '-', '-'];
  if (options.scipy === false) return dash;
  const bytes = SCIPY_MATRICES * 8 * c.P * c.P;
  if (c.P > (options.scipyMaxP ?? 8192) || bytes > MEMORY_SHARE * os.freemem()) {
    notes.add(`SciPy columns skipped at P = ${c.P}: run time and memory (${gib(bytes)}).`);
    return dash;
  }
  const runs = Math.min(c.runs, 2);
  const args = ['--P', String(c.P), '--d', String(D), '--runs', String(runs)];
  const r = runReference<ScipyKrr>('krr_scipy.py', args, ['numpy', 'scipy'], options.python);
  if (!r.ok) {
    notes.add(`SciPy columns skipped: ${r.reason}.`);
    return dash;
  }
  return [
    formatMs(r.value.total),
    (c.P ** 3 / 3 / r.value.cholesky / 1e9).toFixed(2),
    (r.value.total / native).toFixed(2),
  ];
}

function row(backend: Backend, c: KrrCase, options: KrrTableOptions, notes: Set<string>) {
  const { P, runs } = c;
  const spec: KernelSpec = { kernel: 'relu', d: D, sigmaW: 1, sigmaB: 1, bias: false };
  const X = parityInputs(backend, P, D);
  const K = new Float64Array(P * P);
  const A = new Float64Array(P * P);
  backend.nngpGram(spec, X, K); // untimed: first touch of K's pages
  // The three measurements alternate within each run, so a slow spell on a shared machine hits
  // all of them rather than one column.
  const gram: number[] = [];
  const cholesky: number[] = [];
  const both: number[] = [];
  for (let r = 0; r < runs; r++) {
    gram.push(seconds(() => backend.nngpGram(spec, X, K)));
    A.set(K);
    cholesky.push(seconds(() => factor(backend, A, P)));
    both.push(
      seconds(() => {
        backend.nngpGram(spec, X, A);
        factor(backend, A, P);
      }),
    );
  }
  const flops = P ** 3 / 3;
  return [
    String(P),
    String(runs),
    formatMs(median(gram)),
    formatMs(median(cholesky)),
    formatMs(median(both)),
    (flops / median(cholesky) / 1e9).toFixed(2),
    (flops / median(both) / 1e9).toFixed(2),
    (median(cholesky) / median(both)).toFixed(3),
    ...scipyCell(c, median(both), options, notes),
  ];
}

/** The table, one row per case; cases whose matrices do not fit in memory are skipped, noted. */
export function krrTable(
  backend: Backend,
  cases: KrrCase[],
  options: KrrTableOptions = {},
): string {
  const rows: string[][] = [];
  const notes = new Set<string>();
  for (const c of cases) {
    const bytes = MATRICES * 8 * c.P * c.P;
    const free = os.freemem();
    if (bytes > MEMORY_SHARE * free) {
      notes.add(
        `P = ${c.P} skipped: needs ${MATRICES} matrices of ${gib(bytes / MATRICES)} ` +
          `(${gib(bytes)}), more than ${MEMORY_SHARE * 100}% of free memory (${gib(free)}).`,
      );
      continue;
    }
    rows.push(row(backend, c, options, notes));
  }
  const header = [
    'P',
    'runs',
    'Gram (ms)',
    'Cholesky (ms)',
    'Gram + Cholesky (ms)',
    'Cholesky GFLOP/s',
    'Gram + Cholesky GFLOP/s',
    'ratio',
    'SciPy Gram + Cholesky (ms)',
    'SciPy Cholesky GFLOP/s',
    'SciPy / native',
  ];
  const legend =
    '\nMedian of `runs` timings with performance.now() (not the benchmark package: its minimum ' +
    'sample count is too slow at large P). GFLOP/s count P^3/3 flops in both columns; ratio = ' +
    't(Cholesky) / t(Gram + Cholesky), target >= 0.8 at P = 8192. SciPy: median of ' +
    'min(runs, 2) runs of bench/reference/krr_scipy.py; SciPy / native compares Gram + Cholesky.';
  return [table(header, rows), legend, ...notes].join('\n');
}

/**
 * The KRR kernels on both backends at a size the js twin handles in seconds: Gram assembly,
 * Cholesky, and the solve of one right-hand side; medians of `runs` timings, copies not timed.
 */
export function krrTwinTable(native: Backend, js: Backend, P: number, runs: number): string {
  const kernel: KernelSpec = { kernel: 'relu', d: D, sigmaW: 1, sigmaB: 1, bias: false };
  const X = parityInputs(native, P, D);
  const time = (backend: Backend) => {
    const K = new Float64Array(P * P);
    const gram = median(
      Array.from({ length: runs }, () => seconds(() => backend.nngpGram(kernel, X, K))),
    );
    const A = new Float64Array(P * P);
    const chol = median(
      Array.from({ length: runs }, () => {
        A.set(K);
        return seconds(() => factor(backend, A, P));
      }),
    );
    const b = new Float64Array(P);
    const solve = median(
      Array.from({ length: runs }, () => {
        b.fill(1);
        return seconds(() => backend.choleskySolve(A, P, b));
      }),
    );
    return [gram, chol, solve];
  };
  const n = time(native);
  const j = time(js);
  const names = ['Gram assembly', 'Cholesky', 'solve (one right-hand side)'];
  const rows = names.map((name, i) => [
    name,
    formatMs(n[i]!),
    formatMs(j[i]!),
    formatRatio(j[i]! / n[i]!),
  ]);
  return (
    table([`kernel (P = ${P}, d = ${D})`, 'native (ms)', 'js (ms)', 'js / native'], rows) +
    `\n\nMedians of ${runs} timings (performance.now()); the js twin's Cholesky is the ` +
    'row-by-row (Cholesky-Banachiewicz) factorisation in TypeScript.'
  );
}
