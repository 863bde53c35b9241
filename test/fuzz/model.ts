/**
 * The fuzz model of one function: how to build a valid call from a few random shape parameters,
 * the fields a wrong value may be put into (with what each accepts), and how to check a result.
 * A case is (parameters, field, wrong value). The property: the call either succeeds with finite,
 * well-shaped output (the value happened to be valid) or throws an Error with a documented
 * ERR_MFL_* code whose message starts with the offending field's name; a value that is invalid
 * whatever the rest of the call (wrong type, NaN, wrong length, unknown key...) must throw.
 */
import fc from 'fast-check';
import { loadNative } from '../../src/binding.js';
import {
  detach,
  isTyped,
  materialise,
  numberArb,
  primitiveArb,
  typedArb,
  unknownKeyArb,
  type Bad,
  type TypedBad,
  type TypedName,
} from './values.js';

export type Kind =
  /** An integer in [min, max] (other bounds may depend on other fields). */
  | { t: 'int'; min: number; max: number }
  /** A number in [min, max]; `open`: min itself excluded. */
  | { t: 'num'; min: number; max: number; open?: boolean }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly string[] }
  /**
   * A typed array of `type`. `exact`: its length is fixed by the other arguments (else rows are
   * inferred from it); `finite`: its values are checked (an input); `nonEmpty`: length 0 is
   * refused; `fixedLength`: a resizable buffer is refused (arrays an async job writes).
   */
  | {
      t: 'array';
      type: TypedName;
      exact: boolean;
      finite: boolean;
      nonEmpty?: boolean;
      fixedLength?: boolean;
    }
  /** Must be null (b and gb without bias). */
  | { t: 'nullOnly' }
  /** A string (a path, a name); `nonEmpty`: '' is refused. */
  | { t: 'string'; nonEmpty: boolean }
  /** An options object; `strict`: unknown keys are errors. */
  | { t: 'object'; keys: readonly string[]; strict: boolean }
  /** A callback (function; null or undefined per nullable/optional). */
  | { t: 'callback' }
  /** An AbortSignal (no wrong value generated is one). */
  | { t: 'signal' }
  /** Anything goes (e.g. a path string checked by the file system). */
  | { t: 'any' };

export interface Field {
  /** Where the value sits: argument index, then keys. */
  path: readonly (string | number)[];
  /** How messages name it (they start with `label:` or `label[`). */
  label: string;
  kind: Kind;
  /** May be missing or undefined. */
  optional?: boolean;
  /** May be null. */
  nullable?: boolean;
}

export interface Model<P> {
  name: string;
  params: fc.Arbitrary<P>;
  /** Fresh arguments of a valid call. */
  base(p: P): unknown[];
  fields(p: P): readonly Field[];
  call(args: unknown[], p: P): unknown;
  /** A problem with the output of a call that succeeded, or null. */
  verify?(args: unknown[], result: unknown, p: P): string | null;
  /** Other names errors may start with (products such as "P*d", derived counts, a file). */
  labels?: readonly string[] | ((args: unknown[]) => readonly string[]);
  /** Messages may name a label anywhere, not only at the start ("cannot read FILE: ..."). */
  nameAnywhere?: boolean;
  /** Codes besides INVALID_TYPE, OUT_OF_RANGE and UNKNOWN_OPTION that a failure may carry. */
  codes?: readonly string[];
  /**
   * Why this case is not run, or null: valid inputs too large to run in a unit test, and the
   * input classes of known findings (each named where it is excluded).
   */
  skip?(args: unknown[], p: P, field: Field, bad: Bad): string | null;
  /**
   * Why the call, after the wrong value went in, is not run, or null: a valid call too large to
   * run here (a spec asking for 10^9 steps), or one in the input class of a known finding.
   */
  notRun?(args: unknown[], p: P): string | null;
  /** Wrong values for `field` (default: by kind). */
  bads?(field: Field): fc.Arbitrary<Bad> | null;
  /** Only report crashes, hangs and non-Error throws (the js backend checks nothing). */
  lenient?: boolean;
}

export interface Case<P> {
  p: P;
  field: number;
  bad: Bad;
}

/** Longest a single call may take before it counts as hung. */
export const HANG_MS = 20_000;

/** `promise`, or a rejection saying it hung. */
export async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HungError(`${what} did not settle in ${HANG_MS} ms`)),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** A call that never settled: always a finding. */
export class HungError extends Error {}

/** What a model's call returns for a job that was cancelled as asked. */
export const CANCELLED = 'cancelled';

type Skip<P> = NonNullable<Model<P>['skip']>;

/** `model` with more excluded input classes. */
export function withSkips<P>(model: Model<P>, ...skips: NoInfer<Skip<P>>[]): Model<P> {
  const all = model.skip ? [model.skip, ...skips] : skips;
  return {
    ...model,
    skip: (args, p, field, bad) => {
      for (const skip of all) {
        const why = skip(args, p, field, bad);
        if (why) return why;
      }
      return null;
    },
  };
}

/**
 * Without the addon (a JS-only installation), backend "native" is a valid value that cannot be
 * served: every function that takes a backend may answer with the documented
 * ERR_MFL_NATIVE_UNAVAILABLE, naming the field like any other error.
 */
const BASE_CODES = [
  'ERR_MFL_INVALID_TYPE',
  'ERR_MFL_OUT_OF_RANGE',
  'ERR_MFL_UNKNOWN_OPTION',
  ...(loadNative().addon ? [] : ['ERR_MFL_NATIVE_UNAVAILABLE']),
];

/** Wrong values suited to a field of `kind`. */
export function badsByKind(field: Field): fc.Arbitrary<Bad> {
  const kind = field.kind;
  const missing = fc.constant<Bad>({ k: 'missing' });
  switch (kind.t) {
    case 'int':
    case 'num':
      return fc.oneof(
        { weight: 8, arbitrary: numberArb().map<Bad>((v) => ({ k: 'number', v })) },
        { weight: 2, arbitrary: primitiveArb() },
        { weight: 1, arbitrary: missing },
      );
    case 'bool':
      return fc.oneof(primitiveArb(), missing);
    case 'enum':
      return fc.oneof(
        { weight: 3, arbitrary: primitiveArb(kind.values) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(...kind.values).map<Bad>((v) => ({ k: 'string', v })),
        },
        { weight: 1, arbitrary: missing },
      );
    case 'array':
      return fc.oneof(
        { weight: 8, arbitrary: typedArb() },
        { weight: 2, arbitrary: primitiveArb() },
        { weight: 1, arbitrary: missing },
      );
    case 'object':
      return fc.oneof(
        { weight: 6, arbitrary: unknownKeyArb(kind.keys) },
        { weight: 2, arbitrary: primitiveArb() },
        { weight: 1, arbitrary: typedArb({ aliasable: false }) },
      );
    case 'nullOnly':
      return fc.oneof(typedArb(), primitiveArb(), missing);
    case 'string':
    case 'callback':
    case 'signal':
    case 'any':
      return fc.oneof(primitiveArb(), missing);
  }
}

export function caseArb<P>(model: Model<P>): fc.Arbitrary<Case<P>> {
  return model.params.chain((p) => {
    const fields = model.fields(p);
    return fc.nat({ max: fields.length - 1 }).chain((i) => {
      const field = fields[i]!;
      const bads = model.bads?.(field) ?? badsByKind(field);
      // A property inside an options object may also become an accessor.
      const getter = fc.boolean().map<Bad>((detach) => ({ k: 'getter', detach }));
      return fc
        .oneof(
          { weight: 1, arbitrary: fc.constant<Bad>({ k: 'none' }) },
          { weight: 12, arbitrary: bads },
          { weight: field.path.length > 1 && !model.bads ? 1 : 0, arbitrary: getter },
        )
        .map((bad) => ({ p, field: i, bad }));
    });
  });
}

// ---- applying a case ----------------------------------------------------------------------------

function getAt(root: unknown[], path: readonly (string | number)[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** Every typed array among the arguments and their direct properties. */
function arraysOf(args: unknown[]): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (isTyped(v)) out.push(v);
    else if (depth < 2 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const x of Object.values(v)) visit(x, depth + 1);
    }
  };
  args.forEach((a) => visit(a, 0));
  return out;
}

function apply(args: unknown[], field: Field, bad: Bad, before: unknown): void {
  if (bad.k === 'none') return;
  if (bad.k === 'unknownKey') {
    if (before !== null && typeof before === 'object') {
      (before as Record<string, unknown>)[bad.key] = 1;
    }
    return;
  }
  if (bad.k === 'getter') {
    const parent = getAt(args, field.path.slice(0, -1)) as object;
    const victim = arraysOf(args).find((a) => a !== before);
    Object.defineProperty(parent, field.path[field.path.length - 1]!, {
      enumerable: true,
      configurable: true,
      get: () => {
        // The detached memory now belongs to an unreachable clone: collect it (the driver runs
        // with --expose-gc), so a pointer kept to it points to freed memory.
        if (bad.detach && detach(victim)) (globalThis as { gc?: () => void }).gc?.();
        return before;
      },
    });
    return;
  }
  const path = field.path;
  const key = path[path.length - 1]!;
  if (path.length === 1 && bad.k === 'missing' && key === args.length - 1) {
    args.length -= 1;
    return;
  }
  const parent = (path.length === 1 ? args : getAt(args, path.slice(0, -1))) as Record<
    string | number,
    unknown
  >;
  if (bad.k === 'missing') {
    delete parent[key];
    return;
  }
  parent[key] = materialise(bad, before, arraysOf(args));
}

/** The length a typed replacement will have (alias: unknown). */
function typedLength(bad: TypedBad, before: unknown): number | null {
  if (bad.backing === 'alias') return null;
  if (bad.backing === 'detached') return 0; // whatever it had before its buffer went
  const base = isTyped(before) ? before.length : 4;
  const lengths = { same: base, plus1: base + 1, minus1: Math.max(0, base - 1), zero: 0 };
  return bad.length === 'double' ? 2 * base : lengths[bad.length];
}

const NOT_OBJECT = new Set(['number', 'string', 'bool', 'bigint', 'symbol', 'function', 'array']);

/**
 * Why `bad` in `field` makes the call invalid whatever the other arguments are, or null when it
 * may be valid.
 */
export function invalidity(field: Field, bad: Bad, before: unknown): string | null {
  const kind = field.kind;
  if (bad.k === 'none' || bad.k === 'getter') return null;
  if (bad.k === 'missing' || bad.k === 'undefined') {
    return field.optional || kind.t === 'any' ? null : 'missing';
  }
  if (bad.k === 'null') return field.nullable || kind.t === 'any' ? null : 'null';
  if (bad.k === 'unknownKey') return kind.t === 'object' && kind.strict ? 'unknown key' : null;
  switch (kind.t) {
    case 'int':
    case 'num': {
      if (bad.k !== 'number') return `not a number (${bad.k})`;
      const v = bad.v;
      if (!Number.isFinite(v)) return 'not finite';
      if (kind.t === 'int' && !Number.isInteger(v)) return 'not an integer';
      if (v < kind.min || v > kind.max) return 'out of range';
      if (kind.t === 'num' && kind.open && v === kind.min) return 'out of range';
      return null;
    }
    case 'bool':
      return bad.k === 'bool' ? null : `not a boolean (${bad.k})`;
    case 'enum':
      if (bad.k !== 'string') return `not a string (${bad.k})`;
      return kind.values.includes(bad.v) ? null : 'not an allowed value';
    case 'array': {
      if (bad.k !== 'typed') return `not a typed array (${bad.k})`;
      if (bad.type !== kind.type) return `a ${bad.type}`;
      // In place of a non-array (a null that may also be an array) the length is a guess.
      if (!isTyped(before)) return null;
      const baseLength = before.length;
      if (bad.backing === 'detached' && baseLength > 0) return 'detached';
      const length = typedLength(bad, before);
      if (kind.exact && length !== null && length !== baseLength) return 'wrong length';
      if (kind.nonEmpty && (length === 0 || bad.backing === 'detached')) return 'empty';
      // Rows inferred from a changed length change what the other arrays must be; which one a
      // check then names first is the binding's choice.
      if (!kind.exact && length !== baseLength) return null;
      const resizable = bad.backing === 'resizable' || bad.backing === 'disguised';
      if (resizable && kind.fixedLength) return 'over a resizable buffer';
      const nonFinite = bad.fill === 'nan' || bad.fill === 'inf' || bad.fill === 'negInf';
      if (kind.finite && nonFinite && length !== null && length > 0 && bad.backing !== 'detached')
        return 'not finite';
      return null;
    }
    case 'object':
      if (NOT_OBJECT.has(bad.k) || bad.k === 'typed' || bad.k === 'arrayBuffer') {
        return `not an options object (${bad.k})`;
      }
      return kind.strict && bad.k === 'object' ? 'unknown key valueOf' : null;
    case 'nullOnly':
      return 'not null';
    case 'string':
      if (bad.k !== 'string') return `not a string (${bad.k})`;
      return kind.nonEmpty && bad.v === '' ? 'empty' : null;
    case 'callback':
      return bad.k === 'function' ? null : `not a function (${bad.k})`;
    case 'signal':
      return `not an AbortSignal (${bad.k})`;
    case 'any':
      return null;
  }
}

// ---- judging ------------------------------------------------------------------------------------

/** The name an error message starts with: the text before the first ': '. */
function head(message: string): string {
  const i = message.indexOf(': ');
  return i < 0 ? '' : message.slice(0, i);
}

function namesField(message: string, label: string): boolean {
  const h = head(message);
  return h === label || h.startsWith(`${label}[`);
}

/** Whether the message starts with a known name, or a formula made only of known names. */
function namesKnown(message: string, labels: ReadonlySet<string>): boolean {
  const h = head(message);
  if (labels.has(h) || labels.has(h.replace(/\[\d+\]$/, ''))) return true;
  const tokens = h.match(/[A-Za-z_][A-Za-z0-9_.]*/g) ?? [];
  return (
    tokens.length > 0 && /^[A-Za-z0-9_.*+()^ -]+$/.test(h) && tokens.every((t) => labels.has(t))
  );
}

function isPrefix(prefix: readonly unknown[], path: readonly unknown[]): boolean {
  return prefix.every((key, i) => path[i] === key);
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : fc.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

export function judgeError<P>(
  model: Model<P>,
  args: unknown[],
  fields: readonly Field[],
  field: Field,
  bad: Bad,
  invalid: string | null,
  err: unknown,
): string | null {
  if (!(err instanceof Error)) return `threw a non-Error: ${short(err)}`;
  if (model.lenient) return null;
  const code = (err as { code?: unknown }).code;
  const codes = [...BASE_CODES, ...(model.codes ?? [])];
  const what = `${err.name} ${String(code)}: ${short(err.message)}`;
  if (typeof code !== 'string' || !codes.includes(code)) return `undocumented code: ${what}`;
  if (code === 'ERR_MFL_INVALID_TYPE' && !(err instanceof TypeError))
    return `not a TypeError: ${what}`;
  if (code === 'ERR_MFL_OUT_OF_RANGE' && !(err instanceof RangeError)) {
    return `not a RangeError: ${what}`;
  }
  // Outcomes of a run rather than verdicts on an argument.
  if (code === 'ERR_MFL_DIVERGED' || code === 'ERR_MFL_CANCELLED') return null;
  if (invalid && bad.k === 'unknownKey') {
    if (code !== 'ERR_MFL_UNKNOWN_OPTION' || !err.message.includes(`${bad.key}"`)) {
      return `unknown key "${bad.key}" in ${field.label} not named: ${what}`;
    }
    return null;
  }
  // An options object replaced by another object (a typed array, {valueOf}) has unknown keys.
  if (invalid && field.kind.t === 'object' && code === 'ERR_MFL_UNKNOWN_OPTION') return null;
  // An options object that is not one may be reported by the first key read from it.
  const named =
    field.kind.t === 'object'
      ? fields.filter((f) => f.path.length >= field.path.length && isPrefix(field.path, f.path))
      : [field];
  if (invalid && !named.some((f) => namesField(err.message, f.label))) {
    return `${field.label} (${invalid}) not named: ${what}`;
  }
  if (code === 'ERR_MFL_UNKNOWN_OPTION') return null;
  const labels = new Set([
    ...fields.map((f) => f.label),
    ...fields.map((f) => String(f.path[f.path.length - 1])),
    ...(typeof model.labels === 'function' ? model.labels(args) : (model.labels ?? [])),
  ]);
  const anywhere = model.nameAnywhere && [...labels].some((l) => l && err.message.includes(l));
  if (!invalid && !anywhere && !namesKnown(err.message, labels)) return `no field named: ${what}`;
  return null;
}

/** How the cases of one property ended: excluded, not run, thrown, returned. */
export interface Tally {
  excluded: number;
  notRun: number;
  threw: number;
  returned: number;
}

export const tally: Tally = { excluded: 0, notRun: 0, threw: 0, returned: 0 };

/** A problem with running case `c` of `model`, or null. */
export async function runCase<P>(model: Model<P>, c: Case<P>): Promise<string | null> {
  const fields = model.fields(c.p);
  const field = fields[c.field % fields.length]!;
  const args = model.base(c.p);
  const before = getAt(args, field.path);
  if (model.skip?.(args, c.p, field, c.bad)) {
    tally.excluded++;
    return null;
  }
  apply(args, field, c.bad, before);
  if (model.notRun?.(args, c.p)) {
    tally.notRun++;
    return null;
  }
  const invalid = invalidity(field, c.bad, before);
  let result: unknown;
  try {
    result = await withTimeout(Promise.resolve(model.call(args, c.p)), model.name);
  } catch (err) {
    tally.threw++;
    if (err instanceof HungError) return err.message;
    return judgeError(model, args, fields, field, c.bad, invalid, err);
  }
  tally.returned++;
  // Cancelled before it started: cancelling wins over checking (no verdict on the arguments).
  if (model.lenient || result === CANCELLED) return null;
  if (invalid) return `${field.label} (${invalid}) accepted without an error`;
  try {
    return model.verify?.(args, result, c.p) ?? null;
  } catch (err) {
    return `checking the output threw: ${err instanceof Error ? err.message : String(err)}`;
  }
}

// ---- output checks ------------------------------------------------------------------------------

/** The first non-finite entry of `values`, as a problem, or null. */
export function finiteProblem(name: string, values: unknown): string | null {
  if (!(values instanceof Float64Array)) return null;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `${name}[${i}] = ${values[i]} in a successful call`;
  }
  return null;
}

/** Whether any typed array among the arguments holds a value beyond 1e150 (overflow allowed). */
export function hasHuge(args: unknown[]): boolean {
  return arraysOf(args).some(
    (a) =>
      a instanceof Float64Array &&
      a.buffer.byteLength > 0 &&
      a.some((v) => Math.abs(v) > 1e150 || Number.isNaN(v) || !Number.isFinite(v)),
  );
}

/** The first problem among `checks`, or null. */
export function firstProblem(...checks: (string | null)[]): string | null {
  return checks.find((c) => c !== null) ?? null;
}
