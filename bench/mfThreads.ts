/**
 * The MF particle step on threads (docs/mf.md, "Threads"): wall time per step of one mfRun call on
 * one thread and on two, side by side at each shape. The two thread counts alternate within each
 * repeat, so load from other work on the machine falls on both; every repeat's ratio is printed
 * beside the medians, with the cores the process obtained and the load average before and after.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend, MfData } from '../src/backend/types.js';
import { createMfAccumulators } from '../src/methods/mf/layout.js';
import { initialState, type MfConfig } from '../src/methods/mf/particles.js';
import { formatMs, median, table } from './harness.js';
import { mfBenchConfig, mfBenchData, type MfShape } from './mfStep.js';

export interface MfThreadsSizes {
  shapes: MfShape[];
  /** Steps of each timed call. */
  steps: number;
  /** Alternated (1 thread, 2 threads) pairs per shape. */
  repeats: number;
}

interface Timing {
  /** Wall milliseconds per step. */
  ms: number;
  /** CPU time of the process over wall time: the cores the call got. */
  cores: number;
}

/** The driver's config for `shape` over `steps` timed steps that hold no sample or observation. */
function threadsConfig(shape: MfShape, steps: number): MfConfig {
  return { ...mfBenchConfig(shape), steps: steps + 1, burnIn: steps, observeEvery: steps + 1 };
}

/** One call over `cfg.steps - 1` steps from the initial particles on `cfg.threads` threads. */
function timeCall(backend: Backend, cfg: MfConfig, d: MfData): Timing {
  const state = initialState(cfg, backend);
  const acc = createMfAccumulators(cfg);
  const steps = cfg.steps - 1;
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Step 0 is an observation (observeEvery divides 0); it is in the timed range of both counts.
  const r = backend.mfRun(cfg, d, state, acc, 0, steps);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (r.stepsDone !== steps) throw new Error(`mfRun stopped after ${r.stepsDone} steps`);
  return { ms: ms / steps, cores: (used.user + used.system) / 1000 / ms };
}

/** The side-by-side table, one row per shape. */
export function mfThreadsTable(native: Backend, sizes: MfThreadsSizes): string {
  const { steps, repeats } = sizes;
  const loadBefore = os.loadavg()[0]!;
  const rows: string[][] = [];
  for (const shape of sizes.shapes) {
    const cfg = threadsConfig(shape, steps);
    const d = mfBenchData(native, shape);
    timeCall(native, { ...threadsConfig(shape, 2), threads: 2 }, d); // warm-up: pages, BLAS
    const one: Timing[] = [];
    const two: Timing[] = [];
    for (let r = 0; r < repeats; r++) {
      one.push(timeCall(native, { ...cfg, threads: 1 }, d));
      two.push(timeCall(native, { ...cfg, threads: 2 }, d));
    }
    const ms = (ts: Timing[]) => median(ts.map((t) => t.ms));
    const cores = (ts: Timing[]) => median(ts.map((t) => t.cores)).toFixed(2);
    rows.push([
      `(${shape.P}, ${shape.d}, ${shape.M})`,
      cfg.solve,
      formatMs(ms(one) / 1000),
      formatMs(ms(two) / 1000),
      (ms(one) / ms(two)).toFixed(2),
      one.map((t, i) => (t.ms / two[i]!.ms).toFixed(2)).join(', '),
      `${cores(one)}, ${cores(two)}`,
    ]);
  }
  const loadAfter = os.loadavg()[0]!;
  return (
    table(
      [
        '(P, d, M)',
        'solve',
        '1 thread (ms / step)',
        '2 threads (ms / step)',
        'speed-up (medians)',
        'speed-up per repeat',
        'cores obtained (1, 2 threads)',
      ],
      rows,
    ) +
    `\n\nOne mfRun call of ${steps} steps (plain MF, prior start, no sample), timed with ` +
    `performance.now(); medians over ${repeats} repeats, the two thread counts alternating ` +
    `within each repeat; one BLAS thread. The factorisation and solve of each step stay on one ` +
    `thread. Cores obtained: the process's CPU time over the call's wall time (median), what ` +
    `the scheduler gave it; on an idle 2-core machine 1 and 2. 1-minute load average ` +
    `${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ` +
    `${os.availableParallelism()} CPU threads.`
  );
}
