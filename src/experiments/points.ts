/**
 * A sweep's deterministic point list: for each method, the Cartesian product of its axes, each
 * point turned into the method's own spec and validated by the method's parser. The list depends
 * only on the spec, so every shard of a sweep, on any machine, sees the same list.
 */
import { createHash } from 'node:crypto';
import { MflError } from '../errors.js';
import { parseMfSpec } from '../methods/mf/spec.js';
import { parseNngpSpec } from '../methods/nngp/spec.js';
import { parseSgldSpec } from '../methods/sgld/spec.js';
import { mergePatch, MAX_POINTS } from './spec.js';
import { SWEEP_METHODS } from './types.js';
import type { AxisValue, Grid, SweepMethod, SweepPoint, SweepSpec } from './types.js';

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The axes of one method: the sweep's grid without other methods' axes, then its own grid. */
function methodAxes(spec: SweepSpec, method: SweepMethod): Grid {
  const own = spec.methods[method]?.grid ?? {};
  const axes: Grid = {};
  for (const [key, values] of Object.entries({ ...spec.grid, ...own })) {
    const head = key.split('.')[0] as SweepMethod;
    if (SWEEP_METHODS.includes(head) && head !== method) continue;
    // The eigenlearning curve is a population quantity: the data seed does not enter it.
    if (method === 'eigen' && key === 'seed') continue;
    axes[key] = values;
  }
  return axes;
}

function* product(axes: Grid): Generator<Record<string, AxisValue>> {
  const keys = Object.keys(axes);
  const counts = keys.map((k) => axes[k]!.length);
  const total = counts.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    const point: Record<string, AxisValue> = {};
    let rest = flat;
    // Last axis fastest: the listing order of a spec file is the nesting order of the loops.
    for (let i = keys.length - 1; i >= 0; i--) {
      point[keys[i]!] = axes[keys[i]!]![rest % counts[i]!]!;
      rest = Math.floor(rest / counts[i]!);
    }
    yield Object.fromEntries(keys.map((k) => [k, point[k]!]));
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: AxisValue): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Where each method keeps kappa and its seed. */
const SAMPLER_KEY: Record<SweepMethod, 'sampler' | 'solver' | null> = {
  sgld: 'sampler',
  mf: 'solver',
  'mf-ard': 'solver',
  krr: null,
  eigen: null,
};

/**
 * The method spec of one grid coordinate: the shared problem with the coordinate applied, laid
 * out the way the method takes it, then the method's own settings and method-prefixed axes.
 */
export function methodSpec(
  spec: SweepSpec,
  method: SweepMethod,
  params: Record<string, AxisValue>,
): Record<string, unknown> {
  const problem = structuredClone(spec.base) as Record<string, unknown>;
  let seed = (spec.base.task.seed as number | undefined) ?? 0;
  for (const [key, value] of Object.entries(params)) {
    if (key === 'seed') seed = value as number;
    else if (!key.startsWith(`${method}.`)) setPath(problem, key, value);
  }
  const task = problem.task as Record<string, unknown>;
  task.seed = method === 'eigen' ? 0 : seed;
  const samplerKey = SAMPLER_KEY[method];
  const shaped: Record<string, unknown> = samplerKey
    ? {
        task,
        network: problem.network,
        [samplerKey]: {
          kappa: problem.kappa,
          seed,
          ...(method === 'mf-ard' && { ard: true }),
        },
      }
    : { task, network: problem.network, kappa: problem.kappa, method };
  const merged = mergePatch(shaped, spec.methods[method]?.spec ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(params)) {
    if (key.startsWith(`${method}.`)) setPath(merged, key.slice(method.length + 1), value);
  }
  return merged;
}

/** The method's parser: validates and normalises a method spec. */
export function parseMethodSpec(method: SweepMethod, input: unknown): Record<string, unknown> {
  switch (method) {
    case 'sgld':
      return parseSgldSpec(input) as unknown as Record<string, unknown>;
    case 'mf':
    case 'mf-ard':
      return parseMfSpec(input) as unknown as Record<string, unknown>;
    case 'krr':
    case 'eigen':
      return parseNngpSpec(input) as unknown as Record<string, unknown>;
  }
}

function describeParams(params: Record<string, AxisValue>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'the base point';
}

/**
 * The sweep's points, in a fixed order (methods in SWEEP_METHODS order, then the grid with its
 * last axis varying fastest). Points with equal (method, normalised spec) appear once.
 * @throws MflError naming the method and grid coordinate when a point's spec is invalid
 */
export function sweepPoints(spec: SweepSpec): SweepPoint[] {
  const points: SweepPoint[] = [];
  const seen = new Set<string>();
  for (const method of SWEEP_METHODS) {
    if (!spec.methods[method]) continue;
    const axes = methodAxes(spec, method);
    const count = Object.values(axes).reduce((n, v) => n * v.length, 1);
    if (points.length + count > MAX_POINTS) {
      throw new MflError(
        'ERR_MFL_OUT_OF_RANGE',
        `sweep spec: grid: the sweep would have more than ${MAX_POINTS} points`,
      );
    }
    for (const params of product(axes)) {
      const input = methodSpec(spec, method, params);
      let normalised: Record<string, unknown>;
      try {
        normalised = parseMethodSpec(method, input);
      } catch (err) {
        const e = err as Error & { code?: string };
        const wrapped = new MflError(
          (e.code as MflError['code'] | undefined) ?? 'ERR_MFL_OUT_OF_RANGE',
          `sweep point ${method} at ${describeParams(params)}: ${e.message}`,
          { cause: err },
        );
        throw wrapped;
      }
      const id = hash(canonicalJson({ method, spec: normalised }));
      if (seen.has(id)) continue;
      seen.add(id);
      points.push({ index: points.length, id, method, params, spec: normalised });
    }
  }
  return points;
}

/** The identity of a point list: records carry it so results of different sweeps never mix. */
export function sweepHash(points: readonly SweepPoint[]): string {
  return hash(points.map((p) => p.id).join('\n'));
}

/** A shard i of n (0 <= i < n). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses "i/n" (0-based i).
 * @throws MflRangeError naming `field`
 */
export function parseShard(text: string, field = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count) || count > MAX_POINTS) {
    throw new MflError(
      'ERR_MFL_OUT_OF_RANGE',
      `${field}: must be "i/n" with integers 0 <= i < n <= ${MAX_POINTS}, got ${JSON.stringify(text)}`,
    );
  }
  return { index, count };
}

/** The points of shard i/n: every n-th point from the i-th, so each shard mixes cheap and dear
 *  points (methods and sizes are interleaved along the list). */
export function shardPoints(points: readonly SweepPoint[], shard: Shard | null): SweepPoint[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index) : [...points];
}
