/**
 * Figures on disk: for each figure of a sweep, its Vega-Lite spec (DIR/figures/NAME.vl.json), the
 * SVG Vega draws from it headlessly (NAME.svg) and that SVG rasterised at twice its size
 * (NAME.png). No browser and no network: the data are inline and text is measured by Vega's
 * estimates, then drawn by resvg with the system's fonts.
 */
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { MflError, outOfRange } from '../errors.js';
import type { FigureSpec, PointRecord, SweepSpec } from '../experiments/types.js';
import { ensureDir, writeFileAtomic } from '../tasks/io/files.js';
import { buildChart } from './charts.js';

/** Pixel density of the PNG relative to the SVG's size. */
export const PNG_SCALE = 2;

/** Paths of a figure's files. */
export interface FigureFiles {
  /** DIR/figures/NAME.vl.json */
  spec: string;
  /** DIR/figures/NAME.svg */
  svg: string;
  /** DIR/figures/NAME.png */
  png: string;
}

interface FigureHeader {
  name: string;
  title: string;
  kind: FigureSpec['kind'];
}

/** A figure that was drawn. */
export interface DrawnFigure extends FigureHeader {
  files: FigureFiles;
  /** The SVG markup, as written to files.svg. */
  svg: string;
}

/** A figure with nothing to draw (e.g. marginals when no method reports them). */
export interface SkippedFigure extends FigureHeader {
  /** Why, e.g. "no method reports marginals". */
  skipped: string;
}

export type RenderedFigure = DrawnFigure | SkippedFigure;

/** A figure name is a file stem: letters, digits, ".", "_" and "-", not starting with ".". */
const FIGURE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Draws every figure of `sweep` from `records` into DIR/figures/, one after the other. Each file
 * is written atomically (temp file, then rename), so a reader never sees half a figure.
 *
 * @param dir the sweep's results folder (DIR/figures/ is created if needed)
 * @returns one entry per figure of sweep.figures, in order
 * @throws MflRangeError when a figure name is not a plain file stem or two figures share a name
 * @throws MflError ERR_MFL_FORMAT when the records belong to several sweeps or do not fit a
 *   figure's axes; ERR_MFL_IO when a file cannot be written
 */
export async function renderFigures(
  sweep: SweepSpec,
  records: readonly PointRecord[],
  dir: string,
): Promise<RenderedFigure[]> {
  checkFigureNames(sweep.figures);
  checkOneSweep(records);
  const figuresDir = path.join(dir, 'figures');
  await ensureDir(figuresDir);
  const out: RenderedFigure[] = [];
  for (const figure of sweep.figures) {
    const header = { name: figure.name, title: figure.title, kind: figure.kind };
    const built = buildChart(figure, records);
    if ('skipped' in built) {
      out.push({ ...header, skipped: built.skipped });
      continue;
    }
    const svg = await toSvg(built.spec);
    const png = rasterise(svg);
    const files = {
      spec: path.join(figuresDir, `${figure.name}.vl.json`),
      svg: path.join(figuresDir, `${figure.name}.svg`),
      png: path.join(figuresDir, `${figure.name}.png`),
    };
    await writeFileAtomic(files.spec, [`${JSON.stringify(built.spec, null, 2)}\n`]);
    await writeFileAtomic(files.svg, [svg]);
    await writeFileAtomic(files.png, [png]);
    out.push({ ...header, files, svg });
  }
  return out;
}

/** The SVG of a Vega-Lite spec, drawn by a headless Vega view. */
export async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG as PNG bytes at PNG_SCALE times its size, text in the system's fonts. */
export function rasterise(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    font: { loadSystemFonts: true },
  });
  return resvg.render().asPng();
}

function checkFigureNames(figures: readonly FigureSpec[]): void {
  const seen = new Set<string>();
  figures.forEach((figure, i) => {
    if (typeof figure.name !== 'string' || !FIGURE_NAME.test(figure.name)) {
      throw outOfRange(
        `figures[${i}].name`,
        'a file stem of letters, digits, ".", "_" and "-" (not starting with ".")',
        figure.name,
      );
    }
    if (seen.has(figure.name)) {
      throw outOfRange(`figures[${i}].name`, 'unique among the figures', figure.name);
    }
    seen.add(figure.name);
  });
}

/**
 * Records of different sweeps (different point lists) must not be drawn together.
 * @throws MflError ERR_MFL_FORMAT naming the sweep hashes found
 */
export function checkOneSweep(records: readonly PointRecord[]): void {
  const sweeps = [...new Set(records.map((r) => r.sweep))];
  if (sweeps.length > 1) {
    throw new MflError(
      'ERR_MFL_FORMAT',
      `the records belong to ${sweeps.length} different sweeps (${sweeps.join(', ')}); ` +
        'report one sweep at a time',
    );
  }
}
