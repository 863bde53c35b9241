/**
 * Sweep specs and record comparisons shared by the sweep tests (test/experiments/sweep.test.ts)
 * and the Slurm tests (test/experiments/slurm.test.ts).
 */
import { numbersOf, readResults } from '../../src/experiments/index.js';

/** A tiny parity problem every method solves in well under a second. */
export const problem = {
  task: { task: 'parity', d: 6, k: 2, PTest: 200 },
  network: { N: 16 },
  kappa: 0.05,
};

/** Every method, 2 sizes x 2 seeds: 20 points, about a second in all. */
export const small = {
  name: 'small',
  base: problem,
  methods: {
    sgld: { spec: { sampler: { steps: 400 } } },
    mf: { spec: { solver: { steps: 100, particles: 64 } } },
    'mf-ard': { spec: { solver: { steps: 100, particles: 64 } } },
    krr: {},
    eigen: { grid: { 'task.P': [10, 30, 100, 300] } },
  },
  grid: { 'task.P': [20, 40], seed: [1, 2] },
};

/** The numbers of DIR's records in point order (timings removed). */
export function numbers(dir: string): string[] {
  return readResults(dir)
    .sort((a, b) => a.index - b.index)
    .map(numbersOf);
}
