/**
 * Sweep specs (docs/experiments.md): a problem shared by the methods, per-method settings, a grid
 * of axes, the figures to draw, and optional scales ("small", "paper") that patch the spec. A spec
 * file is validated once, here; every point it expands to is validated by its method's own parser
 * before anything runs (see points.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { packageRoot } from '../binding.js';
import { MflError, outOfRange } from '../errors.js';
import { readFileCheckedSync } from '../tasks/io/files.js';
import {
  finite,
  int,
  isPlainObject,
  nonEmptyString,
  oneOf,
  parseSpec,
  positive,
} from '../validate.js';
import { SEED_AXIS, SWEEP_METHODS } from './types.js';
import type { AxisValue, FigureSpec, Grid, SweepMethod, SweepSpec } from './types.js';

/** The scales a preset can define: small runs on a laptop, paper is the seed's sizes. */
export const SCALES = ['small', 'paper'] as const;
export type Scale = (typeof SCALES)[number];

/** Most values one axis may take, and most points a sweep may list. */
export const MAX_AXIS_VALUES = 10_000;
export const MAX_POINTS = 1_000_000;

const axisValue = z.union([z.number().finite(), z.string(), z.boolean()], {
  error: 'a finite number, a string or a boolean',
});

/** {"geom": [from, to, count]}: count values spaced evenly in log; {"linear": ...} in value. */
const spacedAxis = z
  .strictObject({
    geom: z.tuple([positive(), positive(), int(1, MAX_AXIS_VALUES)]).optional(),
    linear: z.tuple([finite(), finite(), int(1, MAX_AXIS_VALUES)]).optional(),
    /** Round each value to the nearest integer and drop repeats (for P, d, N). */
    integer: z.boolean().default(false),
  })
  .refine((a) => (a.geom === undefined) !== (a.linear === undefined), {
    error: 'exactly one of "geom" or "linear"',
  });

const axisSchema = z.union(
  [z.array(axisValue).min(1, { error: 'a non-empty array' }), spacedAxis],
  {
    error: 'a non-empty array of values, or {"geom" | "linear": [from, to, count]}',
  },
);

const gridSchema = z.record(nonEmptyString(), axisSchema);

const methodSchema = z.strictObject({
  spec: z.record(z.string(), z.unknown()).default({}),
  grid: gridSchema.default({}),
});

const figureName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { error: 'a file stem of letters, digits, "-" and "_"' });

const figureBase = { name: figureName, title: nonEmptyString() };

const figureSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('learning-curve'),
      ...figureBase,
      x: nonEmptyString(),
      y: oneOf(['testMse', 'trainMse', 'mS']),
      facet: nonEmptyString().optional(),
    }),
    z.strictObject({
      kind: z.literal('phase-diagram'),
      ...figureBase,
      x: nonEmptyString(),
      y: nonEmptyString(),
      z: oneOf(['mS', 'testMse']),
      threshold: finite(),
    }),
    z.strictObject({
      kind: z.literal('marginals'),
      ...figureBase,
      at: z.record(z.string(), axisValue).optional(),
    }),
    z.strictObject({
      kind: z.literal('kappa-c'),
      ...figureBase,
      x: nonEmptyString(),
      kappa: nonEmptyString(),
      threshold: finite(),
    }),
    z.strictObject({
      kind: z.literal('ratio'),
      ...figureBase,
      x: nonEmptyString(),
      y: oneOf(['testMse', 'trainMse', 'mS']),
      ratios: z
        .array(z.tuple([oneOf(SWEEP_METHODS), oneOf(SWEEP_METHODS)]), {
          error: 'a list of [numerator, denominator] method pairs',
        })
        .min(1, { error: 'at least one [numerator, denominator] method pair' }),
      facet: nonEmptyString().optional(),
    }),
  ],
  {
    error:
      'a figure with kind "learning-curve", "phase-diagram", "marginals", "kappa-c" or "ratio"',
  },
);

const methodsShape = Object.fromEntries(
  SWEEP_METHODS.map((m) => [m, methodSchema.optional()]),
) as Record<SweepMethod, z.ZodOptional<typeof methodSchema>>;

const sweepSchema = z.strictObject({
  schema: z.literal('mfl.sweep/1').default('mfl.sweep/1'),
  name: figureName,
  description: z.string().default(''),
  base: z.strictObject({
    task: z.record(z.string(), z.unknown()),
    network: z.record(z.string(), z.unknown()).default({}),
    kappa: positive(),
  }),
  methods: z
    .strictObject(methodsShape)
    .refine((m) => Object.values(m).some((v) => v !== undefined), {
      error: `at least one of ${SWEEP_METHODS.map((m) => `"${m}"`).join(', ')}`,
    }),
  grid: gridSchema.default({}),
  figures: z.array(figureSchema).default([]),
});

/** A sweep spec as written in a file: the spec plus optional scale patches. */
export interface SweepSpecInput {
  scales?: Partial<Record<Scale, Record<string, unknown>>>;
  [key: string]: unknown;
}

/**
 * `patch` merged into `base`: objects merge key by key, anything else (arrays included) replaces;
 * a null in the patch deletes the key. Neither input is modified.
 */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch) || !isPlainObject(base)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = key in out ? mergePatch(out[key], value) : structuredClone(value);
  }
  return out;
}

/** The values of one axis, spaced axes expanded. */
function axisValues(axis: z.output<typeof axisSchema>): AxisValue[] {
  if (Array.isArray(axis)) return axis;
  const geometric = axis.geom !== undefined;
  const [from, to, count] = (axis.geom ?? axis.linear)!;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 0 : i / (count - 1);
    const v = geometric ? from * (to / from) ** t : from + (to - from) * t;
    values.push(axis.integer ? Math.round(v) : v);
  }
  return axis.integer ? [...new Set(values)] : values;
}

function expandGrid(grid: z.output<typeof gridSchema>): Grid {
  return Object.fromEntries(Object.entries(grid).map(([k, a]) => [k, axisValues(a)]));
}

/**
 * Validates a sweep spec and applies a scale.
 * @param input the parsed JSON of a spec file (with or without "scales")
 * @param scale which entry of input.scales to merge in; required when the spec has scales
 *   ("small" is the CLI's default), refused when it has none
 * @throws MflError ERR_MFL_UNKNOWN_OPTION / MflTypeError / MflRangeError naming the field
 */
export function parseSweepSpec(input: unknown, scale?: Scale): SweepSpec {
  if (!isPlainObject(input)) throw outOfRange('sweep spec', 'a JSON object', input);
  const { scales, ...rest } = input as SweepSpecInput;
  let patched: unknown = rest;
  if (scale !== undefined) {
    if (!isPlainObject(scales) || !isPlainObject(scales[scale])) {
      const known = isPlainObject(scales) ? Object.keys(scales) : [];
      throw outOfRange(
        '--scale',
        known.length
          ? `one of ${known.map((s) => `"${s}"`).join(', ')}`
          : 'absent (the spec has no scales)',
        scale,
      );
    }
    patched = mergePatch(rest, scales[scale]);
  }
  const spec = parseSpec(sweepSchema, patched, 'sweep spec');
  const methods = Object.fromEntries(
    Object.entries(spec.methods)
      .filter(([, m]) => m !== undefined)
      .map(([name, m]) => [name, { spec: m!.spec, grid: expandGrid(m!.grid) }]),
  );
  const parsed: SweepSpec = {
    ...spec,
    methods,
    grid: expandGrid(spec.grid),
    figures: spec.figures as FigureSpec[],
  };
  checkFigures(parsed);
  return parsed;
}

/** The axes a figure draws (besides the seed, which it averages over). */
function drawnAxes(figure: FigureSpec): string[] {
  switch (figure.kind) {
    case 'learning-curve':
    case 'ratio':
      return [figure.x, ...(figure.facet === undefined ? [] : [figure.facet])];
    case 'phase-diagram':
      return [figure.x, figure.y];
    case 'kappa-c':
      return [figure.x, figure.kappa];
    case 'marginals':
      return Object.keys(figure.at ?? {});
  }
}

/**
 * Every figure can be drawn from the sweep's points: unique names, and each axis with several
 * values (for some method) is drawn by the figure, averaged over (seed), or fixed by a marginals
 * figure's `at`; checked here so a sweep never computes for hours towards a figure that fails.
 * A marginals figure without `at` is drawn at the largest value of the first varying axis.
 * @throws MflRangeError naming the figure and the axis
 */
function checkFigures(spec: SweepSpec): void {
  const names = new Set<string>();
  const varying = new Set<string>();
  for (const grid of [spec.grid, ...Object.values(spec.methods).map((m) => m.grid)]) {
    for (const [axis, values] of Object.entries(grid)) if (values.length > 1) varying.add(axis);
  }
  varying.delete(SEED_AXIS);
  spec.figures.forEach((figure, i) => {
    if (names.has(figure.name)) {
      throw outOfRange(`figures.${i}.name`, 'a name no other figure has', figure.name);
    }
    names.add(figure.name);
    if (figure.kind === 'ratio') checkRatioMethods(spec, figure.ratios, i);
    const drawn = new Set(drawnAxes(figure));
    const free = [...varying].filter((axis) => !drawn.has(axis));
    const allowed = figure.kind === 'marginals' && figure.at === undefined ? 1 : 0;
    if (free.length > allowed) {
      throw outOfRange(
        `figures.${i} (${figure.name})`,
        `a figure that draws or fixes every grid axis with several values (${figure.kind} ` +
          `draws ${[...drawn].map((a) => `"${a}"`).join(', ') || 'none'}; use "facet" or "at", or ` +
          'another figure)',
        free.join(', '),
      );
    }
  });
}

/** Each pair of a ratio figure names two different methods that the sweep runs. */
function checkRatioMethods(spec: SweepSpec, ratios: [SweepMethod, SweepMethod][], i: number) {
  ratios.forEach((pair, j) => {
    pair.forEach((method, side) => {
      if (spec.methods[method] === undefined) {
        throw outOfRange(
          `figures.${i}.ratios.${j}.${side}`,
          `a method of this sweep (${Object.keys(spec.methods).join(', ')})`,
          method,
        );
      }
    });
    if (pair[0] === pair[1]) {
      throw outOfRange(`figures.${i}.ratios.${j}`, 'two different methods', pair.join(' / '));
    }
  });
}

/** The folder of the presets shipped with mfl. */
export const presetsDir = path.join(packageRoot, 'presets');

/** Names of the shipped presets (file stems in presets/). */
export function presetNames(): string[] {
  return fs
    .readdirSync(presetsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * Reads a sweep spec from a JSON file, or a shipped preset by name.
 * @param fileOrPreset a path to a .json file, or a preset name (see `presetNames`)
 * @throws MflError ERR_MFL_IO when neither exists, ERR_MFL_FORMAT for invalid JSON
 */
export function readSweepInput(fileOrPreset: string): { input: unknown; file: string } {
  const preset = path.join(presetsDir, `${fileOrPreset}.json`);
  const file =
    !fs.existsSync(fileOrPreset) && /^[A-Za-z0-9_-]+$/.test(fileOrPreset) && fs.existsSync(preset)
      ? preset
      : fileOrPreset;
  if (!fs.existsSync(file) && !fileOrPreset.includes('/') && !fileOrPreset.endsWith('.json')) {
    throw new MflError(
      'ERR_MFL_IO',
      `${fileOrPreset}: no such spec file or preset (presets: ${presetNames().join(', ')})`,
    );
  }
  const text = readFileCheckedSync(file).toString('utf8');
  try {
    return { input: JSON.parse(text) as unknown, file };
  } catch (err) {
    throw new MflError('ERR_MFL_FORMAT', `${file}: not valid JSON (${(err as Error).message})`);
  }
}
