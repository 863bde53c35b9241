/**
 * Learning curves (THEORY.md section 8, items 1-4): an observable against a grid axis on log x,
 * the seed mean per method with a band of ± one standard error where there are two seeds or
 * more. testMse and trainMse on log y; mS, the order parameter, on a linear axis over [0, 1].
 */
import type { LearningCurveFigure, PointRecord, SweepMethod } from '../../experiments/types.js';
import { aggregate, methodRows, methodsOf, numericParam } from '../analysis.js';
import type { AggregateRow } from '../analysis.js';
import { METHOD_LABELS, OBSERVABLE_TITLES, axisTitle } from '../labels.js';
import { LOG_TIGHT, assemble, methodColour } from './common.js';
import type { BuiltChart, DataRow, Layer } from './common.js';

export function learningCurve(
  figure: LearningCurveFigure,
  records: readonly PointRecord[],
): BuiltChart {
  const logY = figure.y !== 'mS';
  const reported = aggregate(records).filter((r) => r[figure.y].mean !== null);
  const rows = reported.filter((r) => !logY || r[figure.y].mean! > 0);
  if (rows.length === 0) {
    return { skipped: `no point reports ${logY ? `a positive ${figure.y}` : figure.y}` };
  }
  const data = curveRows(figure, rows);
  if (logY) cutBandsAtAxisBottom(data);
  const withBand = data.some((row) => row.band);
  const dropped = reported.length - rows.length;
  const subtitle = [
    withBand ? 'mean over seeds; band: ± standard error' : 'mean over seeds',
    ...(dropped > 0 ? [`${dropped} points with ${figure.y} <= 0 left out (log scale)`] : []),
  ];
  return {
    spec: assemble({
      title: figure.title,
      subtitle: subtitle.length === 1 ? subtitle[0]! : subtitle,
      data,
      layers: curveLayers(figure, records, data, methodsOf(rows)),
      ...(figure.facet === undefined
        ? {}
        : { facet: { field: 'facet', type: 'ordinal', title: axisTitle(figure.facet, records) } }),
    }),
  };
}

/** One row per method and point; a band (lo, hi) where the SE exists, except for the
 *  deterministic eigenlearning curve. */
function curveRows(figure: LearningCurveFigure, rows: readonly AggregateRow[]): DataRow[] {
  const what = `figure "${figure.name}"`;
  const axes = figure.facet === undefined ? [figure.x] : [figure.x, figure.facet];
  return methodsOf(rows).flatMap((method) =>
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
}

function curveLayers(
  figure: LearningCurveFigure,
  records: readonly PointRecord[],
  data: readonly DataRow[],
  methods: readonly SweepMethod[],
): Layer[] {
  const logY = figure.y !== 'mS';
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
  if (data.some((row) => row.band)) {
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
  return layers;
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
