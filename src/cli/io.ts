/**
 * Where the CLI writes, injectable so tests can run `main` in-process and capture output.
 */

/** Output sinks and environment of one CLI run. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/**
 * A reader that stops early (`mfl ... | head`) closes the pipe; the next write then fails with
 * EPIPE. Like a Unix tool on SIGPIPE, stop quietly instead of printing a stack; a sweep keeps
 * what it finished (its records are on disk, point by point) and resumes as after any stop.
 */
function exitOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  exitOnClosedPipe(process.stdout);
  exitOnClosedPipe(process.stderr);
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
  };
}

/** Prints `value` as pretty JSON followed by a newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
