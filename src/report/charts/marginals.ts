/**
 * First-layer weight marginals (THEORY.md section 4; section 8, item 4): the pooled histogram
 * densities of relevant and irrelevant coordinates as step lines on log y, one panel per method.
 */
import type { MarginalsFigure, PointRecord } from '../../experiments/types.js';
import { pooledMarginals } from '../analysis.js';
import type { PooledHistogram } from '../analysis.js';
import { formatParams } from '../format.js';
import { METHOD_LABELS } from '../labels.js';
import { assemble, methodFacet } from './common.js';
import type { BuiltChart, DataRow, Layer } from './common.js';

const COORDINATES = {
  relevantW: { label: 'relevant (j in S)', colour: '#d62728' },
  irrelevantW: { label: 'irrelevant (j not in S)', colour: '#7f7f7f' },
} as const;

export function marginals(figure: MarginalsFigure, records: readonly PointRecord[]): BuiltChart {
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
  const seeds = pooled.methods.map((m) => `${METHOD_LABELS[m.method]} ${m.seeds}`).join(', ');
  return {
    spec: assemble({
      title: figure.title,
      subtitle: [
        `at ${formatParams(pooled.at)}; seeds pooled: ${seeds}`,
        'histogram densities; empty bins left out (log scale)',
      ],
      data,
      layers: [STEP_LAYER],
      facet: methodFacet(pooled.methods.map((m) => m.method)),
    }),
  };
}

const STEP_LAYER: Layer = {
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

interface StepPoint {
  w: number;
  density: number;
  segment: number;
  order: number;
}

/**
 * A histogram as a step line: both edges of every non-empty bin, with empty bins breaking the
 * line into segments (zero has no place on a log axis).
 */
export function stepRows(histogram: PooledHistogram): StepPoint[] {
  const out: StepPoint[] = [];
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
