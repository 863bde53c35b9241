/**
 * Child of transfer.test.ts (run with --expose-gc): starts one native async job, and at its first
 * progress report transfers one or two of its typed arrays' buffers away (to a structuredClone
 * that is dropped at once, or to a worker that then exits), collects the garbage and fills fresh
 * buffers. Then checks the outcome of the job against an undisturbed synchronous run: resolved
 * with the same bits when only an input went away, rejected with the coded error naming the
 * in-out array otherwise, with every other caller array left as it was. Prints one JSON line;
 * throws (exit code 1) on a wrong outcome. A use-after-free would crash it instead.
 *
 * argv: kernel (sgld | mf | generateTaskRows), which (input | inout | both), how (clone | worker).
 */
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { getBackend } from '../../src/backend/index.js';
import type { TaskParams } from '../../src/backend/types.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { assertBitIdentical } from '../helpers/compare.js';
import { mfData, mfInitialState, mfKernelConfig } from '../helpers/mf.js';
import { initialState, sgldConfig, sgldData } from '../helpers/sgld.js';

type Arrays = Record<string, Float64Array | null>;

const [kernel, which, how] = process.argv.slice(2) as [string, string, string];
const backend = getBackend('native');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const FILL = 7;
/** What a case returns when its job ended before the transfer: nothing was tested. */
const TOO_SHORT = 'too short';
const pool: Float64Array[] = [];
const exits: Promise<unknown>[] = [];

/** Moves `array`'s buffer away; its memory is freed at the next GC or when the worker exits. */
function transfer(array: Float64Array): void {
  const buffer = array.buffer as ArrayBuffer;
  const bytes = buffer.byteLength;
  if (how === 'worker') {
    const worker = new Worker(
      'require("node:worker_threads").parentPort.once("message", () => process.exit(0));',
      { eval: true },
    );
    worker.postMessage(buffer, [buffer]);
    exits.push(
      new Promise((resolve) => worker.once('exit', resolve)).then(() => reuseMemory(bytes)),
    );
  } else {
    structuredClone(buffer, { transfer: [buffer] });
    reuseMemory(bytes);
  }
  assert.equal(array.length, 0, 'the transfer did not detach the array');
}

/** Collects the freed buffers and allocates fresh ones where they were. */
function reuseMemory(bytes: number): void {
  for (let i = 0; i < 5; i++) gc!();
  const count = Math.min(64, Math.ceil((64 << 20) / bytes)); // at most 64 MiB
  for (let i = 0; i < count; i++) pool.push(new Float64Array(Math.max(1, bytes / 8)).fill(FILL));
}

function copies(arrays: Arrays): Arrays {
  return Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v && v.slice()]));
}

/**
 * The onProgress of the disturbed job, which transfers `victims` away at the first report, and
 * the steps (or rows) the job had left then.
 */
function disturber(victims: Float64Array[]): {
  onProgress: (done: number, total: number) => void;
  remaining: () => number;
} {
  let left = -1;
  return {
    onProgress: (done, total) => {
      if (left >= 0) return;
      left = total - done;
      for (const v of victims) transfer(v);
    },
    remaining: () => left,
  };
}

/**
 * Settles `job` and checks its outcome: `expected` is the undisturbed run's arrays, `before` the
 * caller's arrays at the call, `lost` the name of the in-out array that went away (or null).
 */
async function check(
  job: Promise<unknown>,
  arrays: Arrays,
  expected: Arrays,
  before: Arrays,
  detached: string[],
  lost: string | null,
  remaining: () => number,
): Promise<string> {
  let outcome: string;
  // Every attempt gets its own fresh buffers to check.
  pool.length = 0;
  try {
    await job;
    outcome = 'resolved';
  } catch (error) {
    const e = error as { code?: unknown; message?: string };
    outcome = `rejected: ${e.message}`;
    if (lost === null) throw error;
    assert.equal(e.code, 'ERR_MFL_INVALID_TYPE');
    assert.ok(error instanceof TypeError);
    assert.equal(e.message, `${lost}: the ArrayBuffer was detached or resized while the job ran`);
  }
  await Promise.all(exits);
  if (remaining() <= 0) return TOO_SHORT;
  for (const [key, value] of Object.entries(arrays)) {
    if (value === null || detached.includes(key)) continue;
    if (lost === null) {
      assert.equal(outcome, 'resolved');
      assertBitIdentical(value, expected[key]!, key);
    } else {
      assertBitIdentical(value, before[key]!, `${key} (nothing is written back)`);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const fresh of pool)
    assert.ok(
      fresh.every((v) => v === FILL),
      'a fresh buffer was written',
    );
  return outcome;
}

async function sgld(scale: number): Promise<string> {
  const steps = 2000 * scale;
  const config = sgldConfig({ P: 200, d: 12, N: 128, PTest: 50, steps, eta: 1e-3 });
  const data = sgldData(config);
  const state = initialState(config);
  const acc = createSgldAccumulators(config);
  const sync = { state: initialState(config), acc: createSgldAccumulators(config) };
  backend.sgldRun(config, data, sync.state, sync.acc, 0, config.steps);
  const arrays: Arrays = { 'state.W': state.W, 'state.a': state.a };
  const expected: Arrays = { 'state.W': sync.state.W, 'state.a': sync.state.a };
  for (const [k, v] of Object.entries(acc)) arrays[`acc.${k}`] = v as Float64Array;
  for (const [k, v] of Object.entries(sync.acc)) expected[`acc.${k}`] = v as Float64Array;
  const before = copies(arrays);
  const victims = { input: ['data.X'], inout: ['state.W'], both: ['data.X', 'acc.sumQ'] }[which]!;
  const all: Arrays = { ...arrays, 'data.X': data.X };
  const d = disturber(victims.map((v) => all[v]!));
  const job = backend.sgldRunAsync(config, data, state, acc, 0, config.steps, {
    onProgress: d.onProgress,
  });
  const lost = victims.find((v) => !v.startsWith('data.')) ?? null;
  return check(job, arrays, expected, before, victims, lost, d.remaining);
}

async function mf(scale: number): Promise<string> {
  const steps = 400 * scale;
  const config = mfKernelConfig({ P: 120, d: 10, PTest: 40, M: 400, N: 400, steps });
  const data = mfData(config);
  const state = mfInitialState(config);
  const acc = createMfAccumulators(config);
  const sync = { state: mfInitialState(config), acc: createMfAccumulators(config) };
  backend.mfRun(config, data, sync.state, sync.acc, 0, config.steps);
  const arrays: Arrays = {};
  const expected: Arrays = {};
  for (const k of ['W', 'rho', 'rPrev'] as const) {
    arrays[`state.${k}`] = state[k];
    expected[`state.${k}`] = sync.state[k];
  }
  for (const [k, v] of Object.entries(acc)) arrays[`acc.${k}`] = v as Float64Array;
  for (const [k, v] of Object.entries(sync.acc)) expected[`acc.${k}`] = v as Float64Array;
  const before = copies(arrays);
  const victims = { input: ['data.X'], inout: ['state.W'], both: ['data.y', 'acc.hist'] }[which]!;
  const all: Arrays = { ...arrays, 'data.X': data.X, 'data.y': data.y };
  const d = disturber(victims.map((v) => all[v]!));
  const job = backend.mfRunAsync(config, data, state, acc, 0, config.steps, {
    onProgress: d.onProgress,
  });
  const lost = victims.find((v) => !v.startsWith('data.')) ?? null;
  return check(job, arrays, expected, before, victims, lost, d.remaining);
}

async function tasks(scale: number): Promise<string> {
  const params: TaskParams = { kind: 'single-index', d: 10, k: 3, labelNoise: 0.2, seed: 77 };
  const n = 100000 * scale;
  const rows = { X: new Float64Array(n * params.d).fill(-1), y: new Float64Array(n).fill(-1) };
  const sync = { X: new Float64Array(n * params.d), y: new Float64Array(n) };
  backend.generateTaskRows(params, { test: false, rowOffset: 0, ...sync });
  const arrays: Arrays = { X: rows.X, y: rows.y };
  const before = copies(arrays);
  // X and y are both outputs; 'input' transfers nothing the job reads, 'both' two outputs.
  const victims = { input: [], inout: ['X'], both: ['y', 'X'] }[which] as string[];
  const d = disturber(victims.map((v) => arrays[v]!));
  const job = backend.generateTaskRowsAsync(
    params,
    { test: false, rowOffset: 0, ...rows },
    {
      onProgress: d.onProgress,
    },
  );
  if (victims.length === 0) {
    await job;
    assertBitIdentical(rows.X, sync.X, 'X');
    assertBitIdentical(rows.y, sync.y, 'y');
    return 'resolved';
  }
  // Both are checked before either is written: the first in argument order is named.
  const lost = victims.includes('X') ? 'X' : 'y';
  return check(job, arrays, sync, before, victims, lost, d.remaining);
}

/**
 * Runs the case with a job `scale` times longer until its first progress report came while it
 * still had work left: reports are at most every 0.1 s, so how long a job must be to see one
 * depends on this machine's speed, which is measured here rather than assumed.
 */
async function runSized(
  run: (scale: number) => Promise<string>,
  maxScale: number,
): Promise<{ outcome: string; scale: number }> {
  for (let scale = 1; ; scale *= 4) {
    const outcome = await run(scale);
    if (outcome !== TOO_SHORT) return { outcome, scale };
    if (scale * 4 > maxScale) {
      throw new Error(`even at ${scale}x the job ended before its first progress report`);
    }
  }
}

// generateTaskRows allocates its rows twice: 1.6 million rows of d = 10 are 256 MiB.
const KERNELS: Record<string, [run: (scale: number) => Promise<string>, maxScale: number]> = {
  sgld: [sgld, 1024],
  mf: [mf, 1024],
  generateTaskRows: [tasks, 16],
};
const chosen = KERNELS[kernel];
if (!chosen) throw new Error(`unknown kernel ${kernel}`);
console.log(JSON.stringify({ kernel, which, how, ...(await runSized(...chosen)) }));
