/**
 * kappa_c against d (THEORY.md section 8, item 6): log-log points per method with the fitted
 * power law, its slope ± SE in the subtitle; lower bounds (mS above the threshold at every grid
 * kappa) as hollow markers.
 */
import type { KappaCFigure, PointRecord } from '../../experiments/types.js';
import { kappaC } from '../analysis.js';
import type { KappaCSeries } from '../analysis.js';
import { formatNumber, slopeText } from '../format.js';
import { METHOD_LABELS, axisTitle, lossDescription } from '../labels.js';
import { LOG_TIGHT, assemble, methodColour } from './common.js';
import type { BuiltChart, DataRow, Layer } from './common.js';

export function kappaCChart(figure: KappaCFigure, records: readonly PointRecord[]): BuiltChart {
  const series = kappaC(records, figure);
  if (series.length === 0) return { skipped: 'no point reports mS' };
  const shown = series.filter((s) => s.points.some((p) => p.kappaC !== null));
  const threshold = formatNumber(figure.threshold);
  if (shown.length === 0) return { skipped: `m_S exceeds ${threshold} at no kappa` };
  const points = shown.flatMap((s) =>
    s.points
      .filter((p) => p.kappaC !== null)
      .map((p): DataRow => ({ kind: 'point', method: METHOD_LABELS[s.method], ...p })),
  );
  const lower = points.some((p) => p.bound === 'lower');
  return {
    spec: assemble({
      title: figure.title,
      subtitle: [
        'slope of log kappa_c vs log d: ' +
          shown.map((s) => `${METHOD_LABELS[s.method]} ${slopeText(s.fit)}`).join('; '),
        ...(lower ? [`hollow: lower bound (m_S > ${threshold} at every kappa)`] : []),
      ],
      data: [...shown.flatMap(fitRows), ...points],
      layers: kappaCLayers(figure, records, shown, lower),
    }),
  };
}

/** The fitted power law at the smallest and largest d it was fitted on. */
function fitRows(series: KappaCSeries): DataRow[] {
  if (series.fit === null) return [];
  const { intercept, slope } = series.fit;
  const ds = series.points.filter((p) => p.bound === 'interpolated').map((p) => p.d);
  return [Math.min(...ds), Math.max(...ds)].map((d) => ({
    kind: 'fit',
    method: METHOD_LABELS[series.method],
    d,
    kappaC: Math.exp(intercept) * d ** slope,
  }));
}

function kappaCLayers(
  figure: KappaCFigure,
  records: readonly PointRecord[],
  shown: readonly KappaCSeries[],
  lower: boolean,
): Layer[] {
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
  const color = methodColour(shown.map((s) => s.method));
  const tooltip = [
    { field: 'method', type: 'nominal' },
    { field: 'd', type: 'quantitative' },
    { field: 'kappaC', type: 'quantitative', format: '.4~g' },
    { field: 'bound', type: 'nominal' },
  ] as const;
  const pointLayer = (bound: 'interpolated' | 'lower'): Layer => ({
    transform: [{ filter: `datum.kind === 'point' && datum.bound === '${bound}'` }],
    mark: { type: 'point', filled: bound === 'interpolated', size: 60, strokeWidth: 1.5 },
    encoding: { x, y, color, tooltip: [...tooltip] },
  });
  return [
    {
      transform: [{ filter: "datum.kind === 'fit'" }],
      mark: { type: 'line', strokeDash: [5, 3] },
      encoding: { x, y, color },
    },
    pointLayer('interpolated'),
    ...(lower ? [pointLayer('lower')] : []),
  ];
}
