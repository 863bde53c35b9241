/**
 * Wrong values for the fuzz properties, as plain descriptions (so fast-check prints, shrinks and
 * replays them) and their materialisation into fresh JS values at call time: typed arrays of the
 * wrong kind or length, detached, SharedArrayBuffer- or resizable-backed, aliasing another
 * argument, holding NaN or infinities; primitives of every JS type; unknown and missing keys.
 */
import fc from 'fast-check';

export const TYPED_NAMES = [
  'Float64Array',
  'Float32Array',
  'Uint32Array',
  'Int32Array',
  'Uint8Array',
  'BigInt64Array',
] as const;
export type TypedName = (typeof TYPED_NAMES)[number];

/** How a replacement typed array's length relates to the value it replaces. */
export type LengthChange = 'same' | 'plus1' | 'minus1' | 'zero' | 'double';

/**
 * Where its memory lives: an own ArrayBuffer, a SharedArrayBuffer, a detached buffer, an offset
 * view into a larger buffer, a resizable buffer (`disguised`: one with an own property
 * `resizable: false`), or the memory of another argument (`alias`).
 */
export type Backing =
  'plain' | 'shared' | 'detached' | 'offset' | 'resizable' | 'disguised' | 'alias';

/** What the array holds: the replaced value's contents, or those with one entry changed. */
export type Fill = 'copy' | 'nan' | 'inf' | 'negInf' | 'huge' | 'negZero' | 'subnormal';

export interface TypedBad {
  k: 'typed';
  type: TypedName;
  length: LengthChange;
  backing: Backing;
  fill: Fill;
  /** Which entry `fill` changes (modulo the length), or which argument `alias` shares. */
  at: number;
}

/** One wrong (or, by chance, valid) value put where a call expects something else. */
export type Bad =
  | { k: 'none' }
  | { k: 'missing' }
  | { k: 'undefined' }
  | { k: 'null' }
  | { k: 'number'; v: number }
  | { k: 'string'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'bigint'; v: bigint }
  | { k: 'symbol' }
  | { k: 'object' }
  | { k: 'array'; n: number }
  | { k: 'function' }
  | { k: 'arrayBuffer' }
  | { k: 'unknownKey'; key: string }
  /** The property becomes an accessor returning the value it had; `detach`: reading it first
   *  detaches another typed-array argument of the call. */
  | { k: 'getter'; detach: boolean }
  | TypedBad;

/** Numbers at and beyond every boundary the binding and the schemas draw. */
export const EDGE_NUMBERS: readonly number[] = [
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  -1,
  0.5,
  1.5,
  1,
  2,
  Number.MIN_VALUE,
  Number.EPSILON,
  2 ** 20 + 1,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 32 - 1,
  2 ** 40 + 1,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e308,
  -1e308,
  Number.MAX_VALUE,
];

/** Numbers for size and count fields: edges plus small values near typical shapes. */
export function numberArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
    { weight: 3, arbitrary: fc.integer({ min: -3, max: 40 }) },
    { weight: 1, arbitrary: fc.double({ noNaN: false }) },
  );
}

const STRINGS = ['', '1', '40', 'relu', 'linear', 'float16', 'parity ', 'NaN', 'x'.repeat(50)];

function stringArb(extra: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...STRINGS, ...extra),
    fc.string({ maxLength: 8 }),
    // Near misses of the allowed values: case and whitespace changes.
    extra.length > 0
      ? fc
          .constantFrom(...extra)
          .chain((s) => fc.constantFrom(s.toUpperCase(), ` ${s}`, s.slice(1), `${s}s`))
      : fc.constant('Relu'),
  );
}

/** JS values of every primitive type and a few object shapes. */
export function primitiveArb(strings: readonly string[] = []): fc.Arbitrary<Bad> {
  return fc.oneof(
    fc.constant<Bad>({ k: 'undefined' }),
    fc.constant<Bad>({ k: 'null' }),
    numberArb().map<Bad>((v) => ({ k: 'number', v })),
    stringArb(strings).map<Bad>((v) => ({ k: 'string', v })),
    fc.boolean().map<Bad>((v) => ({ k: 'bool', v })),
    fc.constantFrom(0n, 1n, 2n ** 64n).map<Bad>((v) => ({ k: 'bigint', v })),
    fc.constant<Bad>({ k: 'symbol' }),
    fc.constant<Bad>({ k: 'object' }),
    fc.nat({ max: 4 }).map<Bad>((n) => ({ k: 'array', n })),
    fc.constant<Bad>({ k: 'function' }),
    fc.constant<Bad>({ k: 'arrayBuffer' }),
  );
}

/** Typed-array replacements for an array-valued field. */
export function typedArb(options: { aliasable?: boolean; resizable?: boolean } = {}) {
  const backings: Backing[] = ['plain', 'shared', 'detached', 'offset'];
  if (options.resizable !== false) backings.push('resizable', 'disguised');
  if (options.aliasable !== false) backings.push('alias');
  return fc.record<TypedBad>({
    k: fc.constant('typed'),
    type: fc.oneof(
      { weight: 3, arbitrary: fc.constant<TypedName>('Float64Array') },
      { weight: 1, arbitrary: fc.constantFrom(...TYPED_NAMES) },
    ),
    length: fc.constantFrom<LengthChange>('same', 'same', 'plus1', 'minus1', 'zero', 'double'),
    backing: fc.constantFrom(...backings),
    fill: fc.constantFrom<Fill>(
      'copy',
      'copy',
      'nan',
      'inf',
      'negInf',
      'huge',
      'negZero',
      'subnormal',
    ),
    at: fc.nat({ max: 64 }),
  });
}

/** An extra key: a misspelling of a known key or an unrelated name. */
export function unknownKeyArb(known: readonly string[]): fc.Arbitrary<Bad> {
  const typo =
    known.length > 0
      ? fc
          .constantFrom(...known)
          .chain((key) =>
            fc.constantFrom(key.toLowerCase() === key ? `${key}_` : key.toLowerCase(), `${key}s`),
          )
      : fc.constant('extra');
  return fc
    .oneof(typo, fc.constantFrom('extra', 'constructor', '__proto__x', '0'))
    .filter((key) => !known.includes(key))
    .map<Bad>((key) => ({ k: 'unknownKey', key }));
}

// ---- materialisation ----------------------------------------------------------------------------

type TypedCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | BigInt64ArrayConstructor;

const CTORS: Record<TypedName, TypedCtor> = {
  Float64Array,
  Float32Array,
  Uint32Array,
  Int32Array,
  Uint8Array,
  BigInt64Array,
};

type AnyTyped = Float64Array | Float32Array | Uint32Array | Int32Array | Uint8Array | BigInt64Array;

export function isTyped(value: unknown): value is AnyTyped {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function newLength(base: number, change: LengthChange): number {
  switch (change) {
    case 'same':
      return base;
    case 'plus1':
      return base + 1;
    case 'minus1':
      return Math.max(0, base - 1);
    case 'zero':
      return 0;
    case 'double':
      return 2 * base;
  }
}

const FILL_VALUES: Record<Exclude<Fill, 'copy'>, number> = {
  nan: NaN,
  inf: Infinity,
  negInf: -Infinity,
  huge: 1e300,
  negZero: -0,
  subnormal: 5e-324,
};

function allocate(ctor: TypedCtor, length: number, backing: Backing): AnyTyped {
  const bytes = ctor.BYTES_PER_ELEMENT;
  switch (backing) {
    case 'shared':
      return new ctor(new SharedArrayBuffer(length * bytes) as unknown as ArrayBuffer);
    case 'offset':
      return new ctor(new ArrayBuffer((length + 3) * bytes), 2 * bytes, length);
    case 'resizable':
    case 'disguised': {
      // Resizable buffers are ES2024; the compiled library target is older.
      const Resizable = ArrayBuffer as unknown as new (
        bytes: number,
        options: { maxByteLength: number },
      ) => ArrayBuffer;
      const buffer = new Resizable(length * bytes, { maxByteLength: 2 * length * bytes + 8 });
      if (backing === 'disguised') Object.defineProperty(buffer, 'resizable', { value: false });
      return new ctor(buffer);
    }
    default:
      return new ctor(length);
  }
}

/**
 * A fresh typed array for `bad` in place of `base` (whose contents it copies where it can).
 * `others` are the other array arguments of the call, for `alias`.
 */
export function makeTyped(bad: TypedBad, base: unknown, others: readonly unknown[]): AnyTyped {
  const baseArray = isTyped(base) ? base : null;
  const length = newLength(baseArray?.length ?? 4, bad.length);
  if (bad.backing === 'alias') {
    const pool = others.filter((o): o is AnyTyped => isTyped(o) && o !== base);
    const target = pool.length > 0 ? pool[bad.at % pool.length]! : null;
    if (target) {
      const ctor = CTORS[bad.type];
      const fit = Math.floor(target.byteLength / ctor.BYTES_PER_ELEMENT);
      return new ctor(target.buffer as ArrayBuffer, target.byteOffset, Math.min(length, fit));
    }
  }
  const array = allocate(CTORS[bad.type], length, bad.backing);
  const source = baseArray && !(baseArray instanceof BigInt64Array) ? baseArray : null;
  for (let i = 0; i < length; i++) {
    const v = source ? Number(source[i % Math.max(1, source.length)] ?? 0.5) : 0.5;
    if (array instanceof BigInt64Array) array[i] = BigInt(Math.trunc(v));
    else array[i] = v;
  }
  if (bad.fill !== 'copy' && length > 0) {
    const v = FILL_VALUES[bad.fill];
    const i = bad.at % length;
    if (array instanceof BigInt64Array) array[i] = 2n ** 63n - 1n;
    else array[i] = v;
  }
  if (bad.backing === 'detached') {
    const buffer = array.buffer as ArrayBuffer;
    structuredClone(buffer, { transfer: [buffer] });
  }
  return array;
}

/** Detaches the buffer of `array`; false for shared, empty or already detached ones. */
export function detach(array: unknown): boolean {
  if (!isTyped(array)) return false;
  const buffer = array.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return false;
  structuredClone(buffer, { transfer: [buffer] });
  return true;
}

/** The JS value of a non-structural `bad` (not none, missing, unknownKey or getter). */
export function materialise(bad: Bad, base: unknown, others: readonly unknown[]): unknown {
  switch (bad.k) {
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'number':
    case 'string':
    case 'bool':
    case 'bigint':
      return bad.v;
    case 'symbol':
      return Symbol('fuzz');
    case 'object':
      return { valueOf: () => 1 };
    case 'array':
      return Array.from({ length: bad.n }, () => 0.5);
    case 'function':
      return () => 1;
    case 'arrayBuffer':
      return new ArrayBuffer(16);
    case 'typed':
      return makeTyped(bad, base, others);
    default:
      throw new Error(`not a value: ${bad.k}`);
  }
}
