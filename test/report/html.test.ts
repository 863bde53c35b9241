/**
 * html.ts: the report opens in headless Chromium with no console or page errors and no request at
 * all besides the page itself (it is self-contained); every figure is drawn with a size; the
 * tables have the expected rows; strings from the sweep spec are shown as text, never run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import type { PointRecord, SweepSpec } from '../../src/experiments/types.js';
import { renderFigures, writeReport } from '../../src/report/index.js';
import { tempDir } from '../tasks/tmp.js';
import {
  KAPPA_C,
  LEARNING_CURVE,
  MARGINALS,
  PHASE_DIAGRAM,
  RATIO,
  kappaCRecords,
  learningCurveRecords,
  phaseRecords,
  pointRecord,
  sweepSpec,
} from './fixtures.js';

/** Debian's Chromium, or MFL_CHROMIUM's (Ubuntu ships it as a snap: /snap/bin/chromium). */
const CHROMIUM = process.env.MFL_CHROMIUM || '/usr/bin/chromium';

let browser: Browser | undefined;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    assert.fail(
      `${CHROMIUM} is missing: the report tests need headless Chromium (apt-get install chromium, ` +
        'or MFL_CHROMIUM=/path/to/chromium)',
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

async function buildReport(sweep: SweepSpec, records: PointRecord[]): Promise<string> {
  const dir = tempDir();
  const figures = await renderFigures(sweep, records, dir);
  const file = await writeReport(sweep, records, dir, figures);
  assert.equal(file, path.join(dir, 'report.html'));
  return file;
}

interface Visit {
  problems: string[];
  /** Each figure's drawn size and its SVG's own width attribute. */
  figures: { width: number; height: number; own: number }[];
  tableRows: (id: string) => Promise<number>;
  text: (selector: string) => Promise<string>;
  count: (selector: string) => Promise<number>;
  /** The value of a JavaScript expression in the page. */
  evaluate: (expression: string) => Promise<unknown>;
}

/**
 * Opens `file` and gathers what went wrong: console errors, page errors, and any request
 * besides the page itself (a self-contained page fetches nothing).
 */
async function visit(file: string, check: (v: Visit) => Promise<void>): Promise<void> {
  const url = pathToFileURL(file).href;
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      problems.push(`console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    if (req.url() !== url) problems.push(`request: ${req.url()}`);
  });
  page.on('requestfailed', (req) => problems.push(`failed request: ${req.url()}`));
  try {
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), `loading ${url}`);
    const figures = await page.locator('figure > .plot > svg').evaluateAll((svgs) =>
      svgs.map((s) => ({
        width: s.getBoundingClientRect().width,
        height: s.getBoundingClientRect().height,
        own: Number(s.getAttribute('width')),
      })),
    );
    await check({
      problems,
      figures,
      tableRows: (id) => page.locator(`table#${id} > tbody > tr`).count(),
      text: (selector) => page.locator(selector).innerText(),
      count: (selector) => page.locator(selector).count(),
      evaluate: (expression) => page.evaluate(expression),
    });
  } finally {
    await page.close();
  }
}

test('report: self-contained, figures drawn, one table row per method and point', async () => {
  const sweep = sweepSpec([PHASE_DIAGRAM, { ...LEARNING_CURVE, facet: 'kappa' }, MARGINALS]);
  const file = await buildReport(sweep, phaseRecords());
  const html = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script|<link|<img|@import|url\(http/i);
  await visit(file, async (v) => {
    assert.deepEqual(v.problems, []);
    assert.equal(v.figures.length, 2);
    for (const f of v.figures) assert.ok(f.width > 100 && f.height > 100, JSON.stringify(f));
    // Readable: drawn at 1.6 times the SVG's own width, or as wide as the page allows.
    const page = (await v.evaluate('document.querySelector("main").clientWidth')) as number;
    for (const f of v.figures) {
      assert.ok(Math.abs(f.width - Math.min(1.6 * f.own, page - 48)) < 2, JSON.stringify(f));
    }
    // 4 values of P x 5 of kappa, for sgld and mf.
    assert.equal(await v.tableRows('numbers'), 40);
    assert.equal(await v.count('table#numbers > thead th'), 7);
    assert.match(await v.text('figure#figure-2'), /not drawn: no method reports marginals/);
    assert.match(await v.text('dl.facts'), /mfl version\s+0\.1\.0/);
    assert.match(await v.text('dl.facts'), /points\s+60/);
    assert.match(await v.text('dl.facts'), /methods\s+SGLD, MF$/);
    // Each figure's ids are its own: the two inline SVGs share none.
    const duplicateIds = await v.evaluate(`(() => {
      const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
      return ids.filter((id, i) => ids.indexOf(id) !== i);
    })()`);
    assert.deepEqual(duplicateIds, []);
  });
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
  assert.deepEqual(links.slice(0, 3), [
    'figures/phase-mS.png',
    'figures/phase-mS.svg',
    'figures/phase-mS.vl.json',
  ]);
  for (const link of links) assert.ok(fs.existsSync(path.join(path.dirname(file), link)), link);
});

test('report: kappa_c tables per method and d, with slopes', async () => {
  const sweep = sweepSpec([KAPPA_C], { name: 'kappa-c-sweep' });
  const file = await buildReport(sweep, kappaCRecords());
  await visit(file, async (v) => {
    assert.deepEqual(v.problems, []);
    assert.equal(v.figures.length, 1);
    assert.equal(await v.tableRows('kappa-c-points-0'), 8);
    assert.equal(await v.tableRows('kappa-c-fits-0'), 2);
    assert.match(await v.text('table#kappa-c-fits-0'), /MF\s+-0\.75 ± 0 \(4 points\)/);
    assert.match(await v.text('table#kappa-c-points-0'), /MF-ARD\s+8\s+4\s+lower bound/);
  });
});

test('report: a learning curve carries its checked claims and its ratio table', async () => {
  const sweep = sweepSpec([LEARNING_CURVE, RATIO], {
    methods: {
      sgld: { spec: {}, grid: {} },
      mf: { spec: {}, grid: {} },
      krr: { spec: {}, grid: {} },
      eigen: { spec: {}, grid: {} },
    },
  });
  const file = await buildReport(sweep, learningCurveRecords());
  await visit(file, async (v) => {
    assert.deepEqual(v.problems, []);
    assert.equal(v.figures.length, 2);
    // The same claims as learningCurveFindings: the kernel one and the plain-MF one.
    assert.equal(await v.count('ul#findings > li'), 2);
    assert.match(await v.text('ul#findings'), /The kernel limit misses feature learning/);
    assert.match(await v.text('ul#findings'), /Plain MF gets the onset but not the size/);
    // MF / SGLD and KRR / SGLD at P = 10, 20, 40.
    assert.equal(await v.tableRows('ratios-1'), 6);
    assert.match(await v.text('table#ratios-1'), /MF \/ SGLD\s+10\s+0\.257 ± 0\.1\s+3 \/ 3/);
  });
});

test('report: markup in the sweep spec is shown as text, never run', async () => {
  const attack = '<script>window.__ran = 1</script><img src="x" onerror="window.__ran = 2">';
  const sweep = sweepSpec([{ ...PHASE_DIAGRAM, title: `Phase ${attack}` }], {
    name: `Sweep ${attack}`,
    description: `Description ${attack}`,
  });
  const file = await buildReport(sweep, phaseRecords());
  await visit(file, async (v) => {
    assert.deepEqual(v.problems, []);
    assert.equal(await v.count('script'), 0);
    assert.equal(await v.count('img'), 0);
    assert.equal(await v.evaluate('window.__ran'), undefined);
    assert.equal(await v.text('p.description'), `Description ${attack}`);
    assert.equal(await v.text('h1'), `Sweep ${attack}`);
    assert.match(await v.text('figure#figure-0 figcaption'), /Phase <script>/);
  });
});

test("report: the records' distinct warnings under the header, with point counts, as text", async () => {
  const warning = 'target <x_1 x_2 x_3> is not representable';
  const sweep = sweepSpec([LEARNING_CURVE]);
  const records = [
    pointRecord({ method: 'sgld', params: { 'task.P': 10, seed: 0 }, warnings: [warning] }, 0),
    pointRecord({ method: 'krr', params: { 'task.P': 10, seed: 0 }, warnings: [warning] }, 1),
    pointRecord({ method: 'krr', params: { 'task.P': 20, seed: 0 } }, 2),
  ];
  const dir = tempDir();
  const html = fs.readFileSync(await writeReport(sweep, records, dir, []), 'utf8');
  assert.match(
    html,
    /<h2>Warnings<\/h2>\n<ul class="warnings">\n<li>target &#60;x_1 x_2 x_3&#62; is not representable \(2 points\)<\/li>\n<\/ul>/,
  );
  const quiet = fs.readFileSync(await writeReport(sweep, [records[2]!], tempDir(), []), 'utf8');
  assert.ok(!quiet.includes('Warnings'));
});
