/**
 * Sweep specs and their point lists: validation naming the field, scales, spaced axes, the point
 * order and identity, method-specific axes, and shards that partition the list.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  mergePatch,
  parseShard,
  parseSweepSpec,
  presetNames,
  readSweepInput,
  shardPoints,
  sweepHash,
  sweepPoints,
} from '../../src/experiments/index.js';

const base = {
  name: 'unit',
  base: { task: { task: 'parity', d: 6, k: 2, PTest: 100 }, network: { N: 16 }, kappa: 0.05 },
  methods: {
    sgld: { spec: { sampler: { steps: 100 } } },
    krr: {},
    eigen: { grid: { 'task.P': [10, 1000] } },
  },
  grid: { 'task.P': [20, 40], seed: [1, 2] },
};

describe('mf-ard precisions in a sweep', () => {
  test('a method patch and a method axis set solver.ard.precisions', () => {
    const spec = parseSweepSpec({
      ...base,
      methods: {
        'mf-ard': {
          spec: { solver: { steps: 10, ard: { precisions: 'neuron' } } },
          grid: { 'mf-ard.solver.ard.alpha0': [1, 4] },
        },
      },
    });
    const points = sweepPoints(spec);
    assert.equal(points.length, 8);
    for (const p of points) {
      const ard = (p.spec as { solver: { ard: { precisions: string; alpha0: number } } }).solver
        .ard;
      assert.equal(ard.precisions, 'neuron');
    }
    const axis = parseSweepSpec({
      ...base,
      methods: { 'mf-ard': { grid: { 'mf-ard.solver.ard.precisions': ['coordinate', 'neuron'] } } },
    });
    const kinds = sweepPoints(axis).map(
      (p) => (p.spec as { solver: { ard: { precisions: string } } }).solver.ard.precisions,
    );
    assert.deepEqual([...new Set(kinds)].sort(), ['coordinate', 'neuron']);
  });
});

describe('parseSweepSpec', () => {
  test('fills defaults and keeps the grid', () => {
    const s = parseSweepSpec(base);
    assert.equal(s.schema, 'mfl.sweep/1');
    assert.equal(s.description, '');
    assert.deepEqual(s.grid, { 'task.P': [20, 40], seed: [1, 2] });
    assert.deepEqual(s.methods.krr, { spec: {}, grid: {} });
    assert.deepEqual(s.figures, []);
  });
  test('unknown keys and bad values name the field', () => {
    assert.throws(() => parseSweepSpec({ ...base, grd: {} }), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
      message: /grd/,
    });
    assert.throws(() => parseSweepSpec({ ...base, methods: { sgd: {} } }), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
      message: /unknown option "methods\.sgd"; did you mean "methods\.sgld"/,
    });
    assert.throws(() => parseSweepSpec({ ...base, methods: {} }), {
      message: /^methods: .*at least one of "sgld"/,
    });
    assert.throws(() => parseSweepSpec({ ...base, base: { ...base.base, kappa: -1 } }), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^base\.kappa: must be a finite number > 0, got -1/,
    });
    assert.throws(() => parseSweepSpec({ ...base, grid: { 'task.P': [] } }), {
      message: /^grid\.task\.P: /,
    });
    assert.throws(() => parseSweepSpec({ ...base, name: 'a b' }), { message: /^name: / });
    assert.throws(() => parseSweepSpec([]), { code: 'ERR_MFL_OUT_OF_RANGE' });
  });
  test('spaced axes expand (geom, linear, integer rounding without repeats)', () => {
    const s = parseSweepSpec({
      ...base,
      grid: {
        kappa: { geom: [0.001, 0.1, 3] },
        'task.P': { geom: [1, 4, 10], integer: true },
        'network.N': { linear: [10, 20, 3] },
      },
    });
    assert.deepEqual(
      s.grid.kappa!.map((v) => +(v as number).toPrecision(12)),
      [0.001, 0.01, 0.1],
    );
    assert.deepEqual(s.grid['task.P'], [1, 2, 3, 4]);
    assert.deepEqual(s.grid['network.N'], [10, 15, 20]);
    assert.throws(
      () => parseSweepSpec({ ...base, grid: { kappa: { geom: [0.1, 1, 3], linear: [1, 2, 3] } } }),
      { message: /^grid\.kappa: .*exactly one of "geom" or "linear"/ },
    );
  });
  test('scales patch the spec; a scale the spec lacks is refused', () => {
    const withScales = {
      ...base,
      scales: { small: { grid: { seed: [7] } }, paper: { base: { kappa: 0.01 } } },
    };
    assert.deepEqual(parseSweepSpec(withScales, 'small').grid.seed, [7]);
    const paper = parseSweepSpec(withScales, 'paper');
    assert.equal(paper.base.kappa, 0.01);
    assert.equal(paper.base.network.N, 16, 'objects merge key by key');
    assert.throws(() => parseSweepSpec(base, 'small'), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^--scale: must be absent/,
    });
    assert.throws(() => parseSweepSpec({ ...base, scales: { paper: {} } }, 'small'), {
      message: /^--scale: must be one of "paper", got "small"/,
    });
  });
  test('mergePatch: objects merge, arrays replace, null deletes, inputs untouched', () => {
    const a = { x: { y: 1, z: [1, 2] }, w: 1 };
    const out = mergePatch(a, { x: { z: [3] }, w: null });
    assert.deepEqual(out, { x: { y: 1, z: [3] } });
    assert.deepEqual(a, { x: { y: 1, z: [1, 2] }, w: 1 });
  });
});

describe('sweepPoints', () => {
  const spec = parseSweepSpec(base);
  const points = sweepPoints(spec);
  test('methods in order, last axis fastest, eigen without the seed axis', () => {
    assert.deepEqual(
      points.map((p) => [p.method, p.params['task.P'], p.params.seed]),
      [
        ['sgld', 20, 1],
        ['sgld', 20, 2],
        ['sgld', 40, 1],
        ['sgld', 40, 2],
        ['krr', 20, 1],
        ['krr', 20, 2],
        ['krr', 40, 1],
        ['krr', 40, 2],
        ['eigen', 10, undefined],
        ['eigen', 1000, undefined],
      ],
    );
    assert.deepEqual(
      points.map((p) => p.index),
      points.map((_, i) => i),
    );
  });
  test('each point is its method spec, normalised; seed sets data and sampler seeds', () => {
    const p = points[3]!;
    const spec3 = p.spec as {
      task: { P: number; seed: number };
      sampler: { seed: number; kappa: number; steps: number };
    };
    assert.equal(spec3.task.P, 40);
    assert.equal(spec3.task.seed, 2);
    assert.equal(spec3.sampler.seed, 2);
    assert.equal(spec3.sampler.kappa, 0.05);
    assert.equal(spec3.sampler.steps, 100);
    assert.equal((points[4]!.spec as { method: string }).method, 'krr');
    assert.equal((points[8]!.spec as { task: { seed: number } }).task.seed, 0);
  });
  test('ids depend only on (method, spec): stable, distinct, and key order does not matter', () => {
    assert.equal(new Set(points.map((p) => p.id)).size, points.length);
    const reordered = parseSweepSpec({
      grid: base.grid,
      methods: base.methods,
      base: base.base,
      name: 'other',
    });
    assert.deepEqual(
      sweepPoints(reordered).map((p) => p.id),
      points.map((p) => p.id),
    );
    assert.equal(sweepHash(sweepPoints(reordered)), sweepHash(points));
    const changed = parseSweepSpec({ ...base, base: { ...base.base, kappa: 0.06 } });
    assert.notEqual(sweepHash(sweepPoints(changed)), sweepHash(points));
  });
  test('method-prefixed axes apply to their method only', () => {
    const s = parseSweepSpec({
      ...base,
      grid: { 'task.P': [20], 'sgld.sampler.steps': [100, 200] },
    });
    const ps = sweepPoints(s);
    assert.deepEqual(
      ps
        .filter((p) => p.method === 'sgld')
        .map((p) => (p.spec as { sampler: { steps: number } }).sampler.steps),
      [100, 200],
    );
    assert.equal(ps.filter((p) => p.method === 'krr').length, 1);
    assert.deepEqual(ps.find((p) => p.method === 'krr')!.params, { 'task.P': 20 });
  });
  test('mf-ard is mf with ARD on', () => {
    const s = parseSweepSpec({
      ...base,
      methods: {
        mf: { spec: { solver: { steps: 10 } } },
        'mf-ard': { spec: { solver: { steps: 10 } } },
      },
      grid: { 'task.P': [20] },
    });
    const [mf, ard] = sweepPoints(s);
    assert.equal((mf!.spec as { solver: { ard: unknown } }).solver.ard, null);
    assert.equal((ard!.spec as { solver: { ard: { ema: number } } }).solver.ard.ema, 0.01);
  });
  test('an invalid point names its method, coordinate and field', () => {
    const s = parseSweepSpec({ ...base, grid: { 'task.P': [20, -5] } });
    assert.throws(() => sweepPoints(s), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^sweep point sgld at task\.P = -5: task\.P: must be an integer/,
    });
    const noSteps = parseSweepSpec({ ...base, methods: { sgld: {} } });
    assert.throws(() => sweepPoints(noSteps), { message: /^sweep point sgld at .*sampler\.steps/ });
  });
});

describe('shards', () => {
  const points = sweepPoints(parseSweepSpec(base));
  test('the shards of n partition the points', () => {
    for (const n of [1, 2, 3, 7, 10]) {
      const ids = Array.from({ length: n }, (_, i) => shardPoints(points, { index: i, count: n }))
        .flat()
        .map((p) => p.id)
        .sort();
      assert.deepEqual(ids, points.map((p) => p.id).sort(), `n = ${n}`);
    }
  });
  test('parseShard', () => {
    assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
    for (const bad of ['5/5', '1/0', '-1/3', 'a/b', '1', '1/2/3']) {
      assert.throws(() => parseShard(bad), { code: 'ERR_MFL_OUT_OF_RANGE', message: /^--shard: / });
    }
  });
});

describe('presets', () => {
  test('every preset parses at both scales and lists valid points', () => {
    const names = presetNames();
    assert.ok(names.includes('parity-learning-curve'), names.join(', '));
    for (const name of names) {
      const { input } = readSweepInput(name);
      for (const scale of ['small', 'paper'] as const) {
        const spec = parseSweepSpec(input, scale);
        assert.equal(spec.name, name);
        assert.ok(sweepPoints(spec).length > 0, `${name} ${scale}`);
        assert.ok(spec.figures.length > 0, `${name} ${scale} has figures`);
      }
    }
  });
  test('an unknown name lists the presets', () => {
    assert.throws(() => readSweepInput('no-such-preset'), {
      code: 'ERR_MFL_IO',
      message: /no-such-preset: no such spec file or preset \(presets: .*parity-learning-curve/,
    });
  });
});

describe('figures are checked against the grid before anything runs', () => {
  const figure = { kind: 'learning-curve', name: 'lc', title: 't', x: 'task.P', y: 'testMse' };
  test('an axis the figure neither draws nor averages is refused, naming it', () => {
    assert.throws(
      () =>
        parseSweepSpec({ ...base, grid: { ...base.grid, kappa: [0.01, 0.1] }, figures: [figure] }),
      {
        code: 'ERR_MFL_OUT_OF_RANGE',
        message: /^figures\.0 \(lc\): must be a figure that draws .*got "kappa"$/,
      },
    );
    const faceted = { ...figure, facet: 'kappa' };
    assert.equal(
      parseSweepSpec({ ...base, grid: { ...base.grid, kappa: [0.01, 0.1] }, figures: [faceted] })
        .figures.length,
      1,
    );
  });
  test('a method grid counts too; seeds are averaged; names are unique', () => {
    const spec = { ...base, methods: { ...base.methods, krr: { grid: { 'network.N': [8, 16] } } } };
    assert.throws(() => parseSweepSpec({ ...spec, figures: [figure] }), {
      message: /got "network\.N"$/,
    });
    assert.throws(() => parseSweepSpec({ ...base, figures: [figure, figure] }), {
      message: /^figures\.1\.name: must be a name no other figure has, got "lc"/,
    });
  });
  test('ratio: methods the sweep runs, two different ones; x and facet are drawn', () => {
    const ratio = { kind: 'ratio', name: 'r', title: 't', x: 'task.P', y: 'testMse' };
    const ok = { ...ratio, ratios: [['krr', 'sgld']] };
    assert.deepEqual(parseSweepSpec({ ...base, figures: [ok] }).figures[0], ok);
    assert.throws(
      () => parseSweepSpec({ ...base, figures: [{ ...ratio, ratios: [['mf', 'sgld']] }] }),
      {
        message:
          /^figures\.0\.ratios\.0\.0: must be a method of this sweep \(sgld, krr, eigen\), got "mf"/,
      },
    );
    assert.throws(
      () => parseSweepSpec({ ...base, figures: [{ ...ratio, ratios: [['sgld', 'sgld']] }] }),
      {
        message: /^figures\.0\.ratios\.0: must be two different methods, got "sgld \/ sgld"/,
      },
    );
    assert.throws(() => parseSweepSpec({ ...base, figures: [{ ...ratio, ratios: [] }] }), {
      message: /ratios.*at least one \[numerator, denominator\] method pair/,
    });
    assert.throws(
      () => parseSweepSpec({ ...base, grid: { ...base.grid, kappa: [0.01, 0.1] }, figures: [ok] }),
      { message: /^figures\.0 \(r\): must be a figure that draws .*got "kappa"$/ },
    );
    const faceted = { ...ok, facet: 'kappa' };
    const spec = { ...base, grid: { ...base.grid, kappa: [0.01, 0.1] }, figures: [faceted] };
    assert.equal(parseSweepSpec(spec).figures.length, 1);
  });
  test('marginals: one free axis is allowed without "at" (its largest value is drawn)', () => {
    const marginals = { kind: 'marginals', name: 'm', title: 't' };
    assert.equal(parseSweepSpec({ ...base, figures: [marginals] }).figures.length, 1);
    assert.throws(
      () =>
        parseSweepSpec({
          ...base,
          grid: { ...base.grid, kappa: [0.01, 0.1] },
          figures: [marginals],
        }),
      { message: /^figures\.0 \(m\): / },
    );
    const at = { ...marginals, at: { kappa: 0.1, 'task.P': 40 } };
    assert.equal(
      parseSweepSpec({ ...base, grid: { ...base.grid, kappa: [0.01, 0.1] }, figures: [at] }).figures
        .length,
      1,
    );
  });
});
