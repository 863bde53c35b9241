/**
 * A sweep's output folder (docs/experiments.md, "Output"):
 *   sweep.json      the resolved spec, its point count and hash, the shard this folder holds
 *   results.jsonl   one PointRecord per finished point, appended one whole line at a time
 *   failures.jsonl  points that threw (retried by the next run of the same command)
 *   checkpoints/    SGLD checkpoints of unfinished points
 * A crash can leave at most a torn last line in results.jsonl; the next run cuts it off, so every
 * line that remains is a complete record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MflError } from '../errors.js';
import { ensureWritableDir, ioError, writeFileAtomic } from '../tasks/io/files.js';
import type { Shard } from './points.js';
import type { AxisValue, PointRecord, SweepMethod, SweepSpec } from './types.js';

export const SWEEP_FILE = 'sweep.json';
export const RESULTS_FILE = 'results.jsonl';
export const FAILURES_FILE = 'failures.jsonl';
export const CHECKPOINT_DIR = 'checkpoints';

/** DIR/sweep.json. */
export interface SweepManifest {
  schema: 'mfl.sweep-dir/1';
  /** Hash of the full point list (sweepHash). */
  hash: string;
  /** Points of the whole sweep, and of the shard this folder holds. */
  points: number;
  shardPoints: number;
  shard: Shard | null;
  scale: string | null;
  spec: SweepSpec;
}

/** One line of DIR/failures.jsonl. */
export interface FailureRecord {
  schema: 'mfl.failure/1';
  sweep: string;
  index: number;
  id: string;
  method: SweepMethod;
  params: Record<string, AxisValue>;
  error: { code: string | null; message: string };
  at: string;
}

/** Reads DIR/sweep.json, or null when the folder has none. */
export function readManifest(dir: string): SweepManifest | null {
  const file = path.join(dir, SWEEP_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepManifest;
  } catch (err) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `${file}: not a sweep manifest (${(err as Error).message})`,
    );
  }
}

/**
 * Prepares `dir` for `manifest`: creates it (proving it takes a write), writes sweep.json, or
 * checks that the one there describes the same sweep and shard.
 * @throws MflError ERR_MFL_IO for an unwritable folder, ERR_MFL_FORMAT when it holds another sweep
 */
export async function prepareDir(dir: string, manifest: SweepManifest): Promise<void> {
  await ensureWritableDir(dir);
  const existing = readManifest(dir);
  if (existing) {
    const sameShard =
      (existing.shard === null && manifest.shard === null) ||
      (existing.shard?.index === manifest.shard?.index &&
        existing.shard?.count === manifest.shard?.count);
    if (existing.hash !== manifest.hash || !sameShard) {
      throw new MflError(
        'ERR_MFL_FORMAT',
        `${dir} holds results of another sweep (${existing.spec?.name ?? '?'}, hash ` +
          `${existing.hash}, shard ${shardText(existing.shard)}); this one is ` +
          `${manifest.spec.name}, hash ${manifest.hash}, shard ${shardText(manifest.shard)}: ` +
          'choose another --out',
      );
    }
    return;
  }
  await writeFileAtomic(path.join(dir, SWEEP_FILE), [`${JSON.stringify(manifest, null, 2)}\n`]);
}

export function shardText(shard: Shard | null): string {
  return shard ? `${shard.index}/${shard.count}` : 'all';
}

function parseLine(line: string, file: string, lineNo: number): PointRecord {
  let record: PointRecord;
  try {
    record = JSON.parse(line) as PointRecord;
  } catch {
    throw new MflError('ERR_MFL_FORMAT', `${file}:${lineNo}: not a JSON line`);
  }
  if (record?.schema !== 'mfl.point/1' || typeof record.id !== 'string') {
    throw new MflError('ERR_MFL_FORMAT', `${file}:${lineNo}: not an mfl point record`);
  }
  return record;
}

/**
 * The records of DIR/results.jsonl (none when it does not exist).
 * @param repair cut off a torn last line (a crash mid-append) instead of ignoring it; only the
 *   process that appends may repair
 * @throws MflError ERR_MFL_FORMAT for a damaged line other than the last
 */
export function readResults(dir: string, repair = false): PointRecord[] {
  const file = path.join(dir, RESULTS_FILE);
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  if (repair && complete.length !== text.length) fs.truncateSync(file, Buffer.byteLength(complete));
  const lines = complete.split('\n').slice(0, -1);
  return lines.map((line, i) => parseLine(line, file, i + 1));
}

/** The records of DIR/failures.jsonl (none when it does not exist; a torn last line ignored). */
export function readFailures(dir: string): FailureRecord[] {
  const file = path.join(dir, FAILURES_FILE);
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as FailureRecord];
    } catch {
      return [];
    }
  });
}

/**
 * Appends one JSON line to `file` with a single write and flushes it to disk before returning:
 * after a crash the file ends either before or after the line, or (power loss mid-write) with a
 * torn line that `readResults(dir, true)` removes.
 */
export function appendLine(file: string, value: unknown): void {
  const line = Buffer.from(`${JSON.stringify(value)}\n`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'a');
    let written = 0;
    while (written < line.length) written += fs.writeSync(fd, line, written);
    fs.fsyncSync(fd);
  } catch (err) {
    throw ioError(file, 'append to', err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A sweep folder's manifest and records (of its sweep only). */
export interface SweepDir {
  dir: string;
  manifest: SweepManifest;
  records: PointRecord[];
}

/**
 * Reads a sweep folder written by `sweep` or `merge`.
 * @throws MflError ERR_MFL_FORMAT when DIR has no sweep.json
 */
export function readSweepDir(dir: string): SweepDir {
  const manifest = readManifest(dir);
  if (!manifest) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `${dir}: no ${SWEEP_FILE}; not a sweep folder (run \`mfl sweep SPEC --out ${dir}\` first)`,
    );
  }
  const records = readResults(dir).filter((r) => r.sweep === manifest.hash);
  return { dir: path.resolve(dir), manifest, records };
}
