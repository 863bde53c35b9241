/**
 * CSV data files: a header row, feature columns (any names, in file order) and a label column
 * named `y` (anywhere). Written as `x1,...,xd,y` with every value in the shortest form that
 * parses back to the same double, so a write/read round trip is exact.
 */
import { parse } from 'csv-parse/sync';
import { parseDecimal } from '../../validate.js';
import { invalidType } from '../../errors.js';
import { checkData, checkPath } from './args.js';
import type { Data } from './data.js';
import { formatError, readFileChecked, readFileCheckedSync, writeFileAtomic } from './files.js';
import type { Chunks } from './files.js';

/** The label column's header name. */
export const LABEL_COLUMN = 'y';

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

function records(text: string, file: string): CsvRecord[] {
  try {
    // Column counts are checked below, to name the line in our own words.
    return parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as CsvRecord[];
  } catch (err) {
    throw formatError(file, `not valid CSV: ${(err as Error).message}`);
  }
}

function labelIndex(header: string[], file: string): number {
  const indices = header.flatMap((name, i) => (name === LABEL_COLUMN ? [i] : []));
  if (indices.length !== 1 || header.length < 2) {
    const problem =
      indices.length > 1
        ? `has ${indices.length} columns named "${LABEL_COLUMN}"`
        : indices.length === 0
          ? `has no column named "${LABEL_COLUMN}"`
          : 'has no feature columns';
    throw formatError(
      file,
      `header ${problem} (expected a header row such as x1,...,xd,${LABEL_COLUMN}; got ${header.join(',')})`,
    );
  }
  return indices[0] ?? 0;
}

function cellValue(text: string, file: string, row: number, line: number, column: string): number {
  const value = parseDecimal(text);
  if (value === null || !Number.isFinite(value)) {
    const got = text === '' ? 'an empty value' : JSON.stringify(text);
    throw formatError(
      file,
      `row ${row} (line ${line}), column "${column}": expected a finite number, got ${got}`,
    );
  }
  return value;
}

/**
 * Decodes CSV text (header row, feature columns, label column `y`).
 * @param text the file contents
 * @param file the path, for messages
 * @throws MflError ERR_MFL_FORMAT naming the file and, for bad cells, the row (1 = first data row),
 *   line and column; also for a missing/duplicate `y` column and rows of the wrong length
 */
export function parseCsvData(text: string, file: string): Data {
  if (typeof file !== 'string') throw invalidType('file', 'a string (a path)', file);
  if (typeof text !== 'string') throw invalidType('text', 'a string', text);
  const all = records(text, file);
  const header = all[0]?.record;
  if (!header) throw formatError(file, 'empty file (expected a header row such as x1,...,xd,y)');
  const yIndex = labelIndex(header, file);
  const d = header.length - 1;
  const P = all.length - 1;
  const X = new Float64Array(P * d);
  const y = new Float64Array(P);
  for (let row = 1; row <= P; row++) {
    const { record, info } = all[row] as CsvRecord;
    if (record.length !== header.length) {
      throw formatError(
        file,
        `row ${row} (line ${info.lines}) has ${record.length} values, expected ${header.length} as in the header`,
      );
    }
    let j = 0;
    record.forEach((cell, c) => {
      const value = cellValue(cell, file, row, info.lines, header[c] ?? '');
      if (c === yIndex) y[row - 1] = value;
      else X[(row - 1) * d + j++] = value;
    });
  }
  return { X, y, P, d };
}

/** Shortest round-tripping text of a double; String() drops the sign of -0, so keep it. */
export function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** CSV text in blocks of rows, so large data never becomes one giant string. */
export function* csvChunks(data: Data, rowsPerChunk = 1024): Generator<string> {
  const { X, y, P, d } = data;
  const names = Array.from({ length: d }, (_, j) => `x${j + 1}`);
  yield `${[...names, LABEL_COLUMN].join(',')}\n`;
  for (let start = 0; start < P; start += rowsPerChunk) {
    const lines: string[] = [];
    for (let mu = start; mu < Math.min(P, start + rowsPerChunk); mu++) {
      const cells = Array.from(X.subarray(mu * d, mu * d + d), formatNumber);
      cells.push(formatNumber(y[mu] ?? 0));
      lines.push(cells.join(','));
    }
    yield `${lines.join('\n')}\n`;
  }
}

/**
 * Reads a CSV data file.
 * @throws MflError ERR_MFL_IO when it cannot be read, ERR_MFL_FORMAT for bad contents
 */
export async function readCsv(file: string): Promise<Data> {
  checkPath(file, 'file');
  return parseCsvData((await readFileChecked(file)).toString('utf8'), file);
}

/** As `readCsv`, synchronously. */
export function readCsvSync(file: string): Data {
  checkPath(file, 'file');
  return parseCsvData(readFileCheckedSync(file).toString('utf8'), file);
}

/**
 * Writes `data` as CSV with header x1..xd,y, atomically.
 * @throws MflTypeError / MflRangeError naming file or data.X, data.y, data.P, data.d when they
 *   are not a path and a split whose arrays agree with P and d
 * @throws MflError ERR_MFL_IO naming the path when it cannot be written
 */
export async function writeCsv(file: string, data: Data): Promise<void> {
  checkPath(file, 'file');
  checkData(data, 'data');
  const chunks: Chunks = csvChunks(data);
  await writeFileAtomic(file, chunks);
}
