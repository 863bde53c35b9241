/**
 * Progress bars for long commands: a cli-progress bar with rate and ETA when stderr is a
 * terminal, nothing otherwise (logs and pipes stay clean, and --json output is never mixed with
 * bar redraws since the bar goes to stderr).
 */
import cliProgress from 'cli-progress';

/** Receives progress; `stop` clears the bar (call it on success and on failure). */
export interface ProgressReporter {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: ProgressReporter = { update: () => {}, stop: () => {} };

/** Options of `createProgress`. */
export interface ProgressOptions {
  /** Where the bar goes (default process.stderr); no bar unless it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** Unit shown after the counts and in the rate, e.g. "steps". */
  unit?: string;
}

/**
 * A progress bar labelled `label`, e.g. `sgld [=====-----] 48% | 9600/20000 steps |
 * 4512 steps/s | ETA 2s`, or a reporter that does nothing when the stream is not a terminal.
 */
export function createProgress(label: string, options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY) return SILENT;
  const unit = options.unit ?? 'steps';
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 100,
      fps: 5,
    },
    cliProgress.Presets.legacy,
  );
  let started = false;
  let first = 0;
  let firstTime = 0;
  return {
    update(done, total) {
      const now = performance.now();
      if (!started) {
        // A resumed run starts at its checkpoint: rate and ETA count only this process's steps.
        bar.start(total, done, { rate: '-' });
        started = true;
        first = done;
        firstTime = now;
        return;
      }
      const seconds = (now - firstTime) / 1000;
      const rate = seconds > 0 ? ((done - first) / seconds).toFixed(0) : '-';
      bar.setTotal(total);
      bar.update(done, { rate });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
