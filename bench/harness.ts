/**
 * Shared benchmark plumbing: the `benchmark` package measures each case (many cycles, reporting
 * mean and relative margin of error); cases of one table run side by side in the same process so
 * their ratios are meaningful on a shared, noisy machine.
 */
import { createRequire } from 'node:module';
import type BenchmarkClass from 'benchmark';
import type { Backend } from '../src/backend/types.js';

// benchmark is CommonJS and expects to be required (it probes for `module` and `define`).
const require = createRequire(import.meta.url);
const Benchmark = require('benchmark') as typeof BenchmarkClass;

export interface Measurement {
  name: string;
  /** Mean seconds per call. */
  seconds: number;
  /** Relative margin of error at 95%, in percent. */
  rme: number;
  samples: number;
}

/** Measures `fn` (synchronous) for about `maxTime` seconds. */
export function measure(name: string, fn: () => void, maxTime = 3): Measurement {
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return {
    name,
    seconds: bench.stats.mean,
    rme: bench.stats.rme,
    samples: bench.stats.sample.length,
  };
}

export function formatMs(seconds: number): string {
  const ms = seconds * 1e3;
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(4);
}

/**
 * A ratio of two timings: one decimal from 1 up, two significant digits below, so that a slow
 * side (a loaded machine, a cold first call) never rounds it to 0.
 */
export function formatRatio(ratio: number): string {
  return ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2);
}

/** A GitHub-flavoured markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall seconds of one call of `fn`. */
export function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1e3;
}

/** P parity(d, k = 4) training inputs (P x d), data seed 11. */
export function parityInputs(backend: Backend, P: number, d: number): Float64Array {
  const X = new Float64Array(P * d);
  const y = new Float64Array(P);
  backend.generateTaskRows(
    { kind: 'parity', d, k: 4, labelNoise: 0, seed: 11 },
    { test: false, rowOffset: 0, X, y },
  );
  return X;
}
