/**
 * Entry point of the `mfl` command: parses `argv`, runs the subcommand, and maps the outcome to an
 * exit code (0 success, 2 bad input, 1 run or unexpected failure, 3 not converged; see
 * cli/errors.ts). Never calls process.exit, so it can run in-process in tests and output is
 * flushed before the process ends.
 */
import { CommanderError } from 'commander';
import { EXIT_USAGE, reportError } from './errors.js';
import { processIo } from './io.js';
import type { CliIo } from './io.js';
import { createProgram } from './program.js';

/** Commander's "exits" for help and version: not errors. */
const INFORMATIONAL = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Runs `mfl` with the given arguments.
 * @param argv the arguments after the program name, e.g. `['data', '--task', 'parity', ...]`
 * @param io where output goes (default: the process's streams and environment)
 * @returns the exit code: 0 success, 2 bad input (one line `mfl: <message>` on stderr),
 *   1 run failure or unexpected failure, 3 finished without converging
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError && INFORMATIONAL.has(err.code)) return 0;
    // `mfl` alone prints the help on stderr: a usage error, but the help is the message.
    if (err instanceof CommanderError && err.code === 'commander.help') return EXIT_USAGE;
    return reportError(err, io);
  }
}
