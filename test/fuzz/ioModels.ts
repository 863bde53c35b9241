/**
 * Models of the custom-data functions that take user input: the decoders parseCsvData and
 * parseNpy (on generated, often malformed contents), the readers (readCsv, readNpy, loadData,
 * loadDataSync) on paths, and the writers (writeCsv, writeNpy, writeData). Failures must be
 * MflErrors with ERR_MFL_FORMAT or ERR_MFL_IO whose message starts with the file's path; what
 * decodes must be consistent (X has P*d finite values) and what is written must read back equal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  loadData,
  loadDataSync,
  parseCsvData,
  parseNpy,
  readCsv,
  readNpy,
  writeCsv,
  writeData,
  writeNpy,
} from '../../src/tasks/io/index.js';
import { enumOf, f64, gaussian, int, objectFields } from './kinds.js';
import { finiteProblem, firstProblem, type Field, type Model } from './model.js';
import { erase, type AnyModel } from './nativeModels.js';
import type { Bad } from './values.js';

const IO_CODES = ['ERR_MFL_FORMAT', 'ERR_MFL_IO'];

/** Names the file paths among `args` as labels: messages start with the path. */
const pathLabels = (args: unknown[]) => args.filter((a): a is string => typeof a === 'string');

const FILES = ['data/train.csv', 'x.npy', 'dir/sub/file', 'weird name,"quoted".csv'];

function verifyData(data: unknown): string | null {
  const d = data as { X: Float64Array; y: Float64Array; P: number; d: number };
  if (d.X.length !== d.P * d.d || d.y.length !== d.P) {
    return `inconsistent data: X ${d.X.length}, y ${d.y.length}, P ${d.P}, d ${d.d}`;
  }
  if (!(d.d >= 1)) return `d = ${d.d}`;
  return firstProblem(finiteProblem('X', d.X), finiteProblem('y', d.y));
}

/** The decoders are fuzzed through their contents: the wrong values go into the file name. */
function contentsOnly(field: Field): fc.Arbitrary<Bad> {
  return field.label === 'file'
    ? fc.constantFrom(...FILES).map<Bad>((v) => ({ k: 'string', v }))
    : fc.constant<Bad>({ k: 'none' });
}

// ---- csv ---------------------------------------------------------------------------------------

const CELLS = [
  '1',
  '-0.5',
  '1e3',
  '.5',
  '-0',
  '',
  ' 2 ',
  'NaN',
  'Infinity',
  '1e400',
  '0x10',
  'abc',
  '"3"',
  '1,5',
  '"a""b"',
];

interface CsvParams {
  header: string[];
  rows: string[][];
  aligned: boolean;
  eol: string;
  bom: boolean;
  raw: string | null;
}

const csvArb: fc.Arbitrary<CsvParams> = fc.record({
  header: fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .integer({ min: 1, max: 4 })
        .map((d) => [...Array.from({ length: d }, (_, j) => `x${j + 1}`), 'y']),
    },
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom('x1', 'y', 'Y', '', 'a b', 'y '), { maxLength: 4 }),
    },
  ),
  rows: fc.array(
    fc.array(
      fc.oneof(
        { weight: 1, arbitrary: fc.constantFrom(...CELLS) },
        { weight: 30, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
      ),
      { maxLength: 5 },
    ),
    { maxLength: 5 },
  ),
  /** Rows as long as the header (the common case), or as generated. */
  aligned: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
  bom: fc.boolean(),
  raw: fc.option(fc.string({ maxLength: 40 }), { freq: 6 }),
});

function csvText(c: CsvParams): string {
  if (c.raw !== null) return c.raw;
  const fit = (r: string[]) =>
    c.aligned ? Array.from(c.header, (_, j) => r[j % Math.max(1, r.length)] ?? '1') : r;
  const lines = [c.header.join(','), ...c.rows.map((r) => fit(r).join(','))];
  return `${c.bom ? '\ufeff' : ''}${lines.join(c.eol)}${c.eol}`;
}

function csvModel(): Model<[CsvParams, string]> {
  return {
    name: 'parseCsvData',
    params: fc.tuple(csvArb, fc.constantFrom(...FILES)),
    base: ([c, file]) => [csvText(c), file],
    fields: () => [
      { path: [0], label: 'text', kind: { t: 'any' } },
      { path: [1], label: 'file', kind: { t: 'string', nonEmpty: false } },
    ],
    call: (args) => parseCsvData(...(args as [string, string])),
    bads: contentsOnly,
    verify: (_, data) => verifyData(data),
    labels: pathLabels,
    nameAnywhere: true,
    codes: IO_CODES,
  };
}

// ---- npy ---------------------------------------------------------------------------------------

interface NpyParams {
  version: number;
  descr: string;
  fortran: string;
  shape: number[];
  extraKey: boolean;
  dataDelta: number;
  truncate: number | null;
  flip: number | null;
  seed: number;
}

const DESCRS = [
  '<f8',
  '>f8',
  '<f4',
  '>f4',
  '|u1',
  '<i2',
  '<i8',
  '<u8',
  '|b1',
  '=f8',
  '<c16',
  '<f2',
  'f8',
  '<U3',
];

const VALID_DESCRS = ['<f8', '>f8', '<f4', '>f4', '|u1', '<i2', '|b1', '=f8'];

/** A valid .npy description with, in most cases, one corruption. */
const npyArb: fc.Arbitrary<NpyParams> = fc
  .record({
    version: fc.constantFrom(1, 2, 3),
    descr: fc.constantFrom(...VALID_DESCRS),
    fortran: fc.constantFrom('False', 'True'),
    shape: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 2 }),
    seed: fc.nat(),
    corrupt: fc.oneof(
      { weight: 4, arbitrary: fc.constant<Partial<NpyParams>>({}) },
      { weight: 1, arbitrary: fc.constantFrom(0, 4, 255).map((version) => ({ version })) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...DESCRS, "[('a', '<f8')]").map((descr) => ({ descr })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('false', '0', 'None').map((fortran) => ({ fortran })),
      },
      {
        weight: 1,
        arbitrary: fc
          .array(fc.oneof(fc.nat({ max: 5 }), fc.constantFrom(2 ** 40, 2 ** 53, -1, 1.5)), {
            maxLength: 3,
          })
          .map((shape) => ({ shape })),
      },
      { weight: 1, arbitrary: fc.constant({ extraKey: true }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1, 8).map((dataDelta) => ({ dataDelta })) },
      { weight: 1, arbitrary: fc.nat({ max: 200 }).map((truncate) => ({ truncate })) },
      { weight: 1, arbitrary: fc.nat({ max: 200 }).map((flip) => ({ flip })) },
    ),
  })
  .map(({ corrupt, ...n }) => ({
    extraKey: false,
    dataDelta: 0,
    truncate: null,
    flip: null,
    ...n,
    ...corrupt,
  }));

const SIZES: Record<string, number> = {
  f8: 8,
  f4: 4,
  u1: 1,
  i2: 2,
  i8: 8,
  u8: 8,
  b1: 1,
  c16: 16,
  f2: 2,
};

function npyBytes(n: NpyParams): Buffer {
  const dims = n.shape.length === 1 ? `(${n.shape[0]},)` : `(${n.shape.join(', ')})`;
  const extra = n.extraKey ? "'extra': 1, " : '';
  const dict = `{'descr': '${n.descr.replace(/'/g, "'")}', 'fortran_order': ${n.fortran}, 'shape': ${dims}, ${extra}}`;
  const text = `${dict}${' '.repeat((64 - ((dict.length + 11) % 64)) % 64)}\n`;
  const lengthBytes = n.version >= 2 ? 4 : 2;
  const head = Buffer.alloc(8 + lengthBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(head);
  head[6] = n.version;
  head[7] = 0;
  if (lengthBytes === 2) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  const count = n.shape.reduce((a, b) => a * b, 1);
  const size = SIZES[n.descr.replace(/^[<>|=]/, '')] ?? 8;
  const bytes = Math.max(
    0,
    Math.min(4096, Number.isSafeInteger(count) ? count * size : 16) + n.dataDelta,
  );
  const data = Buffer.from(gaussian(Math.ceil(bytes / 8), n.seed, 1).buffer).subarray(0, bytes);
  let buf = Buffer.concat([head, Buffer.from(text, n.version === 3 ? 'utf8' : 'latin1'), data]);
  if (n.truncate !== null) buf = buf.subarray(0, n.truncate);
  if (n.flip !== null && buf.length > 0) buf[n.flip % buf.length]! ^= 0xff;
  return buf;
}

function npyModel(): Model<[NpyParams, string]> {
  return {
    name: 'parseNpy',
    params: fc.tuple(npyArb, fc.constantFrom(...FILES)),
    base: ([n, file]) => [npyBytes(n), file],
    fields: () => [
      { path: [0], label: 'buf', kind: { t: 'any' } },
      { path: [1], label: 'file', kind: { t: 'string', nonEmpty: false } },
    ],
    call: (args) => parseNpy(...(args as [Buffer, string])),
    bads: contentsOnly,
    verify: (_, out) => {
      const a = out as { shape: number[]; data: Float64Array };
      const count = a.shape.reduce((x, y) => x * y, 1);
      if (a.shape.length < 1 || a.shape.length > 2 || a.data.length !== count) {
        return `shape (${a.shape.join(', ')}) with ${a.data.length} values`;
      }
      return a.shape.every((s) => Number.isSafeInteger(s) && s >= 0) ? null : `shape ${a.shape}`;
    },
    labels: pathLabels,
    nameAnywhere: true,
    codes: IO_CODES,
  };
}

// ---- files -------------------------------------------------------------------------------------

let root: string | undefined;
let serial = 0;

/** A fresh directory under one temporary root, removed when the process exits. */
function freshDir(): string {
  if (root === undefined) {
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-fuzz-'));
    root = made;
    process.on('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  }
  const dir = path.join(root, String(serial++));
  fs.mkdirSync(dir);
  return dir;
}

/**
 * Keeps a path argument inside the temporary root: a wrong string put there ("..", "/", "x")
 * becomes a path under a fresh directory, so the writers never touch anything else.
 */
/** Same values (compared one by one: a detached array has none, and no buffer to compare). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function confine(args: unknown[], index: number): void {
  const value = args[index];
  // '' stays '' (an invalid path the function must refuse, not the directory it would become).
  if (typeof value !== 'string' || value === '') return;
  if (root !== undefined && value.startsWith(`${root}${path.sep}`)) return;
  const parts = value.split(/[\\/]+/).filter((s) => s !== '' && s !== '.' && s !== '..');
  args[index] = path.join(freshDir(), ...parts);
}

interface SplitParams {
  P: number;
  d: number;
  format: 'csv' | 'npy';
  seed: number;
  /** Which path the reader gets: the file itself, the prefix, a missing or a directory path. */
  target: 'file' | 'prefix' | 'missing' | 'dir';
}

const splitArb: fc.Arbitrary<SplitParams> = fc.record({
  P: fc.nat({ max: 5 }),
  d: fc.integer({ min: 1, max: 4 }),
  format: fc.constantFrom('csv', 'npy'),
  seed: fc.nat(),
  target: fc.constantFrom('file', 'file', 'prefix', 'missing', 'dir'),
});

function splitData(s: SplitParams) {
  return { X: gaussian(s.P * s.d, s.seed, 1), y: gaussian(s.P, s.seed, 2), P: s.P, d: s.d };
}

/** Writes a split synchronously (the writers under test are async) and returns its paths. */
function writeSplit(s: SplitParams): { dir: string; file: string } {
  const dir = freshDir();
  const data = splitData(s);
  if (s.format === 'csv') {
    const names = Array.from({ length: s.d }, (_, j) => `x${j + 1}`);
    const rows = Array.from({ length: s.P }, (_, i) =>
      [...Array.from(data.X.subarray(i * s.d, (i + 1) * s.d), String), String(data.y[i])].join(','),
    );
    const file = path.join(dir, 'train.csv');
    fs.writeFileSync(file, `${[...names, 'y'].join(',')}\n${rows.map((r) => `${r}\n`).join('')}`);
    return { dir, file };
  }
  const npy = (values: Float64Array, shape: string) => {
    const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
    const text = `${dict}${' '.repeat((64 - ((dict.length + 11) % 64)) % 64)}\n`;
    const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    head.writeUInt16LE(text.length, 8);
    return Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.from(values.buffer)]);
  };
  fs.writeFileSync(path.join(dir, 'train_X.npy'), npy(data.X, `(${s.P}, ${s.d})`));
  fs.writeFileSync(path.join(dir, 'train_y.npy'), npy(data.y, `(${s.P},)`));
  return { dir, file: path.join(dir, 'train_X.npy') };
}

function readerPath(s: SplitParams): string {
  const { dir, file } = writeSplit(s);
  if (s.target === 'prefix') return path.join(dir, 'train');
  if (s.target === 'missing') return path.join(dir, 'missing.csv');
  if (s.target === 'dir') return dir;
  return file;
}

type Reader = (file: string) => unknown;

function readerModel(name: string, read: Reader, format?: 'csv' | 'npy'): Model<SplitParams> {
  const arb = format ? splitArb.map((s) => ({ ...s, format })) : splitArb;
  return {
    name,
    params: arb,
    base: (s) => [readerPath(s)],
    fields: () => [{ path: [0], label: 'file', kind: { t: 'string', nonEmpty: true } }],
    call: (args) => {
      confine(args, 0);
      return read(args[0] as string);
    },
    verify: (_, out, s) => {
      const want = splitData(s);
      if (format === 'npy') {
        const a = out as { data: Float64Array };
        return isDeepStrictEqual(a.data, want.X) ? null : 'read back different values';
      }
      const d = out as { X: Float64Array; y: Float64Array };
      const same = isDeepStrictEqual(d.X, want.X) && isDeepStrictEqual(d.y, want.y);
      return verifyData(out) ?? (same ? null : 'read back different values');
    },
    labels: pathLabels,
    nameAnywhere: true,
    codes: IO_CODES,
  };
}

interface WriteParams extends SplitParams {
  split: 'train' | 'test';
}

function writerModel(): Model<WriteParams> {
  return {
    name: 'writeData',
    params: splitArb.chain((s) =>
      fc.constantFrom('train', 'test').map((split) => ({ ...s, split })),
    ),
    base: (w) => [freshDir(), w.split, splitData(w), w.format],
    fields: () => [
      { path: [0], label: 'dir', kind: { t: 'string', nonEmpty: true } },
      { path: [1], label: 'split', kind: enumOf(['train', 'test']) },
      ...objectFields(
        [2],
        'data',
        { X: f64({}), y: f64({}), P: int(0, 2 ** 31 - 1), d: int(1, 2 ** 31 - 1) },
        { strict: false, prefix: 'data.' },
      ),
      { path: [3], label: 'format', kind: enumOf(['csv', 'npy']) },
    ],
    call: async (args) => {
      confine(args, 0);
      const files = await writeData(...(args as Parameters<typeof writeData>));
      const data = args[2] as { X: Float64Array; y: Float64Array };
      const back = await loadData(files[0]!);
      const same = sameValues(back.X, data.X) && sameValues(back.y, data.y);
      return same ? files : `read back ${back.X.length} + ${back.y.length} values`;
    },
    verify: (_, out) => (typeof out === 'string' ? out : null),
    labels: pathLabels,
    nameAnywhere: true,
    codes: IO_CODES,
  };
}

/** writeCsv and writeNpy on one file, read back. */
function singleWriterModel(format: 'csv' | 'npy'): Model<SplitParams> {
  return {
    name: format === 'csv' ? 'writeCsv' : 'writeNpy',
    params: splitArb,
    base: (s) => {
      const file = path.join(freshDir(), format === 'csv' ? 'a.csv' : 'a_X.npy');
      const data = splitData(s);
      return format === 'csv' ? [file, data] : [file, data.X, [s.P, s.d]];
    },
    fields: () =>
      format === 'csv'
        ? [
            { path: [0], label: 'file', kind: { t: 'string', nonEmpty: true } },
            ...objectFields(
              [1],
              'data',
              { X: f64({}), y: f64({}), P: int(0, 2 ** 31 - 1), d: int(1, 2 ** 31 - 1) },
              { strict: false, prefix: 'data.' },
            ),
          ]
        : [
            { path: [0], label: 'file', kind: { t: 'string', nonEmpty: true } },
            { path: [1], label: 'data', kind: f64({}) },
            { path: [2], label: 'shape', kind: { t: 'any' } },
          ],
    call: async (args) => {
      confine(args, 0);
      if (format === 'csv') {
        await writeCsv(...(args as Parameters<typeof writeCsv>));
        return verifyData(await readCsv(args[0] as string));
      }
      await writeNpy(...(args as Parameters<typeof writeNpy>));
      const back = await readNpy(args[0] as string);
      return sameValues(back.data, args[1] as Float64Array) ? null : 'read back different values';
    },
    verify: (_, problem) => (problem as string | null) ?? null,
    labels: pathLabels,
    nameAnywhere: true,
    codes: IO_CODES,
  };
}

/** The file functions' models. */
export function ioModels(): AnyModel[] {
  return [
    erase(csvModel()),
    erase(npyModel()),
    erase(readerModel('readCsv', readCsv, 'csv')),
    erase(readerModel('readNpy', readNpy, 'npy')),
    erase(readerModel('loadData', loadData)),
    erase(readerModel('loadDataSync', loadDataSync)),
    erase(writerModel()),
    erase(singleWriterModel('csv')),
    erase(singleWriterModel('npy')),
  ];
}
