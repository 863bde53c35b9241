/**
 * What `mfl sweep` shows while it runs. On a terminal: an overall bar (points, ETA) and one bar
 * per running point (its steps). Otherwise (logs of cluster jobs, pipes): one line per finished
 * or failed point, so a log tells what was done and how long it took.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent } from '../experiments/sweep.js';
import type { AxisValue, SweepPoint } from '../experiments/types.js';
import { formatValue } from './format.js';
import type { CliIo } from './io.js';

/** "sgld P=80 seed=2": a point in a few words (path prefixes dropped). */
export function pointLabel(point: Pick<SweepPoint, 'method' | 'params'>): string {
  const params = Object.entries(point.params).map(
    ([k, v]: [string, AxisValue]) => `${k.split('.').pop()}=${v}`,
  );
  return [point.method, ...params].join(' ');
}

/** Receives sweep events; `stop` clears any bars. */
export interface SweepDisplay {
  onEvent(event: SweepEvent): void;
  stop(): void;
}

/** A display writing to stderr (bars only when it is a terminal). */
export function createSweepDisplay(
  io: CliIo,
  stream: NodeJS.WriteStream = process.stderr,
): SweepDisplay {
  let total = 0;
  let finished = 0;
  const lineFor = (e: SweepEvent & { type: 'done' | 'failed' }): string => {
    const head = `[${finished}/${total}] ${pointLabel(e.point)}`;
    if (e.type === 'failed') return `${head}: FAILED: ${e.failure.error.message}`;
    const o = e.record.observables;
    return (
      `${head}: testMse ${formatValue(o.testMse)}, mS ${formatValue(o.mS)}` +
      ` (${e.record.timings.seconds.toFixed(1)} s)`
    );
  };
  if (!stream.isTTY) {
    return {
      onEvent(e) {
        if (e.type === 'plan') {
          total = e.shardPoints;
          finished = e.done;
          io.stderr(
            `sweep: ${e.shardPoints} points (${e.done} already done), ${e.jobs} jobs x ` +
              `${e.blasThreads} BLAS threads\n`,
          );
        } else if (e.type === 'done' || e.type === 'failed') {
          finished++;
          io.stderr(`${lineFor(e)}\n`);
        }
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
      format: '{label} [{bar}] {percentage}% | {value}/{total} {unit} | ETA {eta_formatted}',
      etaBuffer: 50,
    },
    cliProgress.Presets.legacy,
  );
  let overall: cliProgress.SingleBar | null = null;
  const running = new Map<string, cliProgress.SingleBar>();
  return {
    onEvent(e) {
      switch (e.type) {
        case 'plan':
          total = e.shardPoints;
          finished = e.done;
          overall = multi.create(e.shardPoints, e.done, { label: 'sweep', unit: 'points' });
          break;
        case 'start':
          running.set(
            e.point.id,
            multi.create(1, 0, { label: `  ${pointLabel(e.point)}`, unit: 'steps' }),
          );
          break;
        case 'progress': {
          const bar = running.get(e.point.id);
          bar?.setTotal(e.total);
          bar?.update(e.done);
          break;
        }
        case 'done':
        case 'failed': {
          finished++;
          const bar = running.get(e.point.id);
          if (bar) multi.remove(bar);
          running.delete(e.point.id);
          overall?.increment();
          multi.log(`${lineFor(e)}\n`);
          break;
        }
      }
    },
    stop() {
      multi.stop();
    },
  };
}
