/**
 * `sweep()`: runs the points of a sweep spec (or of one shard of it) in parallel worker processes
 * and appends each finished point to DIR/results.jsonl. Points already in DIR are skipped, so the
 * same call after a crash, a kill or a cancel finishes the sweep with exactly the records an
 * uninterrupted run writes (apart from their timings).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../backend/types.js';
import { cancelled, outOfRange } from '../errors.js';
import { removeLeftoverTempFiles } from '../tasks/io/files.js';
import { shardPoints, sweepHash, sweepPoints } from './points.js';
import type { Shard } from './points.js';
import {
  CHECKPOINT_DIR,
  FAILURES_FILE,
  RESULTS_FILE,
  appendLine,
  prepareDir,
  readResults,
} from './results.js';
import type { FailureRecord, SweepManifest } from './results.js';
import type { PointRecord, SweepPoint, SweepSpec } from './types.js';
import type { FromWorker, ToWorker } from './worker.js';

/** What happens during a sweep, for progress displays. */
export type SweepEvent =
  | {
      type: 'plan';
      total: number;
      shardPoints: number;
      done: number;
      pending: number;
      jobs: number;
      blasThreads: number;
    }
  | { type: 'start'; point: SweepPoint }
  | { type: 'progress'; point: SweepPoint; done: number; total: number }
  | { type: 'done'; point: SweepPoint; record: PointRecord }
  | { type: 'failed'; point: SweepPoint; failure: FailureRecord };

/** Options of `sweep`. */
export interface SweepOptions {
  /** Output folder (created if needed). */
  out: string;
  /** Worker processes, integer >= 1; default: the number of cores. */
  jobs?: number;
  /** BLAS threads per worker, integer >= 1; default 1: mfl's kernels gain little from BLAS
   *  threads (README, "Threads"), parallelism comes from the jobs, and equal counts give equal
   *  numbers, so every run and shard of a sweep agrees by default. */
  blasThreads?: number;
  /** Threads of each SGLD and MF point's kernel (`sgld`'s and `meanField`'s threads option),
   *  integer in [1, 256]; default 1, so that jobs x threads stays within the cores with the
   *  default jobs. */
  threads?: number;
  /** Run only shard i of n (null: every point). */
  shard?: Shard | null;
  /** The scale the spec was read with (recorded in sweep.json). */
  scale?: string | null;
  /** Backend of every point (default: the workers' default, MFL_BACKEND or native). */
  backend?: BackendName;
  /** Stops dispatching and cancels running points; finished points stay recorded. */
  signal?: AbortSignal;
  onEvent?: (event: SweepEvent) => void;
}

/** What `sweep` returns. */
export interface SweepSummary {
  dir: string;
  hash: string;
  /** Points of the whole sweep, of this shard, found already done, run now, failed now. */
  points: number;
  shardPoints: number;
  skipped: number;
  ran: number;
  failed: FailureRecord[];
  /** Every record of this shard in DIR, in point order. */
  records: PointRecord[];
  seconds: number;
}

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

function checkCount(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1 || value > 4096)) {
    throw outOfRange(field, 'an integer in [1, 4096]', value);
  }
}

/** A worker process that runs one point at a time. */
class Worker {
  private child: ChildProcess | null = null;
  private pending: {
    resolve: (m: FromWorker & { type: 'done' | 'failed' }) => void;
    onProgress: (done: number, total: number) => void;
  } | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  private spawn(): ChildProcess {
    const child = fork(WORKER_FILE, [], {
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: FromWorker) => {
      if (m.type === 'progress') this.pending?.onProgress(m.done, m.total);
      else {
        const p = this.pending;
        this.pending = null;
        p?.resolve(m);
      }
    });
    // A send to a worker that has just died fails with EPIPE: its exit handler settles the point.
    child.on('error', () => {});
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      const p = this.pending;
      this.pending = null;
      p?.resolve({
        type: 'failed',
        id: '',
        error: {
          code: null,
          message: `the worker process exited (${signal ?? `code ${code}`}) while running the point`,
        },
      });
    });
    return child;
  }

  run(
    point: SweepPoint,
    options: (ToWorker & { type: 'run' })['options'],
    onProgress: (done: number, total: number) => void,
  ): Promise<FromWorker & { type: 'done' | 'failed' }> {
    this.child ??= this.spawn();
    const child = this.child;
    return new Promise((resolve) => {
      this.pending = { resolve, onProgress };
      child.send({ type: 'run', point, options } satisfies ToWorker);
    });
  }

  cancel(): void {
    this.child?.send({ type: 'cancel' } satisfies ToWorker);
  }

  close(): void {
    this.child?.disconnect();
    this.child = null;
  }
}

/**
 * Deletes a finished point's checkpoint (its record now holds everything), and the temp file of a
 * checkpoint write that a killed run left behind: the point's writer has ended.
 */
function removeCheckpoint(dir: string, id: string): void {
  const file = path.join(dir, CHECKPOINT_DIR, `${id}.ckpt`);
  fs.rmSync(file, { force: true });
  removeLeftoverTempFiles(file);
}

/**
 * Runs a sweep (or one shard of it) into `options.out`.
 * @returns the summary; points that failed are listed (and in DIR/failures.jsonl), not thrown
 * @throws MflError ERR_MFL_FORMAT when DIR holds another sweep, ERR_MFL_IO when it is not
 *   writable, ERR_MFL_CANCELLED when the signal fires (finished points stay recorded)
 */
export async function sweep(spec: SweepSpec, options: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  checkCount(options.jobs, 'jobs');
  checkCount(options.blasThreads, 'blasThreads');
  if (
    options.threads !== undefined &&
    (!Number.isSafeInteger(options.threads) || options.threads < 1 || options.threads > 256)
  ) {
    throw outOfRange('threads', 'an integer in [1, 256]', options.threads);
  }
  const cores = os.availableParallelism();
  const points = sweepPoints(spec);
  const hash = sweepHash(points);
  const shard = options.shard ?? null;
  const mine = shardPoints(points, shard);
  const dir = path.resolve(options.out);
  const manifest: SweepManifest = {
    schema: 'mfl.sweep-dir/1',
    hash,
    points: points.length,
    shardPoints: mine.length,
    shard,
    scale: options.scale ?? null,
    spec,
  };
  await prepareDir(dir, manifest);
  fs.mkdirSync(path.join(dir, CHECKPOINT_DIR), { recursive: true });
  const doneIds = new Set(
    readResults(dir, true)
      .filter((r) => r.sweep === hash)
      .map((r) => r.id),
  );
  const queue = mine.filter((p) => !doneIds.has(p.id));
  const skipped = mine.length - queue.length;
  const jobs = Math.max(1, Math.min(options.jobs ?? cores, queue.length));
  const blasThreads = options.blasThreads ?? 1;
  const emit = options.onEvent ?? (() => {});
  emit({
    type: 'plan',
    total: points.length,
    shardPoints: mine.length,
    done: skipped,
    pending: queue.length,
    jobs,
    blasThreads,
  });

  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) };
  const workers = Array.from({ length: queue.length ? jobs : 0 }, () => new Worker(env));
  const failed: FailureRecord[] = [];
  let ran = 0;
  const signal = options.signal;
  const onAbort = () => workers.forEach((w) => w.cancel());
  signal?.addEventListener('abort', onAbort, { once: true });
  const runOptions = {
    ...(options.backend !== undefined && { backend: options.backend }),
    checkpointDir: path.join(dir, CHECKPOINT_DIR),
    blasThreads,
    threads: options.threads ?? 1,
  };

  const drain = async (worker: Worker): Promise<void> => {
    for (let point = queue.shift(); point; point = queue.shift()) {
      if (signal?.aborted) return;
      emit({ type: 'start', point });
      const p = point;
      const reply = await worker.run(p, runOptions, (done, total) =>
        emit({ type: 'progress', point: p, done, total }),
      );
      if (signal?.aborted) return;
      if (reply.type === 'done') {
        const record = {
          ...(reply.record as Omit<PointRecord, 'sweep'>),
          sweep: hash,
        } as PointRecord;
        appendLine(path.join(dir, RESULTS_FILE), record);
        removeCheckpoint(dir, p.id);
        ran++;
        emit({ type: 'done', point: p, record });
      } else {
        const failure: FailureRecord = {
          schema: 'mfl.failure/1',
          sweep: hash,
          index: p.index,
          id: p.id,
          method: p.method,
          params: p.params,
          error: reply.error,
          at: new Date().toISOString(),
        };
        appendLine(path.join(dir, FAILURES_FILE), failure);
        failed.push(failure);
        emit({ type: 'failed', point: p, failure });
      }
    }
  };
  try {
    await Promise.all(workers.map(drain));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    workers.forEach((w) => w.close());
  }
  if (signal?.aborted) throw cancelled('the sweep');
  const order = new Map(mine.map((p, i) => [p.id, i]));
  const records = readResults(dir)
    .filter((r) => r.sweep === hash && order.has(r.id))
    .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    dir,
    hash,
    points: points.length,
    shardPoints: mine.length,
    skipped,
    ran,
    failed,
    records,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Checks that a results folder is complete, naming what is missing. */
export function missingPoints(
  spec: SweepSpec,
  records: readonly PointRecord[],
  shard: Shard | null = null,
): SweepPoint[] {
  const have = new Set(records.map((r) => r.id));
  return shardPoints(sweepPoints(spec), shard).filter((p) => !have.has(p.id));
}
