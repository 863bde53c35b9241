/**
 * charts.ts: the structure of each figure's Vega-Lite spec (scales, layers, colours, data) and a
 * clean vega-lite compile (no errors, no warnings) for every kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as vl from 'vega-lite';
import type { FigureSpec, PointRecord } from '../../src/experiments/types.js';
import { METHOD_COLOURS, METHOD_LABELS, aggregate, chartSpec } from '../../src/report/index.js';
import {
  KAPPA_C,
  LEARNING_CURVE,
  MARGINALS,
  ORDER_PARAMETER,
  PHASE_DIAGRAM,
  RATIO,
  kappaCRecords,
  learningCurveRecords,
  marginalRecords,
  phaseBoundaryKappa,
  phaseRecords,
  records,
} from './fixtures.js';

/** The parts of a spec the tests read (a structural view of vega-lite's TopLevelSpec). */
interface Channel {
  field?: string;
  title?: string;
  scale?: { type?: string; domain?: unknown; range?: unknown };
}
interface LayerView {
  mark: string | { type: string; filled?: boolean };
  transform?: { filter: string }[];
  encoding: Record<string, Channel | undefined>;
}
interface SpecView {
  data: { values: Record<string, unknown>[] };
  layer?: LayerView[];
  spec?: { layer: LayerView[] };
  facet?: { field: string };
  title: { text: string; subtitle: string | string[] };
}

function view(figure: FigureSpec, recs: readonly PointRecord[]): SpecView {
  return chartSpec(figure, recs) as unknown as SpecView;
}

function layersOf(spec: SpecView): LayerView[] {
  return spec.layer ?? spec.spec!.layer;
}

function markType(layer: LayerView): string {
  return typeof layer.mark === 'string' ? layer.mark : layer.mark.type;
}

/** vega-lite's compile with every warning collected. */
function compileQuietly(figure: FigureSpec, recs: readonly PointRecord[]): string[] {
  const warnings: string[] = [];
  const logger = {
    level(): number {
      return 0;
    },
    error(...args: readonly unknown[]) {
      warnings.push(`error: ${args.join(' ')}`);
      return this;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.join(' '));
      return this;
    },
    info() {
      return this;
    },
    debug() {
      return this;
    },
  };
  const options = { logger } as unknown as Parameters<typeof vl.compile>[1];
  const compiled = vl.compile(chartSpec(figure, recs), options);
  assert.ok(compiled.spec.marks !== undefined && compiled.spec.marks.length > 0, figure.name);
  return warnings;
}

test('learning curve: log x, bands only for methods with two seeds or more, fixed colours', () => {
  const recs = learningCurveRecords();
  const spec = view(LEARNING_CURVE, recs);
  const layers = layersOf(spec);
  const line = layers.find((l) => markType(l) === 'line')!;
  assert.equal(line.encoding.x!.scale!.type, 'log');
  assert.equal(line.encoding.x!.title, 'P (training samples)');
  assert.equal(line.encoding.y!.scale!.type, 'log');
  assert.equal(line.encoding.y!.title, 'test MSE');
  assert.deepEqual(line.encoding.color!.scale!.domain, [
    'SGLD',
    'MF',
    'NNGP (KRR)',
    'NNGP (eigenlearning)',
  ]);
  assert.deepEqual(line.encoding.color!.scale!.range, [
    METHOD_COLOURS.sgld,
    METHOD_COLOURS.mf,
    METHOD_COLOURS.krr,
    METHOD_COLOURS.eigen,
  ]);
  const band = layers.filter((l) => markType(l) === 'errorband');
  assert.equal(band.length, 1);
  assert.deepEqual(band[0]!.transform, [{ filter: 'datum.band' }]);
  const seeds = new Map(aggregate(recs).map((r) => [`${r.method}:${r.params['task.P']}`, r.n]));
  const methodOf = Object.fromEntries(Object.entries(METHOD_LABELS).map(([m, l]) => [l, m]));
  assert.equal(spec.data.values.length, 12);
  for (const row of spec.data.values) {
    const method = methodOf[row.method as string]!;
    const n = seeds.get(`${method}:${row.x}`)!;
    assert.equal(row.band, n >= 2 && method !== 'eigen', `${method} at P = ${row.x}`);
    if (row.band) {
      const [lo, y, hi] = [row.lo, row.y, row.hi] as number[];
      assert.ok(lo! > 0 && lo! <= y! && y! <= hi!, `band around ${y}`);
      assert.ok(Math.abs(hi! - y! - (y! - lo!)) < 1e-12 || lo === hi, 'mean ± SE');
    } else {
      assert.equal(row.lo, null);
    }
  }
});

test('learning curve: no band layer with one seed; mS on a linear [0, 1] axis', () => {
  const single = learningCurveRecords().filter((r) => (r.params.seed ?? 0) === 0);
  const layers = layersOf(view(LEARNING_CURVE, single));
  assert.deepEqual(layers.map(markType), ['line']);
  const order = layersOf(view(ORDER_PARAMETER, learningCurveRecords()));
  const y = order.find((l) => markType(l) === 'line')!.encoding.y!;
  assert.equal(y.scale!.type, undefined);
  assert.deepEqual(y.scale!.domain, [0, 1]);
  assert.equal(y.title, 'm_S (overlap with the target)');
});

test('learning curve: a band reaching zero is cut inside the log axis', () => {
  const recs = records(
    [0, 0, 3].map((testMse, seed) => ({
      method: 'sgld' as const,
      params: { 'task.P': 10, seed },
      observables: { testMse },
    })),
  );
  const [row] = view(LEARNING_CURVE, recs).data.values;
  // mean 1, SE 1: the band's lower edge is cut at half the smallest value shown.
  assert.equal(row!.y, 1);
  assert.equal(row!.hi, 2);
  assert.equal(row!.lo, 0.5);
});

test('learning curve: facets, and an unfaceted axis with several values is an error', () => {
  const spec = view({ ...LEARNING_CURVE, facet: 'kappa' }, phaseRecords());
  assert.equal(spec.facet!.field, 'facet');
  assert.deepEqual([...new Set(spec.data.values.map((r) => r.facet))], [0.01, 0.03, 0.1, 0.3, 1]);
  assert.throws(
    () => chartSpec(LEARNING_CURVE, phaseRecords()),
    /figure "learning-curve-testMse": axis "kappa" takes several values for sgld/,
  );
});

test('phase diagram: heat map per method with the boundary overlaid', () => {
  const spec = view(PHASE_DIAGRAM, phaseRecords());
  assert.equal(spec.facet!.field, 'method');
  const layers = layersOf(spec);
  assert.deepEqual(layers.map(markType), ['rect', 'line']);
  assert.equal(layers[0]!.encoding.x!.scale!.type, 'log');
  assert.equal(layers[0]!.encoding.y!.scale!.type, 'log');
  const cells = spec.data.values.filter((r) => r.kind === 'cell');
  assert.equal(cells.length, 40);
  for (const c of cells) {
    const [x0, x, x1] = [c.x0, c.xv, c.x1] as number[];
    assert.ok(x0! < x! && x! < x1!, 'the cell contains its grid point');
  }
  const boundary = spec.data.values.filter((r) => r.kind === 'boundary');
  assert.deepEqual(
    boundary.map((r) => r.method),
    ['SGLD', 'SGLD', 'SGLD', 'SGLD'],
  );
  for (const b of boundary) {
    const expected = phaseBoundaryKappa(b.x as number);
    assert.ok(Math.abs((b.y as number) - expected) < 1e-12 * expected);
  }
});

test('marginals: step lines on a log axis, empty bins dropped, one panel per method', () => {
  const spec = view(MARGINALS, marginalRecords());
  assert.equal(spec.facet!.field, 'method');
  const [layer] = layersOf(spec);
  assert.equal(layer!.encoding.y!.scale!.type, 'log');
  const methods = new Set(spec.data.values.map((r) => r.method));
  assert.deepEqual([...methods], ['SGLD', 'MF-ARD']);
  assert.ok(spec.data.values.every((r) => (r.density as number) > 0));
  // SGLD relevant at P = 40: three bins of density 1/3, six points, one segment.
  const sgld = spec.data.values.filter(
    (r) => r.method === 'SGLD' && (r.coordinates as string).startsWith('relevant'),
  );
  assert.deepEqual(
    sgld.map((r) => r.w),
    [-2, -1, -1, 0, 0, 1],
  );
  // MF-ARD relevant [2, 0, 0, 2]: the empty middle breaks the line in two.
  const ard = spec.data.values.filter(
    (r) => r.method === 'MF-ARD' && (r.coordinates as string).startsWith('relevant'),
  );
  assert.equal(new Set(ard.map((r) => r.segment)).size, 2);
  assert.throws(
    () => chartSpec(MARGINALS, learningCurveRecords()),
    (err: Error & { code?: string }) =>
      err.code === 'ERR_MFL_FORMAT' && /no method reports marginals/.test(err.message),
  );
});

test('kappa-c: log-log points, fitted line, hollow lower bounds, slope in the subtitle', () => {
  const spec = view(KAPPA_C, kappaCRecords());
  const layers = layersOf(spec);
  assert.ok(layers.every((l) => l.encoding.x!.scale!.type === 'log'));
  assert.ok(layers.every((l) => l.encoding.y!.scale!.type === 'log'));
  const marks = layers.map((l) => (typeof l.mark === 'string' ? { type: l.mark } : l.mark));
  assert.deepEqual(
    marks.map((m) => [m.type, m.filled]),
    [
      ['line', undefined],
      ['point', true],
      ['point', false],
    ],
  );
  const lower = spec.data.values.filter((r) => r.bound === 'lower');
  assert.deepEqual(
    lower.map((r) => [r.method, r.d]),
    [
      ['MF-ARD', 8],
      ['MF-ARD', 16],
    ],
  );
  assert.equal(spec.data.values.filter((r) => r.kind === 'fit').length, 2);
  assert.match(String(spec.title.subtitle), /MF -0\.75 ± 0 \(4 points\); MF-ARD n\/a/);
});

test('every kind compiles with vega-lite without a warning', () => {
  const cases: [FigureSpec, PointRecord[]][] = [
    [LEARNING_CURVE, learningCurveRecords()],
    [ORDER_PARAMETER, learningCurveRecords()],
    [{ ...LEARNING_CURVE, facet: 'kappa' }, phaseRecords()],
    [PHASE_DIAGRAM, phaseRecords()],
    [{ ...PHASE_DIAGRAM, z: 'testMse', threshold: 0.3 }, phaseRecords()],
    [MARGINALS, marginalRecords()],
    [KAPPA_C, kappaCRecords()],
    [RATIO, learningCurveRecords()],
    [{ ...RATIO, facet: 'kappa', x: 'task.P' }, phaseRecords()],
  ];
  for (const [figure, recs] of cases) {
    assert.deepEqual(compileQuietly(figure, recs), [], `${figure.kind} ${figure.name}`);
  }
});

test('ratio: log-log lines coloured by numerator, error bars, a rule where the methods agree', () => {
  const spec = chartSpec(RATIO, learningCurveRecords()) as unknown as {
    layer: LayerView[];
    data: { values: { pair: string; x: number; y: number; lo: number | null }[] };
  };
  const [line, rule, bars] = spec.layer;
  assert.equal(line!.encoding.x!.scale!.type, 'log');
  assert.equal(line!.encoding.y!.scale!.type, 'log');
  assert.deepEqual(line!.encoding.color!.scale!.domain, ['MF / SGLD', 'NNGP (KRR) / SGLD']);
  assert.deepEqual(line!.encoding.color!.scale!.range, [METHOD_COLOURS.mf, METHOD_COLOURS.krr]);
  assert.deepEqual(rule!.mark, { type: 'rule', strokeDash: [4, 4], color: '#888' });
  assert.deepEqual(bars!.mark, { type: 'errorbar', ticks: true });
  // krr has one seed: its points carry no error bar.
  const krr = spec.data.values.filter((v) => v.pair === 'NNGP (KRR) / SGLD');
  assert.equal(krr.length, 3);
  assert.ok(krr.every((v) => v.lo === null));
});
