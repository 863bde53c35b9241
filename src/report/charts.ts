/**
 * Vega-Lite specs of the sweep figures (types.ts FigureSpec), with their data inline so a spec
 * can be restyled and rendered on its own. Every figure names methods and colours them the same
 * way (labels.ts); data fields are plain names (no dots, which Vega-Lite reads as nesting).
 */
import type { TopLevelSpec } from 'vega-lite';
import { MflError } from '../errors.js';
import type {
  FigureSpec,
  KappaCFigure,
  LearningCurveFigure,
  MarginalsFigure,
  PhaseDiagramFigure,
  PointRecord,
  SweepMethod,
} from '../experiments/types.js';
import {
  aggregate,
  kappaC,
  methodRows,
  methodsOf,
  numericParam,
  phaseBoundary,
  pooledMarginals,
} from './analysis.js';
import type { PooledHistogram } from './analysis.js';
import { formatNumber, formatParams, slopeText } from './format.js';
import {
  METHOD_COLOURS,
  METHOD_LABELS,
  OBSERVABLE_TITLES,
  axisTitle,
  lossDescription,
} from './labels.js';

type LayerTopLevel = Extract<TopLevelSpec, { layer: unknown }>;
/** One layer of a layered spec. */
type Layer = LayerTopLevel['layer'][number];
type DataRow = Record<string, string | number | boolean | null>;

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
const LOG_TIGHT = { type: 'log', nice: false, padding: 12 } as const;

/**
 * The Vega-Lite spec of one figure of a sweep, data inline.
 *
 * @throws MflError ERR_MFL_FORMAT when the records give the figure nothing to show (e.g. no
 *   method reports marginals), or when they do not fit its axes (see analysis.ts)
 */
export function chartSpec(figure: FigureSpec, records: readonly PointRecord[]): TopLevelSpec {
  const built = buildChart(figure, records);
  if ('skipped' in built) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `figure "${figure.name}": nothing to show: ${built.skipped}`,
    );
  }
  return built.spec;
}

/** As `chartSpec`, but a figure without data comes back as `{ skipped: reason }`. */
export function buildChart(figure: FigureSpec, records: readonly PointRecord[]): BuiltChart {
  switch (figure.kind) {
    case 'learning-curve':
      return learningCurve(figure, records);
    case 'phase-diagram':
      return phaseDiagram(figure, records);
    case 'marginals':
      return marginals(figure, records);
    case 'kappa-c':
      return kappaCChart(figure, records);
  }
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

function learningCurve(figure: LearningCurveFigure, records: readonly PointRecord[]): BuiltChart {
  const what = `figure "${figure.name}"`;
  const logY = figure.y !== 'mS';
  const axes = figure.facet === undefined ? [figure.x] : [figure.x, figure.facet];
  const rows = aggregate(records).filter((r) => {
    const mean = r[figure.y].mean;
    return mean !== null && (!logY || mean > 0);
  });
  if (rows.length === 0) return { skipped: `no point reports ${figure.y}` };
  const methods = methodsOf(rows);
  const data = methods.flatMap((method) =>
    methodRows(rows, method, axes, what).map((r): DataRow => {
      const { mean, se, n } = r[figure.y];
      const band = se !== null && method !== 'eigen';
      return {
        method: METHOD_LABELS[method],
        x: numericParam(r.params, figure.x, what, true),
        ...(figure.facet === undefined ? {} : { facet: r.params[figure.facet] ?? null }),
        y: mean,
        lo: band ? mean! - se : null,
        hi: band ? mean! + se : null,
        seeds: n,
        band,
      };
    }),
  );
  if (logY) cutBandsAtAxisBottom(data);
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: LOG_TIGHT,
    title: axisTitle(figure.x, records),
  } as const;
  const yTitle = OBSERVABLE_TITLES[figure.y];
  const yScale = logY ? { type: 'log' as const } : { domain: unitUnion(data) };
  const colour = methodColour(methods);
  // The line layer comes first: a merged legend takes its symbols from the first layer.
  const layers: Layer[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'y', type: 'quantitative', scale: yScale, title: yTitle },
        color: colour,
        tooltip: [
          { field: 'method', type: 'nominal' },
          { field: 'x', type: 'quantitative', title: figure.x },
          { field: 'y', type: 'quantitative', title: figure.y, format: '.4~g' },
          { field: 'seeds', type: 'quantitative' },
        ],
      },
    },
  ];
  const withBand = data.some((row) => row.band);
  if (withBand) {
    layers.push({
      transform: [{ filter: 'datum.band' }],
      mark: { type: 'errorband', opacity: 0.2 },
      encoding: {
        x,
        y: { field: 'lo', type: 'quantitative', scale: yScale, title: yTitle },
        y2: { field: 'hi' },
        color: colour,
      },
    });
  }
  const title = {
    text: figure.title,
    subtitle: withBand ? 'mean over seeds; band: ± standard error' : 'mean over seeds',
  };
  if (figure.facet === undefined) {
    return {
      spec: {
        $schema: SCHEMA,
        config: CONFIG,
        title,
        data: { values: data },
        ...PANEL,
        layer: layers,
      },
    };
  }
  const panels = new Set(data.map((row) => row.facet)).size;
  return {
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      title,
      data: { values: data },
      facet: { field: 'facet', type: 'ordinal', title: axisTitle(figure.facet, records) },
      columns: Math.min(3, panels),
      spec: { ...PANEL, layer: layers },
    },
  };
}

/** [0, 1] widened to the data: the order parameter's natural range, hiding nothing. */
function unitUnion(data: readonly DataRow[]): [number, number] {
  const values = data.flatMap((row) =>
    [row.y, row.lo, row.hi].filter((v): v is number => typeof v === 'number'),
  );
  return [Math.min(0, ...values), Math.max(1, ...values)];
}

/** On a log axis a band that reaches zero or below is cut at half the smallest value shown. */
function cutBandsAtAxisBottom(data: DataRow[]): void {
  const positive = data.flatMap((row) =>
    [row.y, row.lo].filter((v): v is number => typeof v === 'number' && v > 0),
  );
  const floor = Math.min(...positive) / 2;
  for (const row of data) {
    if (typeof row.lo === 'number' && row.lo <= 0) row.lo = floor;
  }
}

function phaseDiagram(figure: PhaseDiagramFigure, records: readonly PointRecord[]): BuiltChart {
  const what = `figure "${figure.name}"`;
  const rows = aggregate(records).filter((r) => r[figure.z].mean !== null);
  if (rows.length === 0) return { skipped: `no point reports ${figure.z}` };
  const methods = methodsOf(rows);
  const xs = rows.map((r) => numericParam(r.params, figure.x, what));
  const ys = rows.map((r) => numericParam(r.params, figure.y, what));
  const logX = xs.every((v) => v > 0);
  const logY = ys.every((v) => v > 0);
  const cells = methods.flatMap((method) => {
    const mine = methodRows(rows, method, [figure.x, figure.y], what);
    const xEdges = cellEdges(
      mine.map((r) => r.params[figure.x] as number),
      logX,
    );
    const yEdges = cellEdges(
      mine.map((r) => r.params[figure.y] as number),
      logY,
    );
    return mine.map((r): DataRow => {
      const [x0, x1] = xEdges.get(r.params[figure.x] as number)!;
      const [y0, y1] = yEdges.get(r.params[figure.y] as number)!;
      const [xv, yv] = [r.params[figure.x] as number, r.params[figure.y] as number];
      const z = r[figure.z].mean;
      return { kind: 'cell', method: METHOD_LABELS[method], x0, x1, y0, y1, xv, yv, z, seeds: r.n };
    });
  });
  const boundaries = phaseBoundary(records, figure).flatMap(({ method, points }) =>
    segmentRows(
      points.map((p) => ({ x: p.x as number, y: p.y })),
      (p, segment) => ({
        kind: 'boundary',
        method: METHOD_LABELS[method],
        x: p.x,
        y: p.y,
        segment,
      }),
    ),
  );
  const xTitle = axisTitle(figure.x, records);
  const yTitle = axisTitle(figure.y, records);
  const xScale = logX ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
  const yScale = logY ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
  const zPositive = rows.every((r) => r[figure.z].mean! > 0);
  const zScale =
    figure.z === 'mS'
      ? { scheme: 'viridis' as const, domain: [0, 1], clamp: true }
      : {
          scheme: 'viridis' as const,
          reverse: true,
          type: zPositive ? ('log' as const) : ('linear' as const),
        };
  const layers: Layer[] = [
    {
      transform: [{ filter: "datum.kind === 'cell'" }],
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'x0', type: 'quantitative', scale: xScale, title: xTitle },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', scale: yScale, title: yTitle },
        y2: { field: 'y1' },
        color: {
          field: 'z',
          type: 'quantitative',
          scale: zScale,
          title: OBSERVABLE_TITLES[figure.z],
        },
        tooltip: [
          { field: 'xv', type: 'quantitative', title: figure.x },
          { field: 'yv', type: 'quantitative', title: figure.y },
          { field: 'z', type: 'quantitative', title: figure.z, format: '.4~g' },
          { field: 'seeds', type: 'quantitative' },
        ],
      },
    },
  ];
  if (boundaries.length > 0) {
    layers.push({
      transform: [{ filter: "datum.kind === 'boundary'" }],
      mark: { type: 'line', color: '#e41a1c', strokeWidth: 2, point: { color: '#e41a1c' } },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale, title: xTitle },
        y: { field: 'y', type: 'quantitative', scale: yScale, title: yTitle },
        detail: { field: 'segment', type: 'nominal' },
      },
    });
  }
  const subtitle =
    `colour: mean over seeds of ${figure.z}; ` +
    (boundaries.length > 0
      ? `red line: where it crosses ${formatNumber(figure.threshold)}`
      : `it crosses ${formatNumber(figure.threshold)} nowhere in the grid`);
  return {
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      title: { text: figure.title, subtitle },
      data: { values: [...cells, ...boundaries] },
      facet: methodFacet(methods),
      columns: Math.min(3, methods.length),
      spec: { ...PANEL, layer: layers },
    },
  };
}

/** One panel per method, in SWEEP_METHODS order, headed by its legend name. */
function methodFacet(methods: readonly SweepMethod[]) {
  return {
    field: 'method',
    type: 'nominal',
    title: null,
    sort: methods.map((m) => METHOD_LABELS[m]),
  } as const;
}

/**
 * The extent of each grid value's heat-map cell: halfway (in log when `log`) to each neighbour,
 * half a step beyond the ends (a factor sqrt(2), or 0.5, for a single value).
 */
function cellEdges(values: readonly number[], log: boolean): Map<number, [number, number]> {
  const grid = [...new Set(values)].sort((a, b) => a - b);
  const to = log ? Math.log : (v: number) => v;
  const from = log ? Math.exp : (v: number) => v;
  const t = grid.map(to);
  const n = t.length;
  const lonely = log ? Math.LN2 / 2 : 0.5;
  const first = n > 1 ? t[0]! - (t[1]! - t[0]!) / 2 : t[0]! - lonely;
  const last = n > 1 ? t[n - 1]! + (t[n - 1]! - t[n - 2]!) / 2 : t[0]! + lonely;
  const bounds = [first, ...t.slice(1).map((v, i) => (t[i]! + v) / 2), last];
  return new Map(grid.map((v, i) => [v, [from(bounds[i]!), from(bounds[i + 1]!)]]));
}

/**
 * Rows of a line broken where y is null: each run of non-null points gets its own segment number,
 * so a line never bridges a gap.
 */
function segmentRows<P extends { y: number | null }>(
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

const COORDINATES = {
  relevantW: { label: 'relevant (j in S)', colour: '#d62728' },
  irrelevantW: { label: 'irrelevant (j not in S)', colour: '#7f7f7f' },
} as const;

function marginals(figure: MarginalsFigure, records: readonly PointRecord[]): BuiltChart {
  const pooled = pooledMarginals(records, figure.at);
  const where = figure.at === undefined ? '' : ` at ${formatParams(figure.at)}`;
  if (pooled.methods.length === 0) return { skipped: `no method reports marginals${where}` };
  const data = pooled.methods.flatMap((m) =>
    (['relevantW', 'irrelevantW'] as const).flatMap((which) => {
      const histogram = m[which];
      if (histogram === null) return [];
      return stepRows(histogram).map((p): DataRow => ({
        method: METHOD_LABELS[m.method],
        coordinates: COORDINATES[which].label,
        ...p,
        segment: `${which}-${p.segment}`,
      }));
    }),
  );
  const methods = pooled.methods.map((m) => m.method);
  const seeds = pooled.methods.map((m) => `${METHOD_LABELS[m.method]} ${m.seeds}`).join(', ');
  const layer: Layer = {
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'w', type: 'quantitative', title: 'w_ij (first-layer weight)' },
      y: { field: 'density', type: 'quantitative', scale: { type: 'log' }, title: 'density' },
      color: {
        field: 'coordinates',
        type: 'nominal',
        title: 'coordinates j',
        scale: {
          domain: Object.values(COORDINATES).map((c) => c.label),
          range: Object.values(COORDINATES).map((c) => c.colour),
        },
      },
      detail: { field: 'segment', type: 'nominal' },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  const subtitle = [
    `at ${formatParams(pooled.at)}; seeds pooled: ${seeds}`,
    'histogram densities; empty bins left out (log scale)',
  ];
  return {
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      title: { text: figure.title, subtitle },
      data: { values: data },
      facet: methodFacet(methods),
      columns: Math.min(3, methods.length),
      spec: { ...PANEL, layer: [layer] },
    },
  };
}

/**
 * A histogram as a step line: both edges of every non-empty bin, with empty bins breaking the
 * line into segments (zero has no place on a log axis).
 */
function stepRows(
  histogram: PooledHistogram,
): { w: number; density: number; segment: number; order: number }[] {
  const out: { w: number; density: number; segment: number; order: number }[] = [];
  let segment = 0;
  histogram.density.forEach((density, i) => {
    if (density <= 0) {
      if (out.length > 0 && out[out.length - 1]!.segment === segment) segment++;
      return;
    }
    for (const w of [histogram.edges[i]!, histogram.edges[i + 1]!]) {
      out.push({ w, density, segment, order: out.length });
    }
  });
  return out;
}

function kappaCChart(figure: KappaCFigure, records: readonly PointRecord[]): BuiltChart {
  const series = kappaC(records, figure);
  if (series.length === 0) return { skipped: 'no point reports mS' };
  const shown = series.filter((s) => s.points.some((p) => p.kappaC !== null));
  if (shown.length === 0) {
    return { skipped: `m_S exceeds ${formatNumber(figure.threshold)} at no kappa` };
  }
  const methods = shown.map((s) => s.method);
  const points = shown.flatMap((s) =>
    s.points
      .filter((p) => p.kappaC !== null)
      .map((p): DataRow => ({
        kind: 'point',
        method: METHOD_LABELS[s.method],
        d: p.d,
        kappaC: p.kappaC,
        bound: p.bound,
      })),
  );
  const fits = shown.flatMap((s) => {
    if (s.fit === null) return [];
    const { intercept, slope } = s.fit;
    const ds = s.points.filter((p) => p.bound === 'interpolated').map((p) => p.d);
    return [Math.min(...ds), Math.max(...ds)].map((d): DataRow => ({
      kind: 'fit',
      method: METHOD_LABELS[s.method],
      d,
      kappaC: Math.exp(intercept) * d ** slope,
    }));
  });
  const x = {
    field: 'd',
    type: 'quantitative',
    scale: LOG_TIGHT,
    title: axisTitle(figure.x, records),
  } as const;
  const y = {
    field: 'kappaC',
    type: 'quantitative',
    scale: LOG_TIGHT,
    title: `kappa_c (critical noise, ${lossDescription(records)})`,
  } as const;
  const colour = methodColour(methods);
  const tooltip = [
    { field: 'method', type: 'nominal' },
    { field: 'd', type: 'quantitative' },
    { field: 'kappaC', type: 'quantitative', format: '.4~g' },
    { field: 'bound', type: 'nominal' },
  ] as const;
  const layers: Layer[] = [
    {
      transform: [{ filter: "datum.kind === 'fit'" }],
      mark: { type: 'line', strokeDash: [5, 3] },
      encoding: { x, y, color: colour },
    },
    {
      transform: [{ filter: "datum.kind === 'point' && datum.bound === 'interpolated'" }],
      mark: { type: 'point', filled: true, size: 60 },
      encoding: { x, y, color: colour, tooltip: [...tooltip] },
    },
  ];
  const lower = points.some((p) => p.bound === 'lower');
  if (lower) {
    layers.push({
      transform: [{ filter: "datum.kind === 'point' && datum.bound === 'lower'" }],
      mark: { type: 'point', filled: false, size: 60, strokeWidth: 1.5 },
      encoding: { x, y, color: colour, tooltip: [...tooltip] },
    });
  }
  const subtitle = [
    'slope of log kappa_c vs log d: ' +
      shown.map((s) => `${METHOD_LABELS[s.method]} ${slopeText(s.fit)}`).join('; '),
    ...(lower
      ? [`hollow: lower bound (m_S > ${formatNumber(figure.threshold)} at every kappa)`]
      : []),
  ];
  return {
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      title: { text: figure.title, subtitle },
      data: { values: [...fits, ...points] },
      ...PANEL,
      layer: layers,
    },
  };
}
