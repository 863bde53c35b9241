/**
 * Phase diagrams (THEORY.md section 8, item 5): a heat map of the seed-mean observable over two
 * grid axes, one panel per method, with the boundary where it crosses the threshold overlaid.
 * Each cell spans halfway to its neighbours, so the boundary line and the cells share continuous
 * (log, when every value is positive) axes.
 */
import type { PhaseDiagramFigure, PointRecord } from '../../experiments/types.js';
import { aggregate, methodRows, methodsOf, numericParam, phaseBoundary } from '../analysis.js';
import type { AggregateRow } from '../analysis.js';
import { formatNumber } from '../format.js';
import { METHOD_LABELS, OBSERVABLE_TITLES, axisTitle } from '../labels.js';
import { assemble, methodFacet, segmentRows } from './common.js';
import type { BuiltChart, DataRow, Layer } from './common.js';

const BOUNDARY_COLOUR = '#e41a1c';

export function phaseDiagram(
  figure: PhaseDiagramFigure,
  records: readonly PointRecord[],
): BuiltChart {
  const what = `figure "${figure.name}"`;
  const rows = aggregate(records).filter((r) => r[figure.z].mean !== null);
  if (rows.length === 0) return { skipped: `no point reports ${figure.z}` };
  const logX = rows.every((r) => numericParam(r.params, figure.x, what) > 0);
  const logY = rows.every((r) => numericParam(r.params, figure.y, what) > 0);
  const methods = methodsOf(rows);
  const cells = methods.flatMap((method) =>
    cellRows(figure, methodRows(rows, method, [figure.x, figure.y], what), logX, logY),
  );
  const boundary = phaseBoundary(records, figure).flatMap(({ method, points }) =>
    segmentRows(
      points.map((p) => ({ x: p.x as number, y: p.y })),
      (p, segment) => ({ kind: 'boundary', method: METHOD_LABELS[method], ...p, segment }),
    ),
  );
  const threshold = formatNumber(figure.threshold);
  return {
    spec: assemble({
      title: figure.title,
      subtitle:
        `colour: mean over seeds of ${figure.z}; ` +
        (boundary.length > 0
          ? `red line: where it crosses ${threshold}`
          : `it crosses ${threshold} nowhere in the grid`),
      data: [...cells, ...boundary],
      layers: phaseLayers(figure, records, rows, logX, logY, boundary.length > 0),
      facet: methodFacet(methods),
    }),
  };
}

function cellRows(
  figure: PhaseDiagramFigure,
  rows: readonly AggregateRow[],
  logX: boolean,
  logY: boolean,
): DataRow[] {
  const xOf = (r: AggregateRow) => r.params[figure.x] as number;
  const yOf = (r: AggregateRow) => r.params[figure.y] as number;
  const xEdges = cellEdges(rows.map(xOf), logX);
  const yEdges = cellEdges(rows.map(yOf), logY);
  return rows.map((r): DataRow => {
    const [x0, x1] = xEdges.get(xOf(r))!;
    const [y0, y1] = yEdges.get(yOf(r))!;
    return {
      kind: 'cell',
      method: METHOD_LABELS[r.method],
      ...{ x0, x1, y0, y1, xv: xOf(r), yv: yOf(r) },
      z: r[figure.z].mean,
      seeds: r.n,
    };
  });
}

function phaseLayers(
  figure: PhaseDiagramFigure,
  records: readonly PointRecord[],
  rows: readonly AggregateRow[],
  logX: boolean,
  logY: boolean,
  withBoundary: boolean,
): Layer[] {
  const xTitle = axisTitle(figure.x, records);
  const yTitle = axisTitle(figure.y, records);
  const xScale = logX ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
  const yScale = logY ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
  const zPositive = rows.every((r) => r[figure.z].mean! > 0);
  // Bright means learned in both: high mS, low test error.
  const zScale =
    figure.z === 'mS'
      ? { scheme: 'viridis' as const, domain: [0, 1], clamp: true }
      : ({
          scheme: 'viridis' as const,
          reverse: true,
          type: zPositive ? 'log' : 'linear',
        } as const);
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
  if (withBoundary) {
    layers.push({
      transform: [{ filter: "datum.kind === 'boundary'" }],
      mark: {
        type: 'line',
        color: BOUNDARY_COLOUR,
        strokeWidth: 2,
        point: { color: BOUNDARY_COLOUR },
      },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale, title: xTitle },
        y: { field: 'y', type: 'quantitative', scale: yScale, title: yTitle },
        detail: { field: 'segment', type: 'nominal' },
      },
    });
  }
  return layers;
}

/**
 * The extent of each grid value's heat-map cell: halfway (in log when `log`) to each neighbour,
 * half a step beyond the ends (a factor sqrt(2), or 0.5, for a single value).
 */
export function cellEdges(values: readonly number[], log: boolean): Map<number, [number, number]> {
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
