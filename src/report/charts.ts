/**
 * Vega-Lite specs of the sweep figures (types.ts FigureSpec), with their data inline so a spec
 * can be restyled and rendered on its own. Every figure names and colours methods the same way
 * (labels.ts); one module per kind under charts/.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MflError } from '../errors.js';
import type { FigureSpec, PointRecord } from '../experiments/types.js';
import type { BuiltChart } from './charts/common.js';
import { kappaCChart } from './charts/kappaC.js';
import { learningCurve } from './charts/learningCurve.js';
import { marginals } from './charts/marginals.js';
import { phaseDiagram } from './charts/phaseDiagram.js';
import { ratioChart } from './charts/ratio.js';

export type { BuiltChart };

/**
 * The Vega-Lite spec of one figure of a sweep, data inline.
 *
 * @throws MflError ERR_MFL_FORMAT when the records give the figure nothing to show (e.g. no
 *   method reports marginals), or do not fit its axes (an axis other than the figure's takes
 *   several values, or a log axis has a non-positive value)
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
    case 'ratio':
      return ratioChart(figure, records);
  }
}
