/**
 * SGLD chains on threads (docs/sgld.md, "Threads"): wall time per step of one sgldRun call that
 * advances 2 chains, on one thread and on two, side by side. The two thread counts alternate
 * within each repeat, so load from other work on the machine falls on both; every repeat's ratio
 * is printed beside the medians, with the load average before and after.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend, SgldConfig, SgldData, SgldState } from '../src/backend/types.js';
import { createSgldAccumulators } from '../src/methods/sgld/layout.js';
import { sampleNetworkPrior } from '../src/network/network.js';
import { formatMs, median, table } from './harness.js';
import { config, data, type Shape } from './sgldStep.js';

export interface ThreadsSizes {
  shape: Shape;
  /** Steps of each timed call. */
  steps: number;
  /** Alternated (1 thread, 2 threads) pairs per precision. */
  repeats: number;
}

const CHAINS = 2;

/** sgldStep's run with CHAINS chains: the timed steps [0, steps) hold no sample or observe step. */
function threadsConfig(
  shape: Shape,
  steps: number,
  precision: SgldConfig['precision'],
): SgldConfig {
  return { ...config(shape, steps + 1, precision), chains: CHAINS };
}

function initialState(shape: Shape): SgldState {
  const { N, d } = shape;
  const state: SgldState = {
    W: new Float64Array(CHAINS * N * d),
    a: new Float64Array(CHAINS * N),
    b: null,
  };
  for (let c = 0; c < CHAINS; c++) {
    const net = sampleNetworkPrior({ N }, d, 1, c);
    state.W.set(net.W, c * N * d);
    state.a.set(net.a, c * N);
  }
  return state;
}

interface Timing {
  /** Wall milliseconds per step. */
  ms: number;
  /** CPU time of the process over wall time: the cores the call got. */
  cores: number;
}

/** One call over `cfg.steps - 1` steps (2 chains) on `cfg.threads` threads. */
function timeCall(backend: Backend, cfg: SgldConfig, d: SgldData, shape: Shape): Timing {
  const state = initialState(shape);
  const acc = createSgldAccumulators(cfg);
  const steps = cfg.steps - 1;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = backend.sgldRun(cfg, d, state, acc, 0, steps);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (r.stepsDone !== steps) throw new Error(`sgldRun stopped after ${r.stepsDone} steps`);
  return { ms: ms / steps, cores: (used.user + used.system) / 1000 / ms };
}

/** The side-by-side table, float64 then float32. */
export function sgldThreadsTable(native: Backend, sizes: ThreadsSizes): string {
  const { shape, steps, repeats } = sizes;
  const d = data(native, shape);
  const loadBefore = os.loadavg()[0]!;
  const rows: string[][] = [];
  for (const precision of ['float64', 'float32'] as const) {
    const cfg = threadsConfig(shape, steps, precision);
    timeCall(native, { ...cfg, steps: 11, burnIn: 10 }, d, shape); // warm-up: pages, BLAS buffers
    const one: Timing[] = [];
    const two: Timing[] = [];
    for (let r = 0; r < repeats; r++) {
      one.push(timeCall(native, { ...cfg, threads: 1 }, d, shape));
      two.push(timeCall(native, { ...cfg, threads: 2 }, d, shape));
    }
    const ms = (ts: Timing[]) => median(ts.map((t) => t.ms));
    const cores = (ts: Timing[]) => median(ts.map((t) => t.cores)).toFixed(2);
    rows.push([
      `(${shape.P}, ${shape.d}, ${shape.N})`,
      precision,
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
        '(P, d, N)',
        'precision',
        '1 thread (ms / step)',
        '2 threads (ms / step)',
        'speed-up (medians)',
        'speed-up per repeat',
        'cores obtained (1, 2 threads)',
      ],
      rows,
    ) +
    `\n\nOne sgldRun call of ${steps} full-batch steps advancing ${CHAINS} chains, timed with ` +
    `performance.now(); medians over ${repeats} repeats, the two thread counts alternating ` +
    `within each repeat; one BLAS thread. Cores obtained: the process's CPU time over the ` +
    `call's wall time (median), what the scheduler gave it; on an idle 2-core machine 1 and 2. ` +
    `Target: speed-up >= 1.8. 1-minute load average ` +
    `${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ` +
    `${os.availableParallelism()} CPU threads.`
  );
}
