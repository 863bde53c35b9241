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
 */
import os from 'node:os';
import type { Backend, KernelSpec } from '../src/backend/types.js';
import { formatMs, table } from './harness.js';

const D = 35;
const RIDGE = 0.01; // kappa / sigma_a^2 at the defaults kappa = 0.01, sigma_a = 1
/** Matrices the benchmark holds at once: the Gram and the copy the Cholesky factors. */
const MATRICES = 2;
/** Fraction of free memory the benchmark may take. */
const MEMORY_SHARE = 0.7;

export interface KrrCase {
  P: number;
  /** Timed runs of each measurement. */
  runs: number;
}

function parityInputs(backend: Backend, P: number): Float64Array {
  const X = new Float64Array(P * D);
  const y = new Float64Array(P);
  backend.generateTaskRows(
    { kind: 'parity', d: D, k: 4, labelNoise: 0, seed: 11 },
    { test: false, rowOffset: 0, X, y },
  );
  return X;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1e3;
}

function factor(backend: Backend, A: Float64Array, P: number): void {
  const info = backend.cholesky(A, P, RIDGE);
  if (info !== 0) throw new Error(`Cholesky failed at P = ${P}: leading minor ${info}`);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function row(backend: Backend, c: KrrCase): string[] {
  const { P, runs } = c;
  const spec: KernelSpec = { kernel: 'relu', d: D, sigmaW: 1, sigmaB: 1, bias: false };
  const X = parityInputs(backend, P);
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
  ];
}

/** The table, one row per case; cases whose matrices do not fit in memory are skipped, noted. */
export function krrTable(backend: Backend, cases: KrrCase[]): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const c of cases) {
    const bytes = MATRICES * 8 * c.P * c.P;
    const free = os.freemem();
    if (bytes > MEMORY_SHARE * free) {
      notes.push(
        `P = ${c.P} skipped: needs ${MATRICES} matrices of ${gib(bytes / MATRICES)} ` +
          `(${gib(bytes)}), more than ${MEMORY_SHARE * 100}% of free memory (${gib(free)}).`,
      );
      continue;
    }
    rows.push(row(backend, c));
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
  ];
  const legend =
    '\nMedian of `runs` timings with performance.now() (not the benchmark package: its minimum ' +
    'sample count is too slow at large P). GFLOP/s count P^3/3 flops in both columns; ratio = ' +
    't(Cholesky) / t(Gram + Cholesky), target >= 0.8 at P = 8192.';
  return [table(header, rows), legend, ...notes].join('\n');
}
