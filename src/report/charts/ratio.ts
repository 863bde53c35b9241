/**
 * Ratios of two methods (e.g. MF-ARD / SGLD test error) against a grid axis, both axes log: one
 * line per pair, error bars of ± one standard error propagated from the seeds, and a rule at 1
 * where the two methods agree.
 */
import type { PointRecord, RatioFigure } from '../../experiments/types.js';
import { methodRatios, numericParam } from '../analysis.js';
import type { RatioPoint } from '../analysis.js';
import { METHOD_COLOURS, METHOD_LABELS, OBSERVABLE_TITLES, axisTitle } from '../labels.js';
import { LOG_TIGHT, assemble } from './common.js';
import type { BuiltChart, DataRow, Layer } from './common.js';

export function ratioChart(figure: RatioFigure, records: readonly PointRecord[]): BuiltChart {
  const points = methodRatios(records, figure);
  const shown = points.filter((p) => p.ratio !== null && p.ratio > 0);
  if (shown.length === 0) {
    return { skipped: `no grid point where both methods of a pair report a positive ${figure.y}` };
  }
  const data = shown.map((p) => ratioRow(figure, p));
  const left = points.length - shown.length;
  const subtitle = [
    `ratio of seed means; error bars: ± standard error (delta method)`,
    ...(left > 0 ? [`${left} points without a positive ratio left out (log scale)`] : []),
  ];
  return {
    spec: assemble({
      title: figure.title,
      subtitle,
      data,
      layers: ratioLayers(figure, records, data),
      ...(figure.facet === undefined
        ? {}
        : { facet: { field: 'facet', type: 'ordinal', title: axisTitle(figure.facet, records) } }),
    }),
  };
}

/** "MF-ARD / SGLD". */
function pairLabel(p: Pick<RatioPoint, 'numerator' | 'denominator'>): string {
  return `${METHOD_LABELS[p.numerator]} / ${METHOD_LABELS[p.denominator]}`;
}

function ratioRow(figure: RatioFigure, p: RatioPoint): DataRow {
  const what = `figure "${figure.name}"`;
  const ratio = p.ratio!;
  // On a log axis an error bar reaching 0 is drawn down to a tenth of the ratio.
  const lo = p.se === null ? null : Math.max(ratio - p.se, ratio / 10);
  return {
    pair: pairLabel(p),
    x: numericParam(p.params, figure.x, what, true),
    ...(figure.facet === undefined ? {} : { facet: p.params[figure.facet] ?? null }),
    y: ratio,
    lo,
    hi: p.se === null ? null : ratio + p.se,
    seeds: `${p.seeds[0]} / ${p.seeds[1]}`,
  };
}

function ratioLayers(
  figure: RatioFigure,
  records: readonly PointRecord[],
  data: readonly DataRow[],
): Layer[] {
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: LOG_TIGHT,
    title: axisTitle(figure.x, records),
  } as const;
  const yTitle = `${OBSERVABLE_TITLES[figure.y]}: ratio`;
  const yScale = { type: 'log' } as const;
  const pairs = figure.ratios.map(([numerator, denominator]) => ({ numerator, denominator }));
  const numerators = new Set(pairs.map((p) => p.numerator));
  // Colour a pair as its numerator where numerators differ (MF-ARD green, MF orange, ...).
  const colour = {
    field: 'pair',
    type: 'nominal',
    title: 'ratio',
    scale: {
      domain: pairs.map(pairLabel),
      ...(numerators.size === pairs.length
        ? { range: pairs.map((p) => METHOD_COLOURS[p.numerator]) }
        : {}),
    },
  } as const;
  const layers: Layer[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'y', type: 'quantitative', scale: yScale, title: yTitle },
        color: colour,
        tooltip: [
          { field: 'pair', type: 'nominal' },
          { field: 'x', type: 'quantitative', title: figure.x },
          { field: 'y', type: 'quantitative', title: 'ratio', format: '.3~g' },
          { field: 'seeds', type: 'nominal' },
        ],
      },
    },
    {
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { y: { datum: 1, type: 'quantitative', scale: yScale } },
    },
  ];
  if (data.some((row) => row.lo !== null)) {
    layers.push({
      transform: [{ filter: 'datum.lo !== null' }],
      mark: { type: 'errorbar', ticks: true },
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
