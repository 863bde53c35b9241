/**
 * Custom data files: `loadData` reads a .csv file or an X/y .npy pair; `writeData` writes a split
 * in either format. Every read is checked (shapes agree, values finite) so a bad file fails here,
 * with its name, rather than deep inside a method.
 */
import path from 'node:path';
import { checkData, checkOneOf, checkPath } from './args.js';
import { checkFinite } from './data.js';
import type { Data, DataFormat, Split } from './data.js';
import { readCsv, readCsvSync, writeCsv } from './csv.js';
import { ensureDir, exists, formatError, ioError } from './files.js';
import { readNpy, readNpySync, writeNpy } from './npy.js';
import type { NpyArray } from './npy.js';

export type { Data, DataFormat, Split } from './data.js';
export { checkFinite } from './data.js';
export { parseCsvData, readCsv, readCsvSync, writeCsv, formatNumber } from './csv.js';
export { parseNpy, encodeNpy, readNpy, readNpySync, writeNpy } from './npy.js';
export type { NpyArray } from './npy.js';

/** Where a data path's files are. */
export type DataSource = { format: 'csv'; file: string } | { format: 'npy'; X: string; y: string };

function npyPair(prefix: string): { format: 'npy'; X: string; y: string } {
  return { format: 'npy', X: `${prefix}_X.npy`, y: `${prefix}_y.npy` };
}

/**
 * Resolves a data path: `a.csv`; `p_X.npy` or `p_y.npy` (either half of the pair `p`);
 * `dir/X.npy` or `dir/y.npy`; or a prefix `p` naming `p_X.npy` + `p_y.npy` (or `p.csv` when
 * only that exists, so `--train out/train` works whichever format `mfl data` wrote).
 * @throws MflError ERR_MFL_IO when a prefix names no existing file, ERR_MFL_FORMAT for a file of
 *   another kind
 */
export function resolveDataPath(file: string): DataSource {
  const base = path.basename(file);
  if (/\.csv$/i.test(base)) return { format: 'csv', file };
  const half = /^(.*)_[Xy]\.npy$/.exec(file);
  if (half) return npyPair(half[1] ?? '');
  if (base === 'X.npy' || base === 'y.npy') {
    const dir = path.dirname(file);
    return { format: 'npy', X: path.join(dir, 'X.npy'), y: path.join(dir, 'y.npy') };
  }
  if (/\.npy$/i.test(base)) {
    throw formatError(file, 'a .npy data file must be named PREFIX_X.npy or PREFIX_y.npy (a pair)');
  }
  const pair = npyPair(file);
  if (exists(pair.X) || exists(pair.y)) return pair;
  if (exists(`${file}.csv`)) return { format: 'csv', file: `${file}.csv` };
  if (exists(file)) {
    throw formatError(file, 'unknown data format (expected a .csv file or an X/y .npy pair)');
  }
  throw ioError(
    file,
    'read',
    new Error(`no such data (looked for ${file}_X.npy + ${file}_y.npy and ${file}.csv)`),
  );
}

/** X (P x d) and y (P, or P x 1) from a .npy pair, with shapes checked against each other. */
function fromNpyPair(X: NpyArray, y: NpyArray, files: { X: string; y: string }): Data {
  if (X.shape.length !== 2) {
    throw formatError(files.X, `X must be a 2-D array (P, d), got shape (${X.shape.join(', ')},)`);
  }
  const [P = 0, d = 0] = X.shape;
  if (d < 1) throw formatError(files.X, `X has no columns (shape (${P}, ${d}))`);
  const yIsColumn = y.shape.length === 1 || y.shape[1] === 1;
  if (!yIsColumn) {
    throw formatError(files.y, `y must be 1-D (P,) or (P, 1), got shape (${y.shape.join(', ')})`);
  }
  if (y.shape[0] !== P) {
    throw formatError(files.y, `y has ${y.shape[0]} values but X (${files.X}) has ${P} rows`);
  }
  return { X: X.data, y: y.data, P, d };
}

function checked(data: Data, source: DataSource): Data {
  checkFinite(data.X, source.format === 'csv' ? source.file : source.X, 'X', data.d);
  checkFinite(data.y, source.format === 'csv' ? source.file : source.y, 'y', 1);
  return data;
}

/**
 * Loads one split of custom data.
 * @param file a .csv file (header, feature columns, label column `y`), or the prefix `p` of an
 *   X/y .npy pair `p_X.npy` (P x d) + `p_y.npy` (P), or the exact path of either half
 * @returns X (P x d row-major float64), y (P), P and d
 * @throws MflError ERR_MFL_IO naming the path when a file is missing or unreadable
 * @throws MflError ERR_MFL_FORMAT naming the file for malformed contents, mismatched shapes or
 *   non-finite values
 */
export async function loadData(file: string): Promise<Data> {
  checkPath(file, 'file');
  const source = resolveDataPath(file);
  if (source.format === 'csv') return checked(await readCsv(source.file), source);
  const [X, y] = await Promise.all([readNpy(source.X), readNpy(source.y)]);
  return checked(fromNpyPair(X, y, source), source);
}

/** As `loadData`, synchronously. */
export function loadDataSync(file: string): Data {
  checkPath(file, 'file');
  const source = resolveDataPath(file);
  if (source.format === 'csv') return checked(readCsvSync(source.file), source);
  return checked(fromNpyPair(readNpySync(source.X), readNpySync(source.y), source), source);
}

/** The files `writeData` writes for a split, in order. */
export function dataFiles(dir: string, split: Split, format: DataFormat): string[] {
  return format === 'csv'
    ? [path.join(dir, `${split}.csv`)]
    : [path.join(dir, `${split}_X.npy`), path.join(dir, `${split}_y.npy`)];
}

/**
 * Writes one split into `dir` (created if needed), each file atomically: `split.csv` (header
 * x1..xd,y, exact round trip) or `split_X.npy` (P x d) + `split_y.npy` (P), float64.
 * @param dir output directory
 * @param split "train" or "test" (the file names)
 * @param data the split
 * @param format "csv" or "npy"
 * @returns the paths written
 * @throws MflTypeError / MflRangeError naming dir, split, format or data.X, data.y, data.P, data.d
 *   when they are not a path, "train" or "test", "csv" or "npy" and a consistent split
 * @throws MflError ERR_MFL_IO naming the path when a file or the directory cannot be written
 */
export async function writeData(
  dir: string,
  split: Split,
  data: Data,
  format: DataFormat,
): Promise<string[]> {
  checkPath(dir, 'dir');
  checkOneOf(split, 'split', ['train', 'test'] as const);
  checkData(data, 'data');
  checkOneOf(format, 'format', ['csv', 'npy'] as const);
  await ensureDir(dir);
  const files = dataFiles(dir, split, format);
  const [first = '', second = ''] = files;
  if (format === 'csv') {
    await writeCsv(first, data);
  } else {
    await writeNpy(first, data.X, [data.P, data.d]);
    await writeNpy(second, data.y, [data.P]);
  }
  return files;
}
