/**
 * Shared benchmark plumbing: the `benchmark` package measures each case (many cycles, reporting
 * mean and relative margin of error); cases of one table run side by side in the same process so
 * their ratios are meaningful on a shared, noisy machine.
 */
import { createRequire } from 'node:module';
import type BenchmarkClass from 'benchmark';

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

/** A GitHub-flavoured markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
