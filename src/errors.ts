/**
 * Errors thrown by mfl. Every error carries a stable `code`; messages name the offending field
 * and, for ranges, what is allowed. The native binding throws TypeError/RangeError with the same
 * codes, so callers can branch on `code` whichever backend ran.
 */

export type MflErrorCode =
  | 'ERR_MFL_INVALID_TYPE'
  | 'ERR_MFL_OUT_OF_RANGE'
  | 'ERR_MFL_UNKNOWN_OPTION'
  | 'ERR_MFL_CANCELLED'
  | 'ERR_MFL_NATIVE_UNAVAILABLE'
  | 'ERR_MFL_IO'
  | 'ERR_MFL_FORMAT'
  | 'ERR_MFL_DIVERGED'
  | 'ERR_MFL_POINTS_FAILED';

export class MflError extends Error {
  readonly code: MflErrorCode;
  constructor(code: MflErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MflError';
    this.code = code;
  }
}

export class MflTypeError extends TypeError {
  readonly code = 'ERR_MFL_INVALID_TYPE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'MflTypeError';
  }
}

export class MflRangeError extends RangeError {
  readonly code = 'ERR_MFL_OUT_OF_RANGE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'MflRangeError';
  }
}

/** `field: expected <expected>, got <got>` as a type error. */
export function invalidType(field: string, expected: string, got: unknown): MflTypeError {
  return new MflTypeError(`${field}: expected ${expected}, got ${describe(got)}`);
}

/** `field: must be <allowed>, got <got>` as a range error. */
export function outOfRange(field: string, allowed: string, got: unknown): MflRangeError {
  return new MflRangeError(`${field}: must be ${allowed}, got ${describe(got)}`);
}

export function cancelled(what: string): MflError {
  return new MflError('ERR_MFL_CANCELLED', `${what} was cancelled`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'function' ? 'a function' : `an ${typeof value}`;
}
