/**
 * SGLD checkpoints: everything a run needs to continue bit-identically (docs/sgld.md: the random
 * numbers are addressed by step, so no generator state exists besides the step). One file:
 *
 *   "MFLSGLD\n" (8 bytes), header length L (uint32 little-endian), L bytes of JSON header,
 *   zero padding to a multiple of 8, then the arrays of the header's `arrays` list in order,
 *   float64 little-endian.
 *
 * The header records the format version, the mfl version, the backend, the step reached, the
 * full normalised spec (with the resolved eta) and a SHA-256 digest of the data. Files are written
 * atomically (temp file, fsync, rename), so a crash leaves the previous checkpoint intact.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { SgldAccumulators, SgldData, SgldState } from '../../backend/types.js';
import { MflError, outOfRange } from '../../errors.js';
import { formatError, readFileChecked, writeFileAtomic } from '../../tasks/io/files.js';
import { SGLD_ACC_KEYS } from './layout.js';
import type { SgldSpec } from './spec.js';

const MAGIC = 'MFLSGLD\n';
/** Version of the file layout above. */
export const CHECKPOINT_FORMAT = 1;

/** What a checkpoint holds besides the arrays. */
export interface CheckpointHeader {
  format: number;
  /** mfl version that wrote it. */
  version: string;
  backend: string;
  /** Steps [0, step) are done. */
  step: number;
  /** The normalised spec with sampler.eta resolved. */
  spec: SgldSpec;
  /** SHA-256 of X, y, XTest, yTest (float64 bytes). */
  dataDigest: string;
  arrays: { name: string; length: number }[];
}

/** A loaded checkpoint. */
export interface Checkpoint {
  header: CheckpointHeader;
  state: SgldState;
  acc: SgldAccumulators;
}

function littleEndian(): boolean {
  return os.endianness() === 'LE';
}

function bytesOf(values: Float64Array): Uint8Array {
  if (littleEndian()) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.byteLength);
  values.forEach((v, i) => out.writeDoubleLE(v, i * 8));
  return out;
}

function valuesOf(buf: Buffer, offset: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = buf.readDoubleLE(offset + 8 * i);
  return out;
}

/** SHA-256 over the data arrays, so a resumed run can tell that custom files changed. */
export function dataDigest(data: SgldData): string {
  const hash = createHash('sha256');
  for (const values of [data.X, data.y, data.XTest, data.yTest]) hash.update(bytesOf(values));
  return hash.digest('hex');
}

function namedArrays(state: SgldState, acc: SgldAccumulators): [string, Float64Array][] {
  const arrays: [string, Float64Array][] = [
    ['W', state.W],
    ['a', state.a],
  ];
  if (state.b) arrays.push(['b', state.b]);
  if (state.momentum) arrays.push(['momentum', state.momentum]);
  for (const key of SGLD_ACC_KEYS) arrays.push([key, acc[key]]);
  return arrays;
}

/**
 * Writes a checkpoint atomically.
 * @throws MflError ERR_MFL_IO naming the path when it cannot be written
 */
export async function writeCheckpoint(
  file: string,
  header: Omit<CheckpointHeader, 'format' | 'arrays'>,
  state: SgldState,
  acc: SgldAccumulators,
): Promise<void> {
  const arrays = namedArrays(state, acc);
  const full: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    ...header,
    arrays: arrays.map(([name, values]) => ({ name, length: values.length })),
  };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  const padding = Buffer.alloc((8 - ((12 + json.length) % 8)) % 8);
  await writeFileAtomic(file, [prefix, json, padding, ...arrays.map(([, v]) => bytesOf(v))]);
}

/**
 * Reads a checkpoint written by `writeCheckpoint`.
 * @throws MflError ERR_MFL_IO when it cannot be read, ERR_MFL_FORMAT when it is not a complete
 *   mfl SGLD checkpoint
 */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  const buf = await readFileChecked(file);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw formatError(file, 'not an mfl SGLD checkpoint (bad magic bytes)');
  }
  const length = buf.readUInt32LE(8);
  if (12 + length > buf.length) throw formatError(file, 'truncated checkpoint header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + length)) as CheckpointHeader;
  } catch (err) {
    throw new MflError('ERR_MFL_FORMAT', `${file}: unreadable checkpoint header`, { cause: err });
  }
  if (header.format !== CHECKPOINT_FORMAT || !Array.isArray(header.arrays)) {
    throw formatError(file, `unsupported checkpoint format ${String(header.format)}`);
  }
  let offset = 12 + length + ((8 - ((12 + length) % 8)) % 8);
  const total = header.arrays.reduce((sum, a) => sum + 8 * a.length, offset);
  if (total !== buf.length) {
    throw formatError(file, `checkpoint has ${buf.length} bytes, its header describes ${total}`);
  }
  const arrays = new Map<string, Float64Array>();
  for (const { name, length: n } of header.arrays) {
    arrays.set(name, valuesOf(buf, offset, n));
    offset += 8 * n;
  }
  const get = (name: string): Float64Array => {
    const values = arrays.get(name);
    if (!values) throw formatError(file, `checkpoint lacks the array "${name}"`);
    return values;
  };
  // Euler checkpoints (those from before BAOAB among them) have no momentum.
  const state: SgldState = {
    W: get('W'),
    a: get('a'),
    b: arrays.get('b') ?? null,
    momentum: arrays.get('momentum') ?? null,
  };
  const acc = Object.fromEntries(
    SGLD_ACC_KEYS.map((key) => [key, get(key)]),
  ) as unknown as SgldAccumulators;
  return { header, state, acc };
}

/** The first path at which two JSON-like values differ, or null when equal. */
export function firstDifference(a: unknown, b: unknown, path: string[] = []): string[] | null {
  if (Object.is(a, b)) return null;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const diff = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      [...path, key],
    );
    if (diff) return diff;
  }
  return null;
}

/**
 * Checks that a checkpoint belongs to this run: same spec (checkpointEvery aside: it does not
 * change the numbers), same data, same backend and mfl version (the kernels' rounding may
 * differ between them, and resuming promises bit-identical numbers).
 * @param label names a spec path in messages (the CLI names flags)
 * @throws MflRangeError naming the first differing field
 */
export function checkResumable(
  file: string,
  header: CheckpointHeader,
  expected: { spec: SgldSpec; dataDigest: string; backend: string; version: string },
  label: (path: readonly PropertyKey[]) => string,
): void {
  const strip = (spec: SgldSpec): SgldSpec => ({
    ...spec,
    sampler: { ...spec.sampler, checkpointEvery: null },
  });
  const diff = firstDifference(strip(expected.spec), strip(header.spec));
  if (diff) {
    const stored = diff.reduce<unknown>(
      (v, key) => (v as Record<string, unknown> | undefined)?.[key],
      header.spec,
    );
    const given = diff.reduce<unknown>(
      (v, key) => (v as Record<string, unknown> | undefined)?.[key],
      expected.spec,
    );
    throw outOfRange(
      label(diff),
      `${JSON.stringify(stored) ?? 'absent'} as in the checkpoint ${file} (resuming continues that run)`,
      given,
    );
  }
  const mismatch = (field: string, stored: string, given: string, hint: string): never => {
    throw outOfRange(field, `${JSON.stringify(stored)} as in the checkpoint ${file}${hint}`, given);
  };
  if (header.dataDigest !== expected.dataDigest) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `${file}: the data differ from the data the checkpoint was written with (same spec, ` +
        'different file contents)',
    );
  }
  if (header.backend !== expected.backend) {
    const hint = ` (backends round differently; run with MFL_BACKEND=${header.backend})`;
    mismatch('backend', header.backend, expected.backend, hint);
  }
  if (header.version !== expected.version) {
    mismatch('version', header.version, expected.version, ' (resume with the mfl that wrote it)');
  }
}
