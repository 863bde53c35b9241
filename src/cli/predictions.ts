/**
 * `--predict FILE`, shared by the method commands: the posterior-mean predictor on the test rows,
 * one value per row, as CSV (header "fbar") or a 1-D float64 .npy, written atomically.
 */
import path from 'node:path';
import { invalidType, outOfRange } from '../errors.js';
import type { TaskSpec } from '../tasks/spec.js';
import { formatNumber } from '../tasks/io/csv.js';
import { ensureDir, ensureWritableDir, writeFileAtomic } from '../tasks/io/files.js';
import { writeNpy } from '../tasks/io/npy.js';

/**
 * Checks before any work starts that FILE ends in .csv or .npy and the task has test rows.
 * @throws MflRangeError / MflTypeError naming --predict
 */
export function checkPredictFile(file: string | undefined, task: TaskSpec): void {
  if (file === undefined) return;
  if (!/\.(csv|npy)$/i.test(file)) {
    throw outOfRange('--predict', 'a file name ending in .csv or .npy', file);
  }
  const noTest = task.task === 'custom' ? task.test === undefined : task.PTest === 0;
  if (noTest) {
    throw invalidType(
      '--predict',
      'test data to predict on (--test for custom data, --P-test >= 1)',
      file,
    );
  }
}

/**
 * `checkPredictFile`, then proves FILE's directory takes a write, so a bad destination is
 * reported before the run rather than after it.
 * @throws as checkPredictFile; MflError ERR_MFL_IO naming the directory
 */
export async function preparePredictFile(file: string | undefined, task: TaskSpec): Promise<void> {
  checkPredictFile(file, task);
  if (file !== undefined) await ensureWritableDir(path.dirname(file));
}

/** Writes fbar on the test rows: one value per row, CSV (header "fbar") or a 1-D .npy. */
export async function writePredictions(file: string, values: Float64Array): Promise<void> {
  await ensureDir(path.dirname(file));
  if (/\.npy$/i.test(file)) {
    await writeNpy(file, values, [values.length]);
    return;
  }
  const lines = Array.from(values, formatNumber);
  await writeFileAtomic(file, [`fbar\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`]);
}
