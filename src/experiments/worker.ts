/**
 * A sweep worker process: runs the points its parent sends, one at a time, and reports progress
 * and each record back over IPC. It exits when the parent goes away (the parent's crash or kill
 * must not leave orphans computing points nobody will record).
 */
import { runPoint } from './run-point.js';
import type { RunPointOptions } from './run-point.js';
import type { SweepPoint } from './types.js';

/** Parent -> worker. */
export type ToWorker =
  | { type: 'run'; point: SweepPoint; options: Omit<RunPointOptions, 'signal' | 'onProgress'> }
  | { type: 'cancel' };

/** Worker -> parent. */
export type FromWorker =
  | { type: 'progress'; id: string; done: number; total: number }
  | { type: 'done'; id: string; record: unknown }
  | { type: 'failed'; id: string; error: { code: string | null; message: string } };

/** Progress messages at most this often (ms): a sweep's bar needs no more. */
const PROGRESS_INTERVAL = 500;

function send(message: FromWorker): void {
  process.send?.(message);
}

let controller: AbortController | null = null;

async function run(point: SweepPoint, options: ToWorker & { type: 'run' }): Promise<void> {
  controller = new AbortController();
  let last = 0;
  try {
    const record = await runPoint(point, {
      ...options.options,
      signal: controller.signal,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - last < PROGRESS_INTERVAL && done < total) return;
        last = now;
        send({ type: 'progress', id: point.id, done, total });
      },
    });
    send({ type: 'done', id: point.id, record });
  } catch (err) {
    const e = err as Error & { code?: unknown };
    send({
      type: 'failed',
      id: point.id,
      error: { code: typeof e.code === 'string' ? e.code : null, message: String(e.message ?? e) },
    });
  } finally {
    controller = null;
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') controller?.abort();
  else void run(message.point, message);
});
process.on('disconnect', () => process.exit(0));
// Ctrl-C (and a scheduler's SIGTERM) reaches the whole process group: the parent decides (it
// cancels the running point and records nothing for it), so a worker must not die of it first and
// look like a crash. A worker whose parent is gone exits on 'disconnect'.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
