/**
 * The clean target on the test inputs, for the order parameter mS (THEORY.md section 4):
 * chi_S(x) = x_1 ... x_k for parity, He_k(x_1) / sqrt(k!) for single-index, none for custom data.
 */
import { hermite } from '../backend/js/tasks.js';
import type { Dataset } from './dataset.js';

/** Leading input coordinates in the target set S: k (parity), 1 (single-index), 0 (custom). */
export function relevantCoordinates(dataset: Pick<Dataset, 'spec'>): number {
  const { spec } = dataset;
  if (spec.task === 'parity') return spec.k;
  if (spec.task === 'single-index') return spec.k > 0 ? 1 : 0;
  return 0;
}

/** The noise-free target on XTest, or null for custom data. */
export function cleanTarget(dataset: Dataset): Float64Array | null {
  const { spec, XTest, PTest, d } = dataset;
  if (spec.task === 'custom') return null;
  const out = new Float64Array(PTest);
  if (spec.task === 'parity') {
    for (let mu = 0; mu < PTest; mu++) {
      let product = 1;
      for (let j = 0; j < spec.k; j++) product *= XTest[mu * d + j]!;
      out[mu] = product;
    }
    return out;
  }
  let factorial = 1;
  for (let j = 2; j <= spec.k; j++) factorial *= j;
  const norm = Math.sqrt(factorial);
  for (let mu = 0; mu < PTest; mu++) out[mu] = hermite(spec.k, XTest[mu * d]!) / norm;
  return out;
}
