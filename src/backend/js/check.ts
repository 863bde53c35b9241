/**
 * The loop bounds of the js kernels, checked as the binding checks them (native/napi/args.cpp).
 * The js backend otherwise trusts its callers, which validate specs first; but a count that is
 * zero, fractional, subnormal, a bigint or huge would make a loop divide by it or never end, so
 * those few are refused with the binding's messages.
 */
import { invalidType, outOfRange } from '../../errors.js';

/** BLAS takes 32-bit sizes; the js kernels keep the binding's limit. */
export const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * `value` as an integer in [min, max].
 * @throws MflTypeError naming `field` for a non-number (a bigint included)
 * @throws MflRangeError naming `field` for a fraction, NaN or a value out of range
 */
export function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(field, 'a number', value);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    const upper = max === MAX_DIMENSION ? '2^31 - 1' : String(max);
    throw outOfRange(field, `an integer in [${min}, ${upper}]`, value);
  }
  return value;
}

/** A dimension (n, d): an integer in [1, 2^31 - 1]. */
export function dimension(value: unknown, field: string): number {
  return integerIn(value, field, 1, MAX_DIMENSION);
}

/** `length` as a whole number of rows of `width`, for the array named `field`. */
export function rowsOf(length: number, width: number, field: string, widthName: string): number {
  if (length % width !== 0) {
    throw invalidType(
      field,
      `a Float64Array whose length is a multiple of ${widthName} = ${width}`,
      `length ${length}`,
    );
  }
  return length / width;
}

/** `array` as a Float64Array of exactly `length` values (`formula` says where it comes from). */
export function lengthIs(array: unknown, length: number, field: string, formula: string): void {
  if (!(array instanceof Float64Array) || array.length !== length) {
    throw invalidType(field, `a Float64Array of length ${formula} = ${length}`, array);
  }
}
