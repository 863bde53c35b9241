/**
 * The in-memory form of one data split, shared by the CSV and .npy loaders and writers.
 */
import { formatError } from './files.js';

/** One split: X is P x d row-major, y has P entries. */
export interface Data {
  X: Float64Array;
  y: Float64Array;
  /** Rows (samples), >= 0. */
  P: number;
  /** Columns (input dimension), >= 1. */
  d: number;
}

/** Which split a file holds. */
export type Split = 'train' | 'test';

/** File formats of `loadData` / `writeData`. */
export type DataFormat = 'csv' | 'npy';

/**
 * Rejects NaN and infinite values: they would otherwise surface much later as a silent NaN in a
 * loss or a kernel matrix.
 * @param file named in the message
 * @param name "X" or "y"
 * @param cols columns of `values` (1 for y), to report a (row, column) position
 * @throws MflError ERR_MFL_FORMAT naming the file and the first bad entry
 */
export function checkFinite(values: Float64Array, file: string, name: string, cols: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (!Number.isFinite(v)) {
      const at = cols === 1 ? `[${i}]` : `[${Math.floor(i / cols)}, ${i % cols}]`;
      throw formatError(file, `${name}${at} is ${v} (data must be finite)`);
    }
  }
}
