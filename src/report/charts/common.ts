/**
 * What every figure spec shares: the spec skeleton (schema, config, inline data, panel size),
 * the method colours and panels, and lines broken at gaps.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepMethod } from '../../experiments/types.js';
import { METHOD_COLOURS, METHOD_LABELS } from '../labels.js';

type LayerTopLevel = Extract<TopLevelSpec, { layer: unknown }>;
type FacetTopLevel = Extract<TopLevelSpec, { facet: unknown }>;
/** One layer of a layered spec. */
export type Layer = LayerTopLevel['layer'][number];
/** A row of a spec's inline data: plain field names (Vega-Lite reads dots as nesting). */
export type DataRow = Record<string, string | number | boolean | null>;
/** A figure's spec, or why there is nothing to draw. */
export type BuiltChart = { spec: TopLevelSpec } | { skipped: string };

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PANEL = { width: 320, height: 240 };
/** Titles left-aligned and legend text never cut (legend names are at most ~30 characters). */
const CONFIG = {
  title: { anchor: 'start' },
  legend: { labelLimit: 320, titleLimit: 320 },
} as const;

/** A log scale ending at the data, a few pixels beyond the outermost marks. */
export const LOG_TIGHT = { type: 'log', nice: false, padding: 12 } as const;

/** The parts of a figure spec that differ between figures. */
export interface SpecParts {
  title: string;
  subtitle: string | string[];
  data: DataRow[];
  layers: Layer[];
  /** One panel per value of this field (at most 3 panels a row); none: a single panel. */
  facet?: FacetTopLevel['facet'];
}

/** A complete top-level spec: schema, shared config, data inline, panels of a fixed size. */
export function assemble(parts: SpecParts): TopLevelSpec {
  const head = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: parts.title, subtitle: parts.subtitle },
    data: { values: parts.data },
  };
  if (parts.facet === undefined) return { ...head, ...PANEL, layer: parts.layers };
  const field = 'field' in parts.facet ? parts.facet.field : undefined;
  const panels = typeof field === 'string' ? new Set(parts.data.map((row) => row[field])).size : 1;
  return {
    ...head,
    facet: parts.facet,
    columns: Math.min(3, panels),
    spec: { ...PANEL, layer: parts.layers },
  };
}

/** The colour encoding of methods: legend names in SWEEP_METHODS order, fixed colours. */
export function methodColour(methods: readonly SweepMethod[]) {
  return {
    field: 'method',
    type: 'nominal',
    title: 'method',
    scale: {
      domain: methods.map((m) => METHOD_LABELS[m]),
      range: methods.map((m) => METHOD_COLOURS[m]),
    },
  } as const;
}

/** One panel per method, in SWEEP_METHODS order, headed by its legend name. */
export function methodFacet(methods: readonly SweepMethod[]) {
  return {
    field: 'method',
    type: 'nominal',
    title: null,
    sort: methods.map((m) => METHOD_LABELS[m]),
  } as const;
}

/**
 * Rows of a line broken where y is null: each run of non-null points gets its own segment number,
 * so a line never bridges a gap.
 */
export function segmentRows<P extends { y: number | null }>(
  points: readonly P[],
  row: (point: P & { y: number }, segment: number) => DataRow,
): DataRow[] {
  const out: DataRow[] = [];
  let segment = 0;
  let inRun = false;
  for (const p of points) {
    if (p.y === null) {
      if (inRun) segment++;
      inRun = false;
      continue;
    }
    inRun = true;
    out.push(row(p as P & { y: number }, segment));
  }
  return out;
}
