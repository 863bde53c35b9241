/**
 * Argument checks of the file functions: they are public, so a path that is not a string, a split
 * or format that does not exist, or data whose X, y, P and d disagree is the caller's error,
 * reported with mfl's codes before anything is read or written (a malformed file is worse than
 * an error).
 */
import { invalidType, outOfRange } from '../../errors.js';
import { MAX_ELEMENTS } from '../spec.js';
import type { Data } from './data.js';

/** A path: a non-empty string. */
export function checkPath(file: unknown, field: string): asserts file is string {
  if (typeof file !== 'string' || file === '') {
    throw invalidType(field, 'a non-empty string (a path)', file);
  }
}

/** One of `values`. */
export function checkOneOf<T extends string>(
  value: unknown,
  field: string,
  values: readonly T[],
): asserts value is T {
  if (!values.includes(value as T)) {
    const allowed = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    if (typeof value !== 'string') throw invalidType(field, allowed, value);
    throw outOfRange(field, allowed, value);
  }
}

function checkCount(value: unknown, field: string, min: number): asserts value is number {
  if (typeof value !== 'number')
    throw invalidType(field, `an integer in [${min}, 2^31 - 1]`, value);
  if (!(Number.isInteger(value) && value >= min && value <= MAX_ELEMENTS)) {
    throw outOfRange(field, `an integer in [${min}, 2^31 - 1]`, value);
  }
}

/** A Float64Array of exactly `length` values (`formula` says why). */
export function checkValues(
  values: unknown,
  field: string,
  length: number,
  formula: string,
): asserts values is Float64Array {
  if (!(values instanceof Float64Array) || values.length !== length) {
    throw invalidType(field, `a Float64Array of length ${length} (${formula})`, values);
  }
}

/** Data to write: X (P x d) and y (P) that agree with P and d. */
export function checkData(data: unknown, field: string): asserts data is Data {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalidType(field, 'an object {X, y, P, d}', data);
  }
  const { X, y, P, d } = data as Record<string, unknown>;
  checkCount(P, `${field}.P`, 0);
  checkCount(d, `${field}.d`, 1);
  checkValues(X, `${field}.X`, P * d, `P*d = ${P}*${d}`);
  checkValues(y, `${field}.y`, P, `P = ${P}`);
}

/** A 1-D or 2-D shape. */
export function checkShape(shape: unknown, field: string): asserts shape is number[] {
  const valid =
    Array.isArray(shape) &&
    (shape.length === 1 || shape.length === 2) &&
    shape.every((s) => Number.isInteger(s) && s >= 0 && s <= MAX_ELEMENTS);
  if (!valid) throw invalidType(field, 'an array of 1 or 2 integers in [0, 2^31 - 1]', shape);
}
