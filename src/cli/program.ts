/**
 * The `mfl` command tree. Each subcommand lives in its own file under commands/ and registers
 * itself on the program; settings that must hold everywhere (throw instead of exit, output
 * through `io`) are set on the program before any subcommand is created, so they are inherited.
 */
import { Command } from 'commander';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerMf } from './commands/mf.js';
import { registerNngp } from './commands/nngp.js';
import { registerReport } from './commands/reproduce.js';
import { registerSgld } from './commands/sgld.js';
import { registerSweep } from './commands/sweep.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

/** Builds the program; parse errors throw CommanderError (main turns them into exit code 2). */
export function createProgram(io: CliIo): Command {
  const program = new Command('mfl')
    .description(
      'Bayesian two-layer networks trained by SGLD, compared with their kernel (NNGP) and ' +
        'mean-field theories.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // main prints parse errors itself, as one line.
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nEnvironment:\n' +
        '  MFL_BACKEND=native|js  backend (default: native when the addon is built, else js)\n' +
        '  MFL_DEBUG=1            print stack traces of unexpected errors\n' +
        '\nExit codes: 0 success, 1 run failure (e.g. SGLD diverged, sweep points failed) or ' +
        'unexpected failure, 2 bad input, 3 finished without converging (mfl mf), 130 cancelled by ' +
        'SIGINT/SIGTERM.\n',
    );
  registerDemo(program, io);
  registerDoctor(program, io);
  registerData(program, io);
  registerSgld(program, io);
  registerNngp(program, io);
  registerMf(program, io);
  registerSweep(program, io);
  registerReport(program, io);
  return program;
}
