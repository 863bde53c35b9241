/**
 * Task spec -> data: generated tasks come from the backend's row generator (train and test use
 * separate RNG streams, and rows are addressed by index, so P never changes the first rows and
 * PTest never changes the training data); custom tasks come from files.
 */
import * as z from 'zod';
import { resolveBackend } from '../backend/index.js';
import { backendOption, progressOption, signalOption } from '../backend/options.js';
import type { Backend, BackendName, TaskParams } from '../backend/types.js';
import { parseOptions } from '../validate.js';
import { formatError } from './io/files.js';
import { loadData, loadDataSync } from './io/index.js';
import type { Data } from './io/index.js';
import { isGenerated, parseTaskSpec } from './spec.js';
import type { CustomTaskSpec, GeneratedTaskSpec, TaskSpec, TaskSpecInput } from './spec.js';

/** Training and test data of a task. X and XTest are row-major (P x d, PTest x d). */
export interface Dataset {
  /** The normalised spec the data came from. */
  spec: TaskSpec;
  d: number;
  P: number;
  PTest: number;
  X: Float64Array;
  y: Float64Array;
  XTest: Float64Array;
  yTest: Float64Array;
}

/** Options of `makeDataset` / `makeDatasetSync`. */
export interface DatasetOptions {
  /** Backend (or its name) generating the data; default `getBackend()` (MFL_BACKEND). */
  backend?: Backend | BackendName;
  /** Cancels generation (async only); the promise rejects with code ERR_MFL_CANCELLED. */
  signal?: AbortSignal;
  /** Progress in rows over both splits: (done, P + PTest). Async only. */
  onProgress?: (done: number, total: number) => void;
}

const datasetOptionsSchema = z.strictObject({
  backend: backendOption().optional(),
  signal: signalOption().optional(),
  onProgress: progressOption().optional(),
});

/** makeDatasetSync runs on the calling thread: nothing to cancel or report. */
const syncDatasetOptionsSchema = datasetOptionsSchema.pick({ backend: true });

function taskParams(spec: GeneratedTaskSpec): TaskParams {
  return { kind: spec.task, d: spec.d, k: spec.k, labelNoise: spec.labelNoise, seed: spec.seed };
}

function allocate(rows: number, d: number): Data {
  return { X: new Float64Array(rows * d), y: new Float64Array(rows), P: rows, d };
}

function assemble(spec: TaskSpec, train: Data, test: Data): Dataset {
  return {
    spec,
    d: train.d,
    P: train.P,
    PTest: test.P,
    X: train.X,
    y: train.y,
    XTest: test.X,
    yTest: test.y,
  };
}

/** Train and test must have the same input dimension; the message names both files. */
function checkSameDimension(spec: CustomTaskSpec, train: Data, test: Data): void {
  if (spec.test !== undefined && train.d !== test.d) {
    throw formatError(
      spec.test,
      `test data has d = ${test.d} columns but train data (${spec.train}) has d = ${train.d}`,
    );
  }
}

async function generate(
  spec: GeneratedTaskSpec,
  options: z.output<typeof datasetOptionsSchema>,
): Promise<Dataset> {
  const backend = resolveBackend(options.backend);
  const params = taskParams(spec);
  const train = allocate(spec.P, spec.d);
  const test = allocate(spec.PTest, spec.d);
  const total = spec.P + spec.PTest;
  const { onProgress } = options;
  const progress = (offset: number) =>
    onProgress && ((done: number) => onProgress(offset + done, total));
  await backend.generateTaskRowsAsync(
    params,
    { test: false, rowOffset: 0, X: train.X, y: train.y },
    { ...(options.signal && { signal: options.signal }), onProgress: progress(0) },
  );
  await backend.generateTaskRowsAsync(
    params,
    { test: true, rowOffset: 0, X: test.X, y: test.y },
    { ...(options.signal && { signal: options.signal }), onProgress: progress(spec.P) },
  );
  return assemble(spec, train, test);
}

function generateSync(
  spec: GeneratedTaskSpec,
  options: z.output<typeof syncDatasetOptionsSchema>,
): Dataset {
  const backend = resolveBackend(options.backend);
  const params = taskParams(spec);
  const train = allocate(spec.P, spec.d);
  const test = allocate(spec.PTest, spec.d);
  backend.generateTaskRows(params, { test: false, rowOffset: 0, X: train.X, y: train.y });
  backend.generateTaskRows(params, { test: true, rowOffset: 0, X: test.X, y: test.y });
  return assemble(spec, train, test);
}

async function load(spec: CustomTaskSpec): Promise<Dataset> {
  const train = await loadData(spec.train);
  const test = spec.test === undefined ? allocate(0, train.d) : await loadData(spec.test);
  checkSameDimension(spec, train, test);
  return assemble(spec, train, test);
}

function loadSync(spec: CustomTaskSpec): Dataset {
  const train = loadDataSync(spec.train);
  const test = spec.test === undefined ? allocate(0, train.d) : loadDataSync(spec.test);
  checkSameDimension(spec, train, test);
  return assemble(spec, train, test);
}

/**
 * Builds the data of a task, off the event loop for generated tasks.
 * @param input a task spec (validated here; see `parseTaskSpec` for ranges and defaults)
 * @param options backend, cancellation signal, progress callback
 * @returns the normalised spec with X (P x d), y, XTest (PTest x d), yTest; a custom task without
 *   test data has PTest = 0
 * @throws MflTypeError / MflRangeError / MflError ERR_MFL_UNKNOWN_OPTION for a bad spec or bad
 *   options (backend "native", "js" or a Backend; signal an AbortSignal; onProgress a function)
 * @throws MflError ERR_MFL_IO / ERR_MFL_FORMAT for unreadable or malformed custom data, or train
 *   and test files of different d
 * @throws MflError ERR_MFL_CANCELLED when `signal` aborts
 * @example const { X, y } = await makeDataset({ task: 'parity', d: 12, k: 4, P: 400, seed: 1 });
 */
export async function makeDataset(
  input: TaskSpecInput | TaskSpec,
  options: DatasetOptions = {},
): Promise<Dataset> {
  const checked = parseOptions(datasetOptionsSchema, options);
  const spec = parseTaskSpec(input);
  return isGenerated(spec) ? generate(spec, checked) : load(spec);
}

/** As `makeDataset`, synchronously on the calling thread (no signal or progress). */
export function makeDatasetSync(
  input: TaskSpecInput | TaskSpec,
  options: Omit<DatasetOptions, 'signal' | 'onProgress'> = {},
): Dataset {
  const checked = parseOptions(syncDatasetOptionsSchema, options);
  const spec = parseTaskSpec(input);
  return isGenerated(spec) ? generateSync(spec, checked) : loadSync(spec);
}
