/**
 * Validation at the public boundary: specs are zod schemas, and `parseSpec` turns a zod failure
 * into mfl's own errors (stable codes, one message naming the field and what is allowed). The
 * schema builders below (`int`, `finite`, `positive`, `oneOf`, `nonEmptyString`) attach a human description of
 * the allowed values to every check, so a message says "must be an integer in [1, 4096]" rather
 * than zod's generic "too small".
 */
import * as z from 'zod';
import { MflError, invalidType, outOfRange, describe } from './errors.js';

/** Options of `parseSpec`. */
export interface ParseSpecOptions {
  /**
   * How a field is named in messages, from its path (default: the dotted path, e.g.
   * "network.N"). The CLI maps spec fields to flags here ("PTest" -> "--P-test").
   */
  label?: (path: readonly PropertyKey[]) => string;
}

/**
 * Validates `input` against `schema` and returns the parsed (normalised, defaults filled) value.
 * Reports the most useful problem only: an unknown key first (it usually explains the rest, e.g. a
 * misspelt required key), else the first failing field.
 *
 * @param schema a zod schema, with strict objects so unknown keys are rejected
 * @param input the value to validate (any type)
 * @param what what the input is ("task spec"), used when the input itself is wrong or for
 *   unknown keys
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key, with a "did you mean" hint
 * @throws MflTypeError ERR_MFL_INVALID_TYPE for a value of the wrong type or a missing field
 * @throws MflRangeError ERR_MFL_OUT_OF_RANGE for a value of the right type outside the allowed
 *   set (including NaN, infinities and non-integers where integers are required)
 */
export function parseSpec<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  options: ParseSpecOptions = {},
): z.output<S> {
  checkParseOptions(options);
  const result = schema.safeParse(input, { error: allowedDescription });
  if (result.success) return result.data;
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (!issue) throw new MflError('ERR_MFL_FORMAT', `${what}: invalid`);
  throw toMflError(issue, input, what, options.label ?? dottedPath);
}

/** Options of parseSpec come from callers too: a label that is not a function is their error. */
function checkParseOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) {
    throw invalidType('options', 'an object {label}', options);
  }
  const { label } = options as { label?: unknown };
  if (label !== undefined && typeof label !== 'function') {
    throw invalidType('options.label', 'a function (path) => string', label);
  }
}

/** The description of an integer in [min, max] (max optional), as used in messages. */
export function intDescription(min: number, max?: number): string {
  return max === undefined ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
}

/**
 * An integer schema; every failure (type, NaN, fraction, range) reports
 * "an integer in [min, max]".
 * @param min smallest allowed value
 * @param max largest allowed value (default: none; at most 2^53 - 1 regardless)
 */
export function int(min: number, max?: number): z.ZodNumber {
  const error = intDescription(min, max);
  const base = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
}

/**
 * A finite number schema; failures report "a finite number >= min" (or "in [min, max]").
 * @param min smallest allowed value (default: none)
 * @param max largest allowed value (default: none)
 */
export function finite(min?: number, max?: number): z.ZodNumber {
  const error =
    min !== undefined && max !== undefined
      ? `a finite number in [${min}, ${max}]`
      : min !== undefined
        ? `a finite number >= ${min}`
        : max !== undefined
          ? `a finite number <= ${max}`
          : 'a finite number';
  let schema = z.number({ error });
  if (min !== undefined) schema = schema.min(min, { error });
  if (max !== undefined) schema = schema.max(max, { error });
  return schema;
}

/** A finite positive number schema; failures report "a finite number > 0". */
export function positive(): z.ZodNumber {
  const error = 'a finite number > 0';
  return z.number({ error }).positive({ error }).finite({ error });
}

/**
 * The check shared by the sampling specs: a given burn-in leaves at least one step to sample.
 * Use as `schema.check(burnInBelowSteps)`.
 */
export function burnInBelowSteps(
  ctx: z.core.ParsePayload<{ burnIn: number | null; steps: number }>,
): void {
  const s = ctx.value;
  if (s.burnIn !== null && s.burnIn >= s.steps) {
    ctx.issues.push({
      code: 'custom',
      path: ['burnIn'],
      input: s.burnIn,
      message: `an integer in [0, steps - 1] = [0, ${s.steps - 1}]`,
    });
  }
}

/** A string enum schema; failures report `one of "a", "b"`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
}

/** Whether `value` is an object of named fields: not null, an array, a typed array or a buffer. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    !(value instanceof ArrayBuffer) &&
    !(typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)
  );
}

/**
 * `schema` (an object schema) for plain objects only. zod takes any object, so one whose keys are
 * all optional would accept an ArrayBuffer or an empty typed array as {}; this refuses them with
 * a type error.
 */
export function plainObject<T extends z.ZodType>(schema: T) {
  const error = 'a plain object (not an array, typed array or ArrayBuffer)';
  return z
    .unknown()
    .check((ctx) => {
      if (ctx.value === undefined || isPlainObject(ctx.value)) return;
      ctx.issues.push({
        code: 'invalid_type',
        expected: 'object',
        input: ctx.value,
        message: error,
      });
    })
    .pipe(schema);
}

/**
 * A schema for values no JSON type describes (functions, AbortSignals, objects with methods):
 * `test` decides, and a failure is a type error reporting `description`.
 */
export function satisfying<T>(test: (value: unknown) => value is T, description: string) {
  return z.custom<T>().check((ctx) => {
    if (test(ctx.value)) return;
    ctx.issues.push({
      code: 'invalid_type',
      expected: 'object',
      input: ctx.value,
      message: description,
    });
  });
}

/** A function schema (callbacks); failures report `a function <signature>`. */
export function callback<F extends (...args: never[]) => unknown>(signature: string) {
  return satisfying((v): v is F => typeof v === 'function', `a function ${signature}`);
}

/** An AbortSignal schema. */
export function abortSignal() {
  return satisfying(
    (v): v is AbortSignal => typeof AbortSignal !== 'undefined' && v instanceof AbortSignal,
    'an AbortSignal',
  );
}

/** The `labels` option of the methods: ParseSpecOptions, {label?: (path) => string}. */
export function labelsOption() {
  return z.strictObject({
    label: callback<(path: readonly PropertyKey[]) => string>('(path) => string').optional(),
  });
}

/** How a field of an options object is named in messages: "options.backend". */
function optionLabel(path: readonly PropertyKey[]): string {
  return ['options', ...path.map(String)].join('.');
}

/**
 * Validates the options object of a public function against `schema` (a strict object schema):
 * undefined is no options; anything else must be a plain object with known keys only. Fields are
 * named "options.key" in messages. Every field is read once, here: callers use the returned copy.
 * @throws MflError ERR_MFL_UNKNOWN_OPTION for an unknown key, with a "did you mean" hint
 * @throws MflTypeError / MflRangeError naming the field for a wrong value
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseSpec(plainObject(schema), input === undefined ? {} : input, 'options', {
    label: optionLabel,
  });
}

/** A non-empty string schema (paths, names). */
export function nonEmptyString(): z.ZodString {
  const error = 'a non-empty string';
  return z.string({ error }).min(1, { error });
}

/** Marks the message of an unknown-keys issue as carrying the known keys (internal encoding). */
const KNOWN_KEYS = '\u0000known-keys:';

type RawIssue = z.core.$ZodRawIssue;

/**
 * The per-parse error map: describes what is allowed for issues the schema did not describe
 * itself (the builders above do), and records the known keys of a strict object so the caller
 * can suggest the closest one.
 */
function allowedDescription(issue: RawIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return KNOWN_KEYS + JSON.stringify(knownKeys(issue.inst));
    case 'invalid_type':
      return withArticle(issue.expected === 'int' ? 'integer' : issue.expected);
    case 'too_small':
      return `${withArticle(issue.origin)} ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `${withArticle(issue.origin)} ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => describe(v)).join(', ')}`;
    case 'invalid_union':
      return 'options' in issue && Array.isArray(issue.options)
        ? `one of ${issue.options.map((v: unknown) => describe(v)).join(', ')}`
        : 'a valid value';
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    case 'invalid_format':
      return `a valid ${issue.format}`;
    default:
      return 'valid';
  }
}

function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
    ?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function dottedPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** The value at `path` in `input`, or undefined when the path does not exist. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function toMflError(
  issue: z.core.$ZodIssue,
  input: unknown,
  what: string,
  label: (path: readonly PropertyKey[]) => string,
): Error {
  if (issue.code === 'unrecognized_keys') return unknownOption(issue, what, label);
  const field = issue.path.length === 0 ? what : label(issue.path);
  const got = valueAt(input, issue.path);
  if (issue.code === 'invalid_union') {
    // A branch that took the value's type and failed inside it names the inner field ("ard:
    // {alpha0: 'x'}" is about ard.alpha0); when every branch refused the type, say which are allowed.
    const inner = issue.errors.find((b) => b.length > 0 && b.every((i) => i.path.length > 0));
    if (inner) {
      const first = inner[0]!;
      return toMflError({ ...first, path: [...issue.path, ...first.path] }, input, what, label);
    }
    const typeOnly =
      issue.errors.length > 0 &&
      issue.errors.every((b) => b.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
    if (typeOnly) return invalidType(field, issue.message, got);
  }
  // A number failing a number schema (NaN, infinite, fractional) is a range problem, like one out
  // of bounds; a value of another kind, or a missing one, is a type problem.
  const wrongKind =
    issue.code === 'invalid_type' &&
    !(typeof got === 'number' && (issue.expected === 'number' || issue.expected === 'int'));
  if (wrongKind || got === undefined) {
    return invalidType(field, issue.message, got);
  }
  return outOfRange(field, issue.message, got);
}

function unknownOption(
  issue: z.core.$ZodIssueUnrecognizedKeys,
  what: string,
  label: (path: readonly PropertyKey[]) => string,
): MflError {
  const known = issue.message.startsWith(KNOWN_KEYS)
    ? (JSON.parse(issue.message.slice(KNOWN_KEYS.length)) as string[])
    : [];
  const key = issue.keys[0] ?? '';
  const name = label([...issue.path, key]);
  const suggestion = closest(key, known);
  const others = issue.keys.length > 1 ? ` (and ${issue.keys.length - 1} more)` : '';
  const hint = suggestion
    ? `; did you mean "${label([...issue.path, suggestion])}"?`
    : known.length > 0
      ? `; known options: ${known.map((k) => label([...issue.path, k])).join(', ')}`
      : '';
  return new MflError(
    'ERR_MFL_UNKNOWN_OPTION',
    `${what}: unknown option "${name}"${others}${hint}`,
  );
}

/**
 * The candidate closest to `key` by edit distance (case-insensitive, transpositions count one),
 * or null when none is close enough to be a plausible typo.
 */
export function closest(key: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    const length = Math.max(key.length, candidate.length);
    // A full replacement of a short key ("x" for "d") is not a typo.
    const plausible = distance < length && distance <= Math.max(1, Math.round(0.4 * length));
    if (plausible && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const dist = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => dist[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) dist[i * cols] = i;
  for (let j = 0; j < cols; j++) dist[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, at(i - 2, j - 2) + 1);
      }
      dist[i * cols + j] = d;
    }
  }
  return at(rows - 1, cols - 1);
}

/** A plain decimal number literal: optional sign, digits with optional point, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a decimal number literal strictly: "12", "-0.5", "1e3", ".5" parse; "12abc", "0x10",
 * "", " 1", "Infinity" and "NaN" do not (Number() would accept some of these silently).
 * @returns the number (possibly infinite when the literal overflows), or null if not a literal
 */
export function parseDecimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}
