/**
 * Runs the real `mfl` binary (bin/mfl.js) in a child process, as a user would.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/binding.js';

export interface MflRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/mfl.js ...args` with extra environment variables (e.g. MFL_BACKEND), killed after
 * `timeout` ms (default five minutes): a bound that catches a hang, far from how long any call
 * takes even on a loaded machine, so that no test depends on the machine's speed.
 */
export function runMfl(
  args: readonly string[],
  env: Record<string, string> = {},
  timeout = 300_000,
): MflRun {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'mfl.js'), ...args], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, MFL_DEBUG: '', ...env },
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
