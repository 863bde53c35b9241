/**
 * `mfl sweep SPEC --out DIR` runs a sweep (or one shard of it, or writes a Slurm array script for
 * all shards) and `mfl merge DIR... --out DIR` joins shard folders. docs/experiments.md has the
 * spec format; this file only parses flags and prints.
 */
import path from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { MflError } from '../../errors.js';
import { merge } from '../../experiments/merge.js';
import { parseShard, shardPoints, sweepPoints } from '../../experiments/points.js';
import { FAILURES_FILE, RESULTS_FILE } from '../../experiments/results.js';
import { emitSlurm } from '../../experiments/slurm.js';
import { SCALES, parseSweepSpec, readSweepInput } from '../../experiments/spec.js';
import type { Scale } from '../../experiments/spec.js';
import { sweep } from '../../experiments/sweep.js';
import type { SweepSummary } from '../../experiments/sweep.js';
import type { SweepSpec } from '../../experiments/types.js';
import { table } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import { addJsonOption, numberFlag } from '../options.js';
import type { JsonFlagValue } from '../options.js';
import { createSweepDisplay, pointLabel } from '../sweep-progress.js';
import { warnIfSlowBackend } from '../fallback.js';
import { sweepWarnings } from '../../experiments/warnings.js';
import { printSweepWarnings } from '../warnings.js';

/** Flags of the commands that run a sweep (sweep, reproduce, demo). */
export interface RunFlags {
  out?: string;
  scale?: Scale;
  jobs?: number;
  blasThreads?: number;
  threads?: number;
  shard?: string;
}

interface SweepFlags extends RunFlags, JsonFlagValue {
  emit?: 'slurm';
  shards?: number;
  cpusPerTask?: number;
  time?: string;
  mem?: string;
  list?: boolean;
}

/** Adds --scale --jobs --blas-threads --threads --shard. */
export function addRunOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--scale <scale>',
        'which of the spec\'s scales to run (default: "small" when it has scales)',
      ).choices(SCALES),
    )
    .option(
      '--jobs <n>',
      'points run at once, each in its own process (default: the number of cores)',
      numberFlag('--jobs', 'an integer'),
    )
    .option(
      '--blas-threads <n>',
      'BLAS threads per job (default 1; parallelism comes from --jobs); equal counts give equal numbers',
      numberFlag('--blas-threads', 'an integer'),
    )
    .option(
      '--threads <n>',
      'threads per SGLD or MF point: blocks of chains or of particles (default 1, so jobs x ' +
        'threads stays within the cores); the numbers do not depend on it',
      numberFlag('--threads', 'an integer'),
    )
    .option('--shard <i/n>', 'run only shard i of n (0-based): every n-th point from the i-th');
}

/** The spec of a file or preset with the requested scale ("small" by default when it has any). */
export function loadSweepSpec(
  fileOrPreset: string,
  scale: Scale | undefined,
): { spec: SweepSpec; scale: Scale | null } {
  const { input } = readSweepInput(fileOrPreset);
  const hasScales =
    typeof input === 'object' && input !== null && 'scales' in input && input.scales !== undefined;
  const chosen = scale ?? (hasScales ? 'small' : undefined);
  return { spec: parseSweepSpec(input, chosen), scale: chosen ?? null };
}

/**
 * Runs the sweep with a progress display; SIGINT (Ctrl-C) or SIGTERM (a scheduler's time limit or
 * scancel) cancels it, finished points stay.
 * @throws MflError ERR_MFL_POINTS_FAILED when some points failed (after printing the summary)
 */
export async function runSweepCommand(
  spec: SweepSpec,
  scale: Scale | null,
  flags: RunFlags & { out: string },
  io: CliIo,
): Promise<SweepSummary> {
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const points = shardPoints(sweepPoints(spec), shard);
  printSweepWarnings(io, sweepWarnings(points), points.length);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const display = createSweepDisplay(io);
  try {
    return await sweep(spec, {
      out: flags.out,
      scale,
      shard,
      ...(flags.jobs !== undefined && { jobs: flags.jobs }),
      ...(flags.blasThreads !== undefined && { blasThreads: flags.blasThreads }),
      ...(flags.threads !== undefined && { threads: flags.threads }),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'start') warnIfSlowBackend(io);
        display.onEvent(e);
      },
    });
  } finally {
    display.stop();
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
}

/** One paragraph on what a sweep did and where its results are. */
export function formatSweepSummary(s: SweepSummary): string {
  const lines = [
    `sweep ${s.hash}: ${s.records.length} of ${s.shardPoints} points recorded` +
      (s.shardPoints !== s.points ? ` (this shard; ${s.points} in the sweep)` : '') +
      ` (${s.skipped} already done, ${s.ran} run now, ${s.failed.length} failed) in ` +
      `${s.seconds.toFixed(1)} s`,
    `results: ${path.join(s.dir, RESULTS_FILE)}`,
  ];
  if (s.failed.length) {
    lines.push(
      `failed points (${path.join(s.dir, FAILURES_FILE)}; the same command retries them):`,
      ...s.failed.map((f) => `  ${pointLabel(f)}: ${f.error.message}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Throws when points failed, so the exit status says the sweep is incomplete. */
export function checkFailures(s: SweepSummary): void {
  if (s.failed.length) {
    throw new MflError(
      'ERR_MFL_POINTS_FAILED',
      `${s.failed.length} of ${s.shardPoints} points failed (see ${path.join(s.dir, FAILURES_FILE)})`,
    );
  }
}

function listPoints(spec: SweepSpec, flags: SweepFlags, io: CliIo): void {
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const points = shardPoints(sweepPoints(spec), shard);
  if (flags.json) return printJson(io, points);
  io.stdout(
    table(
      ['index', 'id', 'point'],
      points.map((p) => [String(p.index), p.id, pointLabel(p)]),
      new Set([0]),
    ),
  );
}

/** Registers `sweep` and `merge` on `program`. */
export function registerSweep(program: Command, io: CliIo): void {
  const command = program
    .command('sweep')
    .argument(
      '<spec>',
      'a sweep spec (.json file) or the name of a preset (see `mfl reproduce --help`)',
    )
    .description(
      'run a sweep: every method of the spec at every point of its grid, in parallel; ' +
        'finished points are appended to DIR/results.jsonl and skipped when the same command runs again',
    )
    .option('--out <dir>', 'output folder (required)');
  addRunOptions(command)
    .option('--list', 'print the points (of --shard, if given) and exit')
    .addOption(
      new Option(
        '--emit <kind>',
        'write a job-array script for all shards instead of running',
      ).choices(['slurm'] as const),
    )
    .option(
      '--shards <n>',
      'with --emit: number of array tasks',
      numberFlag('--shards', 'an integer'),
    )
    .option(
      '--cpus-per-task <n>',
      'with --emit: CPUs per task (default 2)',
      numberFlag('--cpus-per-task', 'an integer'),
    )
    .option('--time <limit>', 'with --emit: time limit per task (default 24:00:00)')
    .option('--mem <size>', 'with --emit: memory per task (default 8G)')
    .addHelpText(
      'after',
      '\nExit codes: 0 every point recorded, 1 some points failed (re-run to retry), 2 bad input, ' +
        '130 cancelled by SIGINT/SIGTERM (re-run to continue).\n',
    );
  addJsonOption(command).action(async (file: string, flags: SweepFlags) => {
    const { spec, scale } = loadSweepSpec(file, flags.scale);
    if (flags.list) return listPoints(spec, flags, io);
    if (flags.out === undefined)
      throw new MflError('ERR_MFL_OUT_OF_RANGE', '--out: required (the output folder)');
    if (flags.emit === 'slurm') {
      if (flags.shards === undefined)
        throw new MflError('ERR_MFL_OUT_OF_RANGE', '--shards: required with --emit slurm');
      const points = sweepPoints(spec);
      printSweepWarnings(io, sweepWarnings(points), points.length);
      const files = await emitSlurm(spec, {
        out: flags.out,
        shards: flags.shards,
        ...(flags.cpusPerTask !== undefined && { cpusPerTask: flags.cpusPerTask }),
        ...(flags.time !== undefined && { time: flags.time }),
        ...(flags.mem !== undefined && { mem: flags.mem }),
        ...(flags.blasThreads !== undefined && { blasThreads: flags.blasThreads }),
        ...(flags.threads !== undefined && { threads: flags.threads }),
      });
      if (flags.json) return printJson(io, files);
      io.stdout(
        `wrote ${files.script} (${files.shards} array tasks over ${files.points} points)\n` +
          `submit: sbatch ${files.script}\n` +
          `then:   mfl merge ${path.join(path.resolve(flags.out), 'shards')}/* --out ${path.resolve(flags.out)}\n`,
      );
      return;
    }
    const summary = await runSweepCommand(spec, scale, { ...flags, out: flags.out }, io);
    if (flags.json) printJson(io, { ...summary, records: summary.records.length });
    else io.stdout(formatSweepSummary(summary));
    checkFailures(summary);
  });

  const mergeCommand = program
    .command('merge')
    .argument('<dirs...>', 'sweep folders to join (shards of one sweep)')
    .description("join the folders of a sweep's shards into one (each point once, in point order)")
    .option('--out <dir>', 'output folder (required; may be one of the inputs)');
  addJsonOption(mergeCommand).action(
    async (dirs: string[], flags: { out?: string } & JsonFlagValue) => {
      if (flags.out === undefined)
        throw new MflError('ERR_MFL_OUT_OF_RANGE', '--out: required (the merged folder)');
      const s = await merge(dirs, flags.out);
      if (flags.json) return printJson(io, s);
      io.stdout(
        `merged ${dirs.length} folders into ${s.out}: ${s.records} of ${s.points} points` +
          (s.duplicates ? ` (${s.duplicates} found twice, identical)` : '') +
          (s.missing ? `; ${s.missing} still missing` : '') +
          '\n',
      );
    },
  );
}
