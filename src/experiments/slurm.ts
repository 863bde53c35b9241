/**
 * `mfl sweep --emit slurm`: a Slurm job-array script that runs a sweep's shards on a cluster, one
 * array task per shard, each into its own folder, ready for `mfl merge`. The resolved spec is
 * copied beside the script, so later edits of the original file (or of a preset) cannot change
 * what the array computes.
 */
import path from 'node:path';
import { packageRoot } from '../binding.js';
import { outOfRange } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../tasks/io/files.js';
import { sweepHash, sweepPoints } from './points.js';
import type { SweepSpec } from './types.js';

/** Options of `emitSlurm`. */
export interface SlurmOptions {
  /** Folder for the script, the spec copy, shard outputs (DIR/shards/i) and logs. */
  out: string;
  /** Array tasks (shards), integer in [1, points]. */
  shards: number;
  /** CPUs per task; each shard runs that many points at once. Default 2. */
  cpusPerTask?: number;
  /** Wall-time limit per task, Slurm syntax ("HH:MM:SS" or "D-HH:MM:SS"). Default "24:00:00". */
  time?: string;
  /** Memory per task, Slurm syntax ("8G"). Default "8G". */
  mem?: string;
  /** BLAS threads per point (default 1): equal counts give equal numbers, so every shard of a
   *  sweep runs with the same count whatever its CPUs. */
  blasThreads?: number;
  /**
   * Threads per SGLD or MF point (default 1). Each task then runs floor(CPUs / threads) points at once
   * (at least one), so jobs x threads stays within the CPUs Slurm gave it.
   */
  threads?: number;
  /** Extra `#SBATCH` lines, e.g. "--partition=cpu". */
  sbatch?: string[];
}

/** Quotes `s` for a POSIX shell. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What `emitSlurm` wrote. */
export interface SlurmFiles {
  script: string;
  spec: string;
  shards: number;
  points: number;
}

/**
 * Writes DIR/sweep.slurm and DIR/spec.json.
 * @throws MflRangeError for a shard count outside [1, points] or malformed Slurm values
 */
export async function emitSlurm(spec: SweepSpec, options: SlurmOptions): Promise<SlurmFiles> {
  const points = sweepPoints(spec);
  const { shards } = options;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > points.length) {
    throw outOfRange(
      '--shards',
      `an integer in [1, ${points.length}] (the sweep's points)`,
      shards,
    );
  }
  const cpus = options.cpusPerTask ?? 2;
  if (!Number.isSafeInteger(cpus) || cpus < 1 || cpus > 4096) {
    throw outOfRange('--cpus-per-task', 'an integer in [1, 4096]', cpus);
  }
  const blasThreads = options.blasThreads ?? 1;
  if (!Number.isSafeInteger(blasThreads) || blasThreads < 1 || blasThreads > 4096) {
    throw outOfRange('--blas-threads', 'an integer in [1, 4096]', blasThreads);
  }
  const threads = options.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > cpus) {
    throw outOfRange('--threads', `an integer in [1, ${cpus}] (--cpus-per-task)`, threads);
  }
  const time = options.time ?? '24:00:00';
  if (!/^(\d+-)?\d+(:\d{2}){0,2}$/.test(time)) {
    throw outOfRange('--time', 'a Slurm time such as "24:00:00" or "2-00:00:00"', time);
  }
  const mem = options.mem ?? '8G';
  if (!/^\d+[KMGT]?$/.test(mem)) throw outOfRange('--mem', 'a Slurm size such as "8G"', mem);
  const dir = path.resolve(options.out);
  // Slurm opens the log files before the script runs: the folder must exist at submission.
  await ensureWritableDir(path.join(dir, 'logs'));
  const specFile = path.join(dir, 'spec.json');
  await writeFileAtomic(specFile, [`${JSON.stringify(spec, null, 2)}\n`]);
  const mfl = `${shellQuote(process.execPath)} ${shellQuote(path.join(packageRoot, 'bin', 'mfl.js'))}`;
  const q = shellQuote;
  const lines = [
    '#!/bin/bash',
    `# mfl sweep "${spec.name}": ${points.length} points (hash ${sweepHash(points)}) in ${shards} shards.`,
    `#   submit:   sbatch ${q(path.join(dir, 'sweep.slurm'))}`,
    `#   then:     mfl merge ${q(path.join(dir, 'shards'))}/* --out ${q(dir)}`,
    '#             (or submit that with --dependency=afterok:<array job id>)',
    '# A task that is killed or times out resumes where it stopped when resubmitted',
    '# (sbatch --array=<its index> ...): finished points are skipped, SGLD points restart from',
    '# their last checkpoint.',
    `#SBATCH --job-name=mfl-${spec.name}`,
    `#SBATCH --array=0-${shards - 1}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --time=${time}`,
    `#SBATCH --mem=${mem}`,
    `#SBATCH --output=${dir}/logs/shard-%a.out`,
    // A resubmitted task writes to the same log: appending keeps what the stopped run printed
    // (the scheduler's reason for stopping it, mfl's cancellation notice) instead of truncating it.
    '#SBATCH --open-mode=append',
    ...(options.sbatch ?? []).map((s) => `#SBATCH ${s}`),
    'set -euo pipefail',
    `MFL=\${MFL:-"${mfl}"}`,
    'TASK="${SLURM_ARRAY_TASK_ID:?run this script with sbatch (or set SLURM_ARRAY_TASK_ID)}"',
    `CPUS="\${SLURM_CPUS_PER_TASK:-${cpus}}"`,
    `JOBS=$(( CPUS / ${threads} > 0 ? CPUS / ${threads} : 1 ))`,
    `$MFL sweep ${q(specFile)} --shard "$TASK/${shards}" --jobs "$JOBS" \\`,
    `  --blas-threads ${blasThreads} --threads ${threads} \\`,
    `  --out ${q(path.join(dir, 'shards'))}/"$TASK"`,
    '',
  ];
  const script = path.join(dir, 'sweep.slurm');
  await writeFileAtomic(script, [lines.join('\n')]);
  return { script, spec: specFile, shards, points: points.length };
}
