/**
 * render.ts: every kind of figure becomes a spec, an SVG and a PNG twice the SVG's size; a figure
 * without data is skipped without files; bad names and mixed sweeps are refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { FigureSpec, PointRecord } from '../../src/experiments/types.js';
import type { DrawnFigure, RenderedFigure } from '../../src/report/index.js';
import { PNG_SCALE, chartSpec, renderFigures } from '../../src/report/index.js';
import { tempDir } from '../tasks/tmp.js';
import {
  KAPPA_C,
  LEARNING_CURVE,
  MARGINALS,
  ORDER_PARAMETER,
  PHASE_DIAGRAM,
  kappaCRecords,
  learningCurveRecords,
  marginalRecords,
  phaseRecords,
  sweepSpec,
} from './fixtures.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The width and height attributes of an SVG's root element. */
function svgSize(svg: string): [number, number] {
  const root = /^<svg[^>]*>/.exec(svg)![0];
  const attr = (name: string) => Number(new RegExp(` ${name}="([0-9.]+)"`).exec(root)![1]);
  return [attr('width'), attr('height')];
}

function drawn(figure: RenderedFigure): DrawnFigure {
  assert.ok(!('skipped' in figure), `${figure.name} was skipped: ${JSON.stringify(figure)}`);
  return figure;
}

/** The text of every figure kind's axis titles, to be found in its SVG. */
const CASES: { figure: FigureSpec; records: () => PointRecord[]; texts: string[] }[] = [
  {
    figure: LEARNING_CURVE,
    records: learningCurveRecords,
    texts: ['P (training samples)', 'test MSE', 'NNGP (eigenlearning)'],
  },
  {
    figure: ORDER_PARAMETER,
    records: learningCurveRecords,
    texts: ['P (training samples)', 'm_S (overlap with the target)'],
  },
  {
    figure: PHASE_DIAGRAM,
    records: phaseRecords,
    texts: ['P (training samples)', 'kappa (noise level, sum loss)', 'SGLD', 'MF'],
  },
  {
    figure: MARGINALS,
    records: marginalRecords,
    texts: ['w_ij (first-layer weight)', 'density', 'relevant (j in S)'],
  },
  {
    figure: KAPPA_C,
    records: kappaCRecords,
    texts: ['d (input dimension)', 'kappa_c (critical noise, sum loss)', 'MF-ARD'],
  },
];

test('renderFigures: spec, SVG and PNG (twice the size) for every kind', async () => {
  const dir = tempDir();
  for (const { figure, records, texts } of CASES) {
    const recs = records();
    const [result] = await renderFigures(sweepSpec([figure]), recs, dir);
    const out = drawn(result!);
    assert.deepEqual([out.name, out.title, out.kind], [figure.name, figure.title, figure.kind]);
    assert.deepEqual(out.files, {
      spec: path.join(dir, 'figures', `${figure.name}.vl.json`),
      svg: path.join(dir, 'figures', `${figure.name}.svg`),
      png: path.join(dir, 'figures', `${figure.name}.png`),
    });
    const svg = fs.readFileSync(out.files.svg, 'utf8');
    assert.equal(svg, out.svg);
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    for (const text of texts) assert.ok(svg.includes(`>${text}<`), `${figure.name}: "${text}"`);
    const png = fs.readFileSync(out.files.png);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    const [w, h] = svgSize(svg);
    assert.ok(w > 100 && h > 100, `svg size ${w} x ${h}`);
    assert.deepEqual(pngSize(png), [PNG_SCALE * w, PNG_SCALE * h]);
    const specText = fs.readFileSync(out.files.spec, 'utf8');
    assert.ok(specText.includes('\n  "$schema"'), 'pretty JSON');
    assert.deepEqual(JSON.parse(specText), JSON.parse(JSON.stringify(chartSpec(figure, recs))));
  }
  const left = fs.readdirSync(path.join(dir, 'figures')).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(left, []);
});

test('renderFigures: a figure without data is skipped, with no files', async () => {
  const dir = tempDir();
  const sweep = sweepSpec([LEARNING_CURVE, MARGINALS]);
  const [curve, marginals] = await renderFigures(sweep, learningCurveRecords(), dir);
  drawn(curve!);
  assert.deepEqual(marginals, {
    name: 'marginals',
    title: MARGINALS.title,
    kind: 'marginals',
    skipped: 'no method reports marginals',
  });
  assert.deepEqual(fs.readdirSync(path.join(dir, 'figures')).sort(), [
    'learning-curve-testMse.png',
    'learning-curve-testMse.svg',
    'learning-curve-testMse.vl.json',
  ]);
});

test('renderFigures: unsafe or repeated figure names and mixed sweeps are refused', async () => {
  const dir = tempDir();
  const recs = learningCurveRecords();
  await assert.rejects(
    renderFigures(sweepSpec([{ ...LEARNING_CURVE, name: '../escape' }]), recs, dir),
    (err: Error & { code?: string }) =>
      err.code === 'ERR_MFL_OUT_OF_RANGE' &&
      err.message.startsWith('figures[0].name: must be a file stem'),
  );
  await assert.rejects(
    renderFigures(sweepSpec([LEARNING_CURVE, LEARNING_CURVE]), recs, dir),
    /figures\[1\]\.name: must be unique among the figures, got "learning-curve-testMse"/,
  );
  const mixed = [...recs, { ...recs[0]!, sweep: 'another-sweep' }];
  await assert.rejects(
    renderFigures(sweepSpec([LEARNING_CURVE]), mixed, dir),
    /the records belong to 2 different sweeps/,
  );
  assert.equal(fs.existsSync(path.join(dir, 'figures')), false);
});
