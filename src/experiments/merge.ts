/**
 * `merge()`: joins the output folders of a sweep's shards (or of interrupted copies of one run)
 * into one folder whose results.jsonl lists every point once, in point order.
 */
import path from 'node:path';
import { MflError } from '../errors.js';
import { writeFileAtomic, ensureWritableDir } from '../tasks/io/files.js';
import { canonicalJson, sweepPoints } from './points.js';
import { RESULTS_FILE, SWEEP_FILE, readManifest, readResults } from './results.js';
import type { SweepManifest } from './results.js';
import type { PointRecord } from './types.js';

/** What `merge` returns. */
export interface MergeSummary {
  out: string;
  hash: string;
  points: number;
  /** Records written, and points of the sweep still missing (no folder had them). */
  records: number;
  missing: number;
  /** Points found in more than one folder (kept once). */
  duplicates: number;
}

/** A record without its wall-clock facts: two runs of the same point agree on this. */
export function numbersOf(record: PointRecord): string {
  return canonicalJson({ ...record, timings: null });
}

/**
 * Merges the sweep folders `dirs` into `out` (which may be one of them, or hold earlier merges).
 * @throws MflError ERR_MFL_FORMAT when a folder has no sweep.json, when the folders hold
 *   different sweeps, or when two folders hold different numbers for the same point
 */
export async function merge(dirs: readonly string[], out: string): Promise<MergeSummary> {
  if (dirs.length === 0) throw new MflError('ERR_MFL_OUT_OF_RANGE', 'merge: at least one folder');
  const manifests: [string, SweepManifest][] = dirs.map((dir) => {
    const m = readManifest(dir);
    if (!m) throw new MflError('ERR_MFL_FORMAT', `${dir}: no ${SWEEP_FILE} (not a sweep folder)`);
    return [dir, m];
  });
  const outManifest = readManifest(out);
  if (outManifest) manifests.push([out, outManifest]);
  const [firstDir, first] = manifests[0]!;
  for (const [dir, m] of manifests) {
    if (m.hash !== first.hash) {
      throw new MflError(
        'ERR_MFL_FORMAT',
        `${dir} holds sweep ${m.spec.name} (hash ${m.hash}) but ${firstDir} holds ` +
          `${first.spec.name} (hash ${first.hash}): only shards of one sweep merge`,
      );
    }
  }
  const byId = new Map<string, { record: PointRecord; dir: string }>();
  let duplicates = 0;
  for (const [dir] of manifests) {
    for (const record of readResults(dir)) {
      if (record.sweep !== first.hash) continue;
      const seen = byId.get(record.id);
      if (!seen) {
        byId.set(record.id, { record, dir });
        continue;
      }
      if (seen.dir === dir) continue;
      duplicates++;
      if (numbersOf(seen.record) !== numbersOf(record)) {
        throw new MflError(
          'ERR_MFL_FORMAT',
          `point ${record.index} (${record.method}, id ${record.id}) has different numbers in ` +
            `${seen.dir} and ${dir} (BLAS threads ${seen.record.blasThreads} vs ` +
            `${record.blasThreads}, versions ${seen.record.version} vs ${record.version})`,
        );
      }
    }
  }
  const points = sweepPoints(first.spec);
  const records = points.flatMap((p) => {
    const found = byId.get(p.id);
    return found ? [found.record] : [];
  });
  await ensureWritableDir(out);
  const manifest: SweepManifest = { ...first, shard: null, shardPoints: first.points };
  await writeFileAtomic(
    path.join(out, RESULTS_FILE),
    records.map((r) => `${JSON.stringify(r)}\n`),
  );
  await writeFileAtomic(path.join(out, SWEEP_FILE), [`${JSON.stringify(manifest, null, 2)}\n`]);
  return {
    out: path.resolve(out),
    hash: first.hash,
    points: points.length,
    records: records.length,
    missing: points.length - records.length,
    duplicates,
  };
}
