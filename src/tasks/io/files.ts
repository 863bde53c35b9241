/**
 * File access for the data loaders: reads that turn filesystem failures into ERR_MFL_IO errors
 * naming the path, and atomic writes (temp file in the same directory, fsync, rename) so a reader
 * never sees a half-written file and an interrupted write leaves the old file in place.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MflError } from '../../errors.js';

/** An ERR_MFL_IO error naming `file`, with a short reason for common errno codes. */
export function ioError(file: string, action: string, err: unknown): MflError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  const reason =
    (code && reasons[code]) ?? (err instanceof Error ? err.message : String(err ?? 'failed'));
  return new MflError('ERR_MFL_IO', `cannot ${action} ${file}: ${reason}`, { cause: err });
}

/** An ERR_MFL_FORMAT error: `file: problem`. */
export function formatError(file: string, problem: string): MflError {
  return new MflError('ERR_MFL_FORMAT', `${file}: ${problem}`);
}

/**
 * Reads a whole file.
 * @throws MflError ERR_MFL_IO naming the path when it is missing, unreadable or a directory
 */
export async function readFileChecked(file: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    throw ioError(file, 'read', err);
  }
}

/** As `readFileChecked`, synchronously. */
export function readFileCheckedSync(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw ioError(file, 'read', err);
  }
}

/** True when `file` exists (any type). */
export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/** Contents written in pieces, so large data never needs one giant string or buffer. */
export type Chunks = Iterable<string | Uint8Array>;

function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  return path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/**
 * Removes the temp files writeFileAtomic leaves beside `file` when its process is killed
 * mid-write; call it only when no writer of `file` can be running.
 */
export function removeLeftoverTempFiles(file: string): void {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/**
 * Writes `chunks` to `file` atomically: a temp file in the same directory (so rename stays on one
 * filesystem), flushed to disk, then renamed over `file`.
 * @throws MflError ERR_MFL_IO naming the path on any failure (the temp file is removed)
 */
export async function writeFileAtomic(file: string, chunks: Chunks): Promise<void> {
  const temp = tempPathFor(file);
  try {
    const handle = await fsp.open(temp, 'wx');
    try {
      // writeFile continues at the current position and loops until every byte is written.
      for (const chunk of chunks) await handle.writeFile(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw ioError(file, 'write', err);
  }
}

/** mkdir -p, one level at a time: Node's recursive mkdir can loop forever on /proc-like paths. */
async function makeDirs(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await fsp.stat(dir)).isDirectory()) return;
      throw Object.assign(new Error('exists and is not a directory'), { code: 'ENOTDIR' });
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDirs(parent);
    await fsp.mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/**
 * Creates directory `dir` and its parents if needed.
 * @throws MflError ERR_MFL_IO naming the path (e.g. when a file of that name exists)
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await makeDirs(path.resolve(dir));
  } catch (err) {
    throw ioError(dir, 'create directory', err);
  }
}

/**
 * Creates `dir` if needed and proves it takes a write: one byte written, flushed and removed, so
 * an unwritable or full destination is reported before long work rather than after it.
 * @throws MflError ERR_MFL_IO naming the directory
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  await ensureDir(dir);
  const probe = tempPathFor(path.join(dir, 'write-probe'));
  try {
    const handle = await fsp.open(probe, 'wx');
    try {
      await handle.writeFile('0');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw ioError(dir, 'write into directory', err);
  } finally {
    await fsp.rm(probe, { force: true });
  }
}
