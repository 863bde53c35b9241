/**
 * How the CLI reports failures. Bad input (our errors, whose codes start with ERR_MFL_, and
 * commander's parse errors) is the user's to fix: one line `mfl: <message>` and exit code 2, never
 * a stack. Anything else is a bug or an environment failure: the message, exit code 1, and the
 * stack only with MFL_DEBUG=1.
 */
import { CommanderError } from 'commander';
import type { CliIo } from './io.js';

/** Exit code for bad input (usage errors). */
export const EXIT_USAGE = 2;
/** Exit code for work cancelled by SIGINT or SIGTERM (128 + SIGINT, the shell's convention). */
export const EXIT_INTERRUPTED = 130;
/** Exit code for unexpected failures. */
export const EXIT_FAILURE = 1;
/** Exit code of a run that finished, and printed its result, without converging. */
export const EXIT_NOT_CONVERGED = 3;

/**
 * Thrown by a command after it printed a result that did not converge: not a failure of the run
 * (the result is there) nor bad input. One line saying what did not converge and what to try,
 * exit code 3.
 */
export class NotConvergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConvergedError';
  }
}

/**
 * Codes of failures that are not bad input but need no stack either: the run itself failed
 * (numerically), and the message says what to change. One line, exit code 1.
 */
const RUN_FAILURES: ReadonlySet<string> = new Set(['ERR_MFL_DIVERGED', 'ERR_MFL_POINTS_FAILED']);

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** True for errors the user caused and can fix from the message alone. */
export function isUserError(err: unknown): err is Error {
  if (err instanceof CommanderError) return true;
  const code = codeOf(err);
  return (
    err instanceof Error &&
    typeof code === 'string' &&
    code.startsWith('ERR_MFL_') &&
    !RUN_FAILURES.has(code)
  );
}

/** The message on one line, without commander's "error: " prefix. */
export function oneLine(message: string): string {
  return message
    .replace(/^error:\s*/i, '')
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(' ');
}

/**
 * Prints `err` and returns the exit code.
 * @returns 2 for user errors, 3 for a result that did not converge (one line), 130 for work
 *   cancelled by SIGINT or SIGTERM, 1 otherwise (run failures such as SGLD divergence: one line too)
 */
export function reportError(err: unknown, io: CliIo): number {
  if (codeOf(err) === 'ERR_MFL_CANCELLED') {
    io.stderr(
      `mfl: ${oneLine((err as Error).message)}; finished work is kept, run the same command ` +
        'again to continue\n',
    );
    return EXIT_INTERRUPTED;
  }
  if (err instanceof NotConvergedError) {
    io.stderr(`mfl: ${oneLine(err.message)}\n`);
    return EXIT_NOT_CONVERGED;
  }
  if (isUserError(err)) {
    io.stderr(`mfl: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  const code = codeOf(err);
  if (err instanceof Error && typeof code === 'string' && RUN_FAILURES.has(code)) {
    io.stderr(`mfl: ${oneLine(err.message)}\n`);
    return EXIT_FAILURE;
  }
  const debug = io.env.MFL_DEBUG === '1';
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`mfl: ${message}\n`);
  if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr('mfl: this looks like a bug; rerun with MFL_DEBUG=1 for the stack trace\n');
  return EXIT_FAILURE;
}
