/**
 * The reference implementations in bench/reference/ (NumPy SGLD, SciPy KRR), run as child
 * processes with one BLAS / OpenMP thread so they compare one thread against one thread. When
 * python3 or one of its modules is missing the caller gets a reason to print, never an error.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../src/binding.js';

/** The folder of the reference scripts (the sources: they are not compiled). */
export const REFERENCE_DIR = path.join(packageRoot, 'bench', 'reference');

/** The interpreter the benchmarks run (MFL_BENCH_PYTHON overrides python3). */
export const PYTHON = process.env.MFL_BENCH_PYTHON ?? 'python3';

export type ReferenceResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The children's environment: every thread pool a NumPy/SciPy build may use pinned to one. */
export function referenceEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
}

const probes = new Map<string, string | null>();

/**
 * null when `python` imports every module in `modules`, else why not (cached per interpreter and
 * module list).
 */
export function referenceUnavailable(modules: string[], python = PYTHON): string | null {
  const key = `${python}\0${modules.join(',')}`;
  const cached = probes.get(key);
  if (cached !== undefined) return cached;
  const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], {
    encoding: 'utf8',
    env: referenceEnv(),
    timeout: 60_000,
  });
  let reason: string | null = null;
  if (r.error) reason = `${python} not found (${r.error.message})`;
  else if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    reason = `${python} cannot import ${modules.join(' and ')} (${last})`;
  }
  probes.set(key, reason);
  return reason;
}

/**
 * Runs bench/reference/`script` with `args` and parses the one JSON line it prints. A missing
 * interpreter or module is reported as `{ ok: false, reason }`; a script that fails once it has
 * started is an error (the benchmark itself is broken).
 */
export function runReference<T>(
  script: string,
  args: string[],
  modules: string[],
  python = PYTHON,
): ReferenceResult<T> {
  const unavailable = referenceUnavailable(modules, python);
  if (unavailable !== null) return { ok: false, reason: unavailable };
  const r = spawnSync(python, [path.join(REFERENCE_DIR, script), ...args], {
    encoding: 'utf8',
    env: referenceEnv(),
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${script} ${args.join(' ')} failed (status ${r.status}):\n${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ok: true, value: JSON.parse(line) as T };
}
