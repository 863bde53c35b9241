/**
 * DIR/report.html: one self-contained page per sweep (no scripts, stylesheets, fonts or images
 * fetched; no JavaScript needed). The figures are inline SVG, each with its Vega-Lite spec, and
 * the numbers behind them are tables. Every string that comes from a spec or a record is escaped.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AxisValue, PointRecord, RatioFigure, SweepSpec } from '../experiments/types.js';
import { ioError, writeFileAtomic } from '../tasks/io/files.js';
import { aggregate, kappaC, methodRatios, methodsOf, SEED_AXIS } from './analysis.js';
import type { AggregateRow, KappaCSeries, RatioPoint } from './analysis.js';
import { formatMeanSe, formatNumber, slopeText } from './format.js';
import { learningCurveFindings } from './findings.js';
import type { Finding } from './findings.js';
import { METHOD_LABELS } from './labels.js';
import type { DrawnFigure, RenderedFigure } from './render.js';
import { checkOneSweep } from './render.js';

/**
 * Writes DIR/report.html for a sweep: its title and description, the mfl versions and backends
 * of the records, the checked claims of a learning curve (findings.ts; `mfl demo` prints the
 * same), every figure (inline SVG, caption, spec, links to its files), the seed-mean
 * table of aggregate(), the kappa_c tables of kappa-c figures and the ratio tables of ratio
 * figures.
 *
 * @param figures what renderFigures returned for the same sweep, records and dir
 * @returns the path of report.html
 * @throws MflError ERR_MFL_FORMAT when the records belong to several sweeps; ERR_MFL_IO when
 *   the page cannot be written or a figure's spec file cannot be read
 */
export async function writeReport(
  sweep: SweepSpec,
  records: readonly PointRecord[],
  dir: string,
  figures: readonly RenderedFigure[],
): Promise<string> {
  checkOneSweep(records);
  const rows = aggregate(records);
  const sections = [
    header(sweep, records),
    ...findingsSection(learningCurveFindings(records)),
    await figuresSection(figures, dir),
    numbersSection(rows, gridAxes(sweep, rows)),
    ...sweep.figures.flatMap((figure, i) => {
      if (figure.kind === 'kappa-c')
        return [kappaCSection(i, figure.title, kappaC(records, figure))];
      if (figure.kind === 'ratio') return [ratioSection(i, figure, methodRatios(records, figure))];
      return [];
    }),
  ];
  const file = path.join(dir, 'report.html');
  await writeFileAtomic(file, [page(sweep.name, sections.join('\n'))]);
  return file;
}

/** Text as HTML: safe in element content and in double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #1b1b1b; margin: 0; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem; background: #fff; }
h1 { margin-top: 0; }
.description { white-space: pre-line; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
figure { margin: 2rem 0; }
figure .plot { max-width: 100%; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { margin-top: 0.4rem; }
pre { overflow: auto; max-height: 24rem; background: #f3f3f3; padding: 0.6rem; font-size: 12px; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.skipped { color: #666; font-style: italic; }
#findings li { margin: 0.4rem 0; }
#findings .fails strong { color: #b00020; }
#findings .detail { color: #444; font-size: 13px; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: mfl report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function header(sweep: SweepSpec, records: readonly PointRecord[]): string {
  const distinct = (values: (string | null)[]) =>
    [...new Set(values.filter((v): v is string => v !== null))].sort();
  const list = (values: string[]) =>
    values.length === 0 ? '–' : values.map(escapeHtml).join(', ');
  const points = new Set(records.map((r) => r.id)).size;
  const methods = methodsOf(records).map((m) => METHOD_LABELS[m]);
  return `<h1>${escapeHtml(sweep.name)}</h1>
<p class="description">${escapeHtml(sweep.description)}</p>
<dl class="facts">
<dt>mfl version</dt><dd>${list(distinct(records.map((r) => r.version)))}</dd>
<dt>backends</dt><dd>${list(distinct(records.map((r) => r.backend)))}</dd>
<dt>points</dt><dd>${points}${points === records.length ? '' : ` (${records.length} records)`}</dd>
<dt>methods</dt><dd>${list(methods)}</dd>
</dl>${warningsList(records)}`;
}

/** The records' distinct warnings (e.g. an unrepresentable target), each with its point count. */
function warningsList(records: readonly PointRecord[]): string {
  const points = new Map<string, Set<string>>();
  for (const r of records) {
    for (const w of r.warnings) points.set(w, (points.get(w) ?? new Set()).add(r.id));
  }
  if (points.size === 0) return '';
  const items = [...points].map(
    ([w, ids]) => `<li>${escapeHtml(w)} (${ids.size} point${ids.size === 1 ? '' : 's'})</li>`,
  );
  return `\n<h2>Warnings</h2>\n<ul class="warnings">\n${items.join('\n')}\n</ul>`;
}

async function figuresSection(figures: readonly RenderedFigure[], dir: string): Promise<string> {
  const parts = await Promise.all(
    figures.map((figure, i) =>
      'skipped' in figure
        ? Promise.resolve(
            `<figure id="figure-${i}"><figcaption><strong>${escapeHtml(figure.title)}</strong>` +
              ` <span class="skipped">(not drawn: ${escapeHtml(figure.skipped)})</span>` +
              `</figcaption></figure>`,
          )
        : drawnFigure(figure, i, dir),
    ),
  );
  return `<h2>Figures</h2>\n${parts.join('\n')}`;
}

async function drawnFigure(figure: DrawnFigure, index: number, dir: string): Promise<string> {
  const spec = await readText(figure.files.spec);
  const link = (file: string, label: string) =>
    `<a href="${escapeHtml(relativeUrl(dir, file))}">${label}</a>`;
  return `<figure id="figure-${index}">
<div class="plot" style="width: ${readableWidth(figure.svg)}px">${scopeSvgIds(figure.svg, `f${index}-`)}</div>
<figcaption><strong>${escapeHtml(figure.title)}</strong> (${escapeHtml(figure.kind)}).
Files: ${link(figure.files.png, 'PNG')}, ${link(figure.files.svg, 'SVG')}, ${link(figure.files.spec, 'Vega-Lite spec')}.</figcaption>
<details><summary>Vega-Lite spec</summary><pre>${escapeHtml(spec)}</pre></details>
</figure>`;
}

/**
 * The width a figure is shown at: its SVG width scaled by 1.6 (Vega draws panels of 320 px, small
 * beside the page's text), never beyond the page (max-width: 100%). Unknown widths: 960 px.
 */
export function readableWidth(svg: string): number {
  const width = /^<svg[^>]*\swidth="([0-9.]+)"/.exec(svg);
  return width ? Math.round(1.6 * Number(width[1])) : 960;
}

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw ioError(file, 'read', err);
  }
}

/** A link from DIR/report.html to `file`, slash-separated, each segment URL-encoded. */
function relativeUrl(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).map(encodeURIComponent).join('/');
}

/**
 * Prefixes the ids of an SVG and the references to them (url(#id), href="#id"): Vega numbers
 * gradients and clip paths from 0 in every SVG, so two inline figures would share ids.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
}

/** The non-seed axes of the table: the sweep's grid order, then method-only axes. */
function gridAxes(sweep: SweepSpec, rows: readonly AggregateRow[]): string[] {
  const axes = [
    ...Object.keys(sweep.grid),
    ...Object.values(sweep.methods).flatMap((m) => Object.keys(m?.grid ?? {})),
    ...rows.flatMap((r) => Object.keys(r.params)),
  ];
  return [...new Set(axes)].filter((a) => a !== SEED_AXIS);
}

function numbersSection(rows: readonly AggregateRow[], axes: readonly string[]): string {
  const ceiling = rows.some((r) => r.mSCeiling.n > 0);
  const head = [
    'method',
    ...axes,
    'seeds',
    'test MSE',
    'm_S',
    ...(ceiling ? ['m_S ceiling'] : []),
    'converged',
  ];
  const body = rows.map((r) => {
    const converged =
      r.converged.reported === 0 ? '–' : `${r.converged.converged}/${r.converged.reported}`;
    const cells = [
      METHOD_LABELS[r.method],
      ...axes.map((a) => axisCell(r.params[a])),
      String(r.n),
      formatMeanSe(r.testMse.mean, r.testMse.se),
      formatMeanSe(r.mS.mean, r.mS.se),
      ...(ceiling ? [r.mSCeiling.n > 0 ? formatNumber(r.mSCeiling.mean!) : '–'] : []),
      converged,
    ];
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<h2>Numbers</h2>
<p>Mean ± standard error over seeds (SE shown with two seeds or more).${ceiling ? ' The m_S ceiling of the mean-field methods is N c^2 / (1 + N c^2) (THEORY.md section 10).' : ''}</p>
${table('numbers', head, body)}`;
}

function axisCell(value: AxisValue | undefined): string {
  if (value === undefined) return '–';
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

function table(id: string, head: readonly string[], body: readonly string[]): string {
  const th = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  return `<table id="${id}">
<thead><tr>${th}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>`;
}

const BOUND_TEXT = {
  interpolated: 'interpolated',
  lower: 'lower bound (m_S above the threshold at every kappa)',
  none: 'not reached (m_S below the threshold at every kappa)',
} as const;

function kappaCSection(index: number, title: string, series: readonly KappaCSeries[]): string {
  const points = series.flatMap((s) =>
    s.points.map((p) => {
      const cells = [
        METHOD_LABELS[s.method],
        formatNumber(p.d),
        p.kappaC === null ? '–' : formatNumber(p.kappaC),
        BOUND_TEXT[p.bound],
      ];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    }),
  );
  const fits = series.map(
    (s) =>
      `<tr><td>${escapeHtml(METHOD_LABELS[s.method])}</td><td>${escapeHtml(slopeText(s.fit))}</td></tr>`,
  );
  return `<h2>kappa_c: ${escapeHtml(title)}</h2>
${table(`kappa-c-points-${index}`, ['method', 'd', 'kappa_c', 'kind'], points)}
<p>Slope of log kappa_c against log d (least squares over the interpolated points, ± standard error).</p>
${table(`kappa-c-fits-${index}`, ['method', 'slope'], fits)}`;
}

function ratioSection(index: number, figure: RatioFigure, points: readonly RatioPoint[]): string {
  const axes = figure.facet === undefined ? [figure.x] : [figure.facet, figure.x];
  const body = points.map((p) => {
    const cells = [
      `${METHOD_LABELS[p.numerator]} / ${METHOD_LABELS[p.denominator]}`,
      ...axes.map((a) => axisCell(p.params[a])),
      formatMeanSe(p.ratio, p.se),
      `${p.seeds[0]} / ${p.seeds[1]}`,
    ];
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<h2>Ratios: ${escapeHtml(figure.title)}</h2>
<p>Ratio of the seed means of ${escapeHtml(figure.y)} ± standard error (delta method, the two methods' seed means taken as independent).</p>
${table(`ratios-${index}`, ['ratio', ...axes, figure.y, 'seeds'], body)}`;
}

/** The claims checked on a learning curve's numbers, as `mfl demo` prints them; none: nothing. */
function findingsSection(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  const items = findings.map(
    (f) =>
      `<li class="${f.holds ? 'holds' : 'fails'}"><strong>${f.holds ? 'yes' : 'no'}</strong>: ` +
      `${escapeHtml(f.claim)}<br><span class="detail">${escapeHtml(f.detail)}</span></li>`,
  );
  return [
    `<h2>Claims checked on these numbers</h2>\n<ul id="findings">\n${items.join('\n')}\n</ul>`,
  ];
}
