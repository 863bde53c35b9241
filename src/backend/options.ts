/**
 * Schemas of the options every public function shares: `backend` (a name or a Backend object)
 * and the AsyncOptions of long-running calls (`signal`, `onProgress`). They are checked once, at
 * the public boundary, with the spec machinery of src/validate.ts.
 */
import * as z from 'zod';
import { invalidType } from '../errors.js';
import { abortSignal, callback, isPlainObject, parseOptions, satisfying } from '../validate.js';
import type { AsyncOptions, Backend, BackendName } from './types.js';

/** Every method of the Backend interface: an object offering all of them can run the kernels. */
const BACKEND_METHODS = [
  'info',
  'philox4x32',
  'fillUniform',
  'fillGaussian',
  'generateTaskRows',
  'generateTaskRowsAsync',
  'forward',
  'lossGradient',
  'gemm',
  'nngpGram',
  'nngpCross',
  'nngpDiag',
  'cholesky',
  'choleskySolve',
  'sgldRun',
  'sgldRunAsync',
  'mfRun',
  'mfRunAsync',
] as const satisfies readonly (keyof Backend)[];

// A method added to Backend must be added above (this line fails to compile otherwise).
const everyMethodListed: Exclude<
  keyof Backend,
  'name' | (typeof BACKEND_METHODS)[number]
> extends never
  ? true
  : never = true;
void everyMethodListed;

const BACKEND_DESCRIPTION = '"native", "js" or a Backend object (getBackend())';

/** Whether `value` is an object with a backend name and every Backend method. */
export function isBackend(value: unknown): value is Backend {
  if (value === null || typeof value !== 'object') return false;
  const b = value as Record<string, unknown>;
  return (
    (b.name === 'native' || b.name === 'js') &&
    BACKEND_METHODS.every((m) => typeof b[m] === 'function')
  );
}

/** The `backend` option: "native", "js" or a Backend object. */
export function backendOption() {
  return satisfying(
    (v): v is Backend | BackendName => v === 'native' || v === 'js' || isBackend(v),
    BACKEND_DESCRIPTION,
  );
}

/** The `signal` option. */
export const signalOption = abortSignal;

/** The `onProgress` option: (done, total) => void, called on the main thread. */
export function progressOption() {
  return callback<(done: number, total: number) => void>('(done, total) => void');
}

const asyncOptionsSchema = z.strictObject({
  signal: signalOption().optional(),
  // null is "no callback", as the addon takes it.
  onProgress: progressOption().nullable().optional(),
});

/**
 * The AsyncOptions of a backend's long-running call, checked: undefined is none.
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key; MflTypeError naming
 *   options.signal (not an AbortSignal) or options.onProgress (not a function)
 */
export function parseAsyncOptions(options: unknown): AsyncOptions {
  const { signal, onProgress } = parseOptions(asyncOptionsSchema, options);
  return {
    ...(signal !== undefined && { signal }),
    ...(onProgress !== undefined && onProgress !== null && { onProgress }),
  };
}

/**
 * `value` as an object argument of a backend method named `field` (params, rows, config, ...).
 * @throws MflTypeError naming `field` when it is not an object
 */
export function objectArgument<T>(value: T, field: string): T {
  if (!isPlainObject(value)) throw invalidType(field, 'an object', value);
  return value;
}
