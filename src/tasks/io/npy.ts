/**
 * NumPy .npy files (format spec: numpy.lib.format). Reading accepts format versions 1.0, 2.0 and
 * 3.0, C or Fortran order, 1-D and 2-D shapes, and the dtypes float64/float32, int8..int64,
 * uint8..uint64 and bool in either byte order, all converted to float64 in C order. Writing
 * produces version 1.0, little-endian float64, C order: what `numpy.load` reads everywhere.
 */
import os from 'node:os';
import { formatError, readFileChecked, readFileCheckedSync, writeFileAtomic } from './files.js';
import { MAX_ELEMENTS } from '../spec.js';
import { invalidType } from '../../errors.js';
import { checkPath, checkShape, checkValues } from './args.js';
import { parsePyLiteral } from './pyLiteral.js';
import type { PyValue } from './pyLiteral.js';

/** An array read from or written to a .npy file: float64 values in C (row-major) order. */
export interface NpyArray {
  /** One or two non-negative integers. */
  shape: number[];
  data: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

interface Dtype {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  little: boolean;
}

const SUPPORTED_DTYPES = new Set([
  'f4',
  'f8',
  'i1',
  'i2',
  'i4',
  'i8',
  'u1',
  'u2',
  'u4',
  'u8',
  'b1',
]);

function parseDtype(descr: PyValue, file: string): Dtype {
  if (typeof descr !== 'string') {
    throw formatError(file, 'structured dtypes are not supported (expected a plain numeric array)');
  }
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const order = m?.[1];
  const kind = m?.[2];
  const size = Number(m?.[3]);
  if (!m || !SUPPORTED_DTYPES.has(`${kind}${size}`)) {
    throw formatError(
      file,
      `unsupported dtype '${descr}' (supported: float64, float32, int8..int64, uint8..uint64, bool)`,
    );
  }
  // '|' means "not applicable" (one-byte types) and '=' the writer's native order.
  const little = order === '<' || (order !== '>' && LITTLE_ENDIAN_HOST);
  return { kind: kind as Dtype['kind'], size, little };
}

/** A function reading element i of the data as a float64 (exactness checked for 64-bit ints). */
function elementReader(view: DataView, dtype: Dtype, file: string): (i: number) => number {
  const { kind, size, little } = dtype;
  const exact = (v: bigint, i: number): number => {
    const n = Number(v);
    if (BigInt(n) !== v)
      throw formatError(file, `value ${v} at index ${i} is not exactly a float64`);
    return n;
  };
  if (kind === 'f') {
    return size === 8
      ? (i) => view.getFloat64(i * 8, little)
      : (i) => view.getFloat32(i * 4, little);
  }
  if (kind === 'b') return (i) => (view.getUint8(i) === 0 ? 0 : 1);
  if (kind === 'i') {
    if (size === 1) return (i) => view.getInt8(i);
    if (size === 2) return (i) => view.getInt16(i * 2, little);
    if (size === 4) return (i) => view.getInt32(i * 4, little);
    return (i) => exact(view.getBigInt64(i * 8, little), i);
  }
  if (size === 1) return (i) => view.getUint8(i);
  if (size === 2) return (i) => view.getUint16(i * 2, little);
  if (size === 4) return (i) => view.getUint32(i * 4, little);
  return (i) => exact(view.getBigUint64(i * 8, little), i);
}

interface Header {
  dtype: Dtype;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

function headerText(buf: Buffer, file: string): { text: string; dataOffset: number } {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw formatError(file, 'not a .npy file (missing the \\x93NUMPY magic string)');
  }
  const major = buf[6] ?? 0;
  const minor = buf[7] ?? 0;
  if (major < 1 || major > 3 || minor !== 0) {
    throw formatError(
      file,
      `unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`,
    );
  }
  const lengthBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lengthBytes) throw formatError(file, 'truncated header');
  const length = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lengthBytes;
  if (buf.length < start + length) throw formatError(file, 'truncated header');
  // Versions 1 and 2 store the header in latin1; version 3 allows utf8 (field names).
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + length);
  return { text, dataOffset: start + length };
}

function parseHeader(buf: Buffer, file: string): Header {
  const { text, dataOffset } = headerText(buf, file);
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    throw formatError(file, `malformed header (${(err as Error).message}): ${text.trim()}`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw formatError(file, `malformed header (expected a dict): ${text.trim()}`);
  }
  const keys = Object.keys(dict).sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') {
    throw formatError(
      file,
      `header must have exactly the keys descr, fortran_order, shape; has ${keys || 'none'}`,
    );
  }
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (typeof fortranOrder !== 'boolean') {
    throw formatError(file, 'header fortran_order must be True or False');
  }
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
    throw formatError(file, 'header shape must be a tuple of non-negative integers');
  }
  const dims = shape as number[];
  const shapeText = `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
  if (dims.length < 1 || dims.length > 2) {
    throw formatError(
      file,
      `unsupported shape ${shapeText}: only 1-D and 2-D arrays are supported`,
    );
  }
  // Each dimension and their product within the element limit, so an empty array cannot
  // declare 2^40 columns for a transpose to walk through.
  if (dims.some((s) => s > MAX_ELEMENTS) || dims.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) {
    throw formatError(
      file,
      `shape ${shapeText} is too large: each dimension and their product must be at most ` +
        `${MAX_ELEMENTS} (2^31 - 1)`,
    );
  }
  return { dtype: parseDtype(descr ?? null, file), fortranOrder, shape: dims, dataOffset };
}

/** Fortran (column-major) r x c values to C (row-major) order. */
function transpose(src: Float64Array, rows: number, cols: number): Float64Array {
  if (src.length === 0) return src;
  const out = new Float64Array(src.length);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) out[i * cols + j] = src[j * rows + i] ?? 0;
  }
  return out;
}

function decodeData(buf: Buffer, header: Header, file: string): Float64Array {
  const { dtype, shape, dataOffset } = header;
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * dtype.size;
  const available = buf.length - dataOffset;
  if (available !== expected) {
    throw formatError(
      file,
      `data has ${available} bytes but shape (${shape.join(', ')}) of ${dtype.kind}${dtype.size} needs ${expected}`,
    );
  }
  const out = new Float64Array(count);
  if (dtype.kind === 'f' && dtype.size === 8 && dtype.little === LITTLE_ENDIAN_HOST) {
    // Same layout as a Float64Array: one copy (the data offset need not be 8-aligned).
    new Uint8Array(out.buffer).set(buf.subarray(dataOffset, dataOffset + expected));
    return out;
  }
  const view = new DataView(buf.buffer, buf.byteOffset + dataOffset, expected);
  const read = elementReader(view, dtype, file);
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

/**
 * Decodes the bytes of a .npy file.
 * @param buf the whole file
 * @param file the path, for messages
 * @throws MflError ERR_MFL_FORMAT naming `file` and the problem (magic, version, header syntax,
 *   dtype, shape, data length)
 */
export function parseNpy(buf: Buffer, file: string): NpyArray {
  if (typeof file !== 'string') throw invalidType('file', 'a string (a path)', file);
  if (!Buffer.isBuffer(buf)) throw invalidType('buf', 'a Buffer', buf);
  const header = parseHeader(buf, file);
  const data = decodeData(buf, header, file);
  const [rows = 0, cols = 1] = header.shape;
  const ordered =
    header.fortranOrder && header.shape.length === 2 ? transpose(data, rows, cols) : data;
  return { shape: header.shape, data: ordered };
}

/**
 * The version 1.0 header of a little-endian float64 C-order array. The header is padded with
 * spaces and a newline so the data starts at a multiple of 64 bytes (numpy's alignment).
 */
export function npyHeader(shape: readonly number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = 10 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const text = `${dict}${' '.repeat(padding)}\n`;
  const out = Buffer.alloc(10 + text.length);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}

/** The float64 values as little-endian bytes (a view on little-endian hosts, a copy otherwise). */
function littleEndianBytes(data: Float64Array): Uint8Array {
  // No values, no view: the buffer of an empty array may be detached.
  if (data.length === 0) return new Uint8Array(0);
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.byteLength);
  data.forEach((v, i) => out.writeDoubleLE(v, i * 8));
  return out;
}

/** The bytes of a .npy file (version 1.0, <f8, C order) holding `data` with `shape`. */
export function encodeNpy(data: Float64Array, shape: readonly number[]): Uint8Array[] {
  checkShape(shape, 'shape');
  const count = shape.reduce((a, b) => a * b, 1);
  checkValues(data, 'data', count, `the product of shape (${shape.join(', ')})`);
  return [npyHeader(shape), littleEndianBytes(data)];
}

/**
 * Reads a .npy file as float64 in C order.
 * @throws MflError ERR_MFL_IO when the file cannot be read, ERR_MFL_FORMAT when it is not a
 *   supported .npy file
 */
export async function readNpy(file: string): Promise<NpyArray> {
  checkPath(file, 'file');
  return parseNpy(await readFileChecked(file), file);
}

/** As `readNpy`, synchronously. */
export function readNpySync(file: string): NpyArray {
  checkPath(file, 'file');
  return parseNpy(readFileCheckedSync(file), file);
}

/**
 * Writes `data` (C order) with `shape` (1-D or 2-D) as a version 1.0 float64 .npy file,
 * atomically.
 * @throws MflTypeError / MflRangeError naming file, data or shape when they are not a path, a
 *   Float64Array and a 1-D or 2-D shape of its length
 * @throws MflError ERR_MFL_IO naming the path when it cannot be written
 */
export async function writeNpy(
  file: string,
  data: Float64Array,
  shape: readonly number[],
): Promise<void> {
  checkPath(file, 'file');
  await writeFileAtomic(file, encodeNpy(data, shape));
}
