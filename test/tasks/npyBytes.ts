/**
 * Hand-built .npy files for reader tests: any header text, version, dtype and data bytes, so the
 * reader is tested on inputs our writer never produces.
 */

/** Header dict text as numpy writes it. */
export function headerDict(descr: string, shape: readonly number[], fortran = false): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${dims}, }`;
}

/** A .npy file from raw header text and data bytes, in format version `major`.0. */
export function npyFile(header: string, data: Uint8Array, major = 1): Buffer {
  const text = Buffer.from(`${header}\n`, major === 3 ? 'utf8' : 'latin1');
  const lengthBytes = major === 1 ? 2 : 4;
  const prefix = Buffer.alloc(8 + lengthBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(prefix);
  if (major === 1) prefix.writeUInt16LE(text.length, 8);
  else prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, data]);
}

type Writer = (view: DataView, i: number, v: number) => void;

const writers: Record<string, { size: number; write: Writer }> = {
  '<f8': { size: 8, write: (w, i, v) => w.setFloat64(i * 8, v, true) },
  '>f8': { size: 8, write: (w, i, v) => w.setFloat64(i * 8, v, false) },
  '<f4': { size: 4, write: (w, i, v) => w.setFloat32(i * 4, v, true) },
  '>f4': { size: 4, write: (w, i, v) => w.setFloat32(i * 4, v, false) },
  '<i4': { size: 4, write: (w, i, v) => w.setInt32(i * 4, v, true) },
  '>i4': { size: 4, write: (w, i, v) => w.setInt32(i * 4, v, false) },
  '<i8': { size: 8, write: (w, i, v) => w.setBigInt64(i * 8, BigInt(v), true) },
  '<i2': { size: 2, write: (w, i, v) => w.setInt16(i * 2, v, true) },
  '|i1': { size: 1, write: (w, i, v) => w.setInt8(i, v) },
  '|u1': { size: 1, write: (w, i, v) => w.setUint8(i, v) },
  '<u2': { size: 2, write: (w, i, v) => w.setUint16(i * 2, v, true) },
  '<u4': { size: 4, write: (w, i, v) => w.setUint32(i * 4, v, true) },
  '<u8': { size: 8, write: (w, i, v) => w.setBigUint64(i * 8, BigInt(v), true) },
  '|b1': { size: 1, write: (w, i, v) => w.setUint8(i, v ? 1 : 0) },
};

/** The dtypes `encode` supports. */
export const DTYPES = Object.keys(writers);

/** `values` encoded as dtype `descr`. */
export function encode(descr: string, values: readonly number[]): Uint8Array {
  const writer = writers[descr];
  if (!writer) throw new Error(`no test writer for ${descr}`);
  const bytes = new Uint8Array(values.length * writer.size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => writer.write(view, i, v));
  return bytes;
}
