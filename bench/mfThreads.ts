/**
 * The MF particle step on threads (docs/mf.md, "Threads"): wall time per step of one mfRun call on
 * one thread and on two, side by side at each shape. The two thread counts alternate within each
 * repeat, so load from other work on the machine falls on both; every repeat's ratio is printed
 * beside the medians, with the cores the process obtained and the load average before and after.
 */
import fs from 'node:fs';
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

/** CPU clock ticks of each thread of this process (Linux; empty elsewhere). */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  const dir = '/proc/self/task';
  if (!fs.existsSync(dir)) return ticks;
  for (const tid of fs.readdirSync(dir)) {
    try {
      // Fields after "pid (comm) ": state is the first, utime the 12th and stime the 13th.
      const fields = fs.readFileSync(`${dir}/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended while being read.
    }
  }
  return ticks;
}

/**
 * The share of a 2-thread call's CPU time that its pool thread did (the rest is the calling
 * thread's, which also runs the factorisation and solve), from /proc/self/task sampled at the
 * call's progress reports: evidence that the second thread works, whatever cores the process
 * got. Items go to whichever thread is free, so under load the share depends on the scheduling.
 * Null without /proc or when the call is too short to report progress before its end.
 */
async function poolShare(backend: Backend, cfg: MfConfig, d: MfData): Promise<number | null> {
  const before = threadTicks();
  const steps = cfg.steps - 1;
  let during: Map<string, number> | null = null;
  await backend.mfRunAsync(
    { ...cfg, threads: 2 },
    d,
    initialState(cfg, backend),
    createMfAccumulators(cfg),
    0,
    steps,
    {
      onProgress: (done) => {
        if (done < steps) during = threadTicks();
      },
    },
  );
  if (during === null) return null;
  const seen: Map<string, number> = during;
  let pool = 0;
  let calling = 0;
  for (const [tid, ticks] of seen) {
    const old = before.get(tid);
    // Threads started by the call belong to its pool; of the others, the busiest (not the main
    // thread, which only waits) runs the call.
    if (old === undefined) pool += ticks;
    else if (tid !== String(process.pid)) calling = Math.max(calling, ticks - old);
  }
  return pool + calling > 0 ? pool / (pool + calling) : null;
}

/** The side-by-side table, one row per shape. */
export async function mfThreadsTable(native: Backend, sizes: MfThreadsSizes): Promise<string> {
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
    const share = await poolShare(native, cfg, d);
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
      share === null ? '-' : share.toFixed(2),
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
        "pool thread's CPU share",
      ],
      rows,
    ) +
    `\n\nOne mfRun call of ${steps} steps (plain MF, prior start, no sample), timed with ` +
    `performance.now(); medians over ${repeats} repeats, the two thread counts alternating ` +
    `within each repeat; one BLAS thread. The factorisation and solve of each step stay on one ` +
    `thread. Cores obtained: the process's CPU time over the call's wall time (median), what ` +
    `the scheduler gave it; on an idle 2-core machine 1 and 2. Pool thread's CPU share: of one ` +
    `more 2-thread call, the part of its CPU time the pool's thread did (/proc/self/task); ` +
    `items go to whichever thread is free, so under load it depends on the scheduling. ` +
    `1-minute load average ` +
    `${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ` +
    `${os.availableParallelism()} CPU threads.`
  );
}
