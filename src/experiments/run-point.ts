/**
 * Runs one sweep point with its method and turns the result into the record stored in
 * results.jsonl: the same observable names for every method (THEORY.md section 4), the marginals
 * of the sampling methods, and the wall-clock facts kept apart from the numbers.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { BackendName } from '../backend/types.js';
import { meanField } from '../methods/mf/run.js';
import { nngp } from '../methods/nngp/run.js';
import { sgld } from '../methods/sgld/run.js';
import type { SgldSpec } from '../methods/sgld/spec.js';
import type { MfSpec } from '../methods/mf/spec.js';
import type { NngpSpec } from '../methods/nngp/spec.js';
import type { Marginal } from '../methods/marginal.js';
import { pointWarnings } from './warnings.js';
import type { PointMarginals, PointObservables, PointRecord, SweepPoint } from './types.js';

/** R-hat of mS below this counts an SGLD point as converged (the usual 1.1 rule). */
export const RHAT_CONVERGED = 1.1;

/** Options of `runPoint`. */
export interface RunPointOptions {
  backend?: BackendName;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Folder for SGLD checkpoints (one file per point id): a killed point resumes from its last
   *  checkpoint instead of step 0, with the same final numbers. */
  checkpointDir?: string;
  /** BLAS threads of this process (recorded; OpenBLAS reads OPENBLAS_NUM_THREADS at load). */
  blasThreads?: number;
  /** Threads of an SGLD or MF point's kernel; default 1 (a sweep's parallelism is its jobs). */
  threads?: number;
}

/** Result fields that are facts of the machine or the attempt rather than numbers of the run
 *  (KRR's default memory limit is a share of the free memory at the time). */
const ENVIRONMENT_FIELDS = [
  'seconds',
  'stepsPerSecond',
  'resumedFromStep',
  'memoryLimitBytes',
  'threads',
];

type Json = Record<string, unknown>;

function jsonOf(result: object): Json {
  const json = JSON.parse(JSON.stringify(result)) as Json;
  delete json.spec;
  for (const field of ENVIRONMENT_FIELDS) delete json[field];
  return json;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function observablesOf(json: Json, converged: boolean | null): PointObservables {
  return {
    testMse: numberOrNull(json.testMse),
    trainMse: numberOrNull(json.trainMse),
    mS: numberOrNull(json.mS),
    anisotropy: numberOrNull(json.anisotropy),
    ...ceilingOf(json),
    converged,
  };
}

/** The mean-field ceiling on mS, for the records of MF methods only. */
function ceilingOf(json: Json): { mSCeiling?: number | null } {
  if (!('ceiling' in json)) return {};
  const ceiling = json.ceiling as { mS?: unknown } | null;
  return { mSCeiling: numberOrNull(ceiling?.mS) };
}

function marginalsOf(json: Json): PointMarginals | null {
  const m = json.marginals as { relevantW?: Marginal | null; irrelevantW?: Marginal | null } | null;
  if (!m) return null;
  return { relevantW: m.relevantW ?? null, irrelevantW: m.irrelevantW ?? null };
}

/** The checkpoint file of an SGLD point, and whether a previous attempt left one to resume. */
function checkpointOf(point: SweepPoint, dir: string | undefined) {
  if (dir === undefined || point.method !== 'sgld') return {};
  const file = path.join(dir, `${point.id}.ckpt`);
  return { checkpoint: { path: file }, resume: fs.existsSync(file) };
}

/**
 * Runs `point` and returns its record (without the sweep hash, which the caller adds).
 * @throws whatever the method throws (e.g. ERR_MFL_DIVERGED), for the caller to record
 */
export async function runPoint(
  point: SweepPoint,
  options: RunPointOptions = {},
): Promise<Omit<PointRecord, 'sweep'>> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const common = {
    ...(options.backend !== undefined && { backend: options.backend }),
    ...(options.signal !== undefined && { signal: options.signal }),
  };
  let json: Json;
  let converged: boolean | null = null;
  let backend: string | null;
  let version: string;
  let resumedFromStep = 0;
  switch (point.method) {
    case 'sgld': {
      const r = await sgld(point.spec as unknown as SgldSpec, {
        ...common,
        ...checkpointOf(point, options.checkpointDir),
        ...(options.onProgress && { onProgress: options.onProgress }),
        threads: options.threads ?? 1,
      });
      json = jsonOf(r);
      const rhat = r.diagnostics.rhat.mS;
      converged = rhat === null ? null : rhat < RHAT_CONVERGED;
      ({ backend, version, resumedFromStep } = r);
      break;
    }
    case 'mf':
    case 'mf-ard': {
      const r = await meanField(point.spec as unknown as MfSpec, {
        ...common,
        ...(options.onProgress && { onProgress: options.onProgress }),
        threads: options.threads ?? 1,
      });
      json = jsonOf(r);
      converged = r.converged;
      ({ backend, version } = r);
      break;
    }
    case 'krr':
    case 'eigen': {
      const r = await nngp(point.spec as unknown as NngpSpec, common);
      json = jsonOf(r);
      ({ backend, version } = r);
      break;
    }
  }
  return {
    schema: 'mfl.point/1',
    index: point.index,
    id: point.id,
    method: point.method,
    params: point.params,
    spec: point.spec,
    observables: observablesOf(json, converged),
    marginals: marginalsOf(json),
    warnings: pointWarnings(point),
    result: json,
    backend,
    version,
    blasThreads: options.blasThreads ?? 1,
    timings: {
      startedAt,
      seconds: (performance.now() - started) / 1000,
      host: os.hostname(),
      resumedFromStep,
    },
  };
}
