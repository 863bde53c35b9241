/**
 * `mfl sweep` end to end, as users run it (bin/mfl.js in child processes): resume skips finished
 * points; kill -9 mid-sweep (and mid SGLD point) then re-running gives exactly the records of an
 * uninterrupted run; shards merged equal the unsharded run; the emitted Slurm script, run task by
 * task, does too; failed points are recorded, retried, and make the exit status 1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../../src/binding.js';
import { readResults } from '../../src/experiments/index.js';
import type { PointRecord } from '../../src/experiments/index.js';
import { runMfl } from '../cli/run.js';
import { skipUnlessNative } from '../helpers/backends.js';
import { numbers, problem, small } from '../helpers/sweeps.js';
import { readCheckpoint } from '../../src/methods/sgld/checkpoint.js';

const MFL = path.join(packageRoot, 'bin', 'mfl.js');
let tmp = '';

function write(name: string, spec: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-sweep-test-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('mfl sweep', () => {
  let reference = '';
  before(() => {
    reference = path.join(tmp, 'reference');
    const r = runMfl([
      'sweep',
      write('small.json', small),
      '--out',
      reference,
      '--blas-threads',
      '1',
    ]);
    assert.equal(r.status, 0, r.stderr);
  });

  test('records every point once, with its spec, backend, version and timings', () => {
    const records = readResults(reference);
    assert.equal(records.length, 20);
    assert.equal(new Set(records.map((r) => r.id)).size, 20);
    for (const r of records) {
      assert.equal(r.schema, 'mfl.point/1');
      assert.equal(r.blasThreads, 1);
      assert.ok(r.timings.seconds >= 0 && r.timings.startedAt.length > 0);
      assert.ok(typeof r.version === 'string' && r.version.length > 0);
      assert.ok(Number.isFinite(r.observables.testMse), `${r.method} testMse`);
      assert.ok(Number.isFinite(r.observables.mS), `${r.method} mS`);
      assert.equal(r.result.seconds, undefined, 'timings are kept apart from the numbers');
    }
    const sgld = records.find((r) => r.method === 'sgld')!;
    assert.ok(sgld.marginals?.relevantW && sgld.marginals.irrelevantW);
    const manifest = JSON.parse(fs.readFileSync(path.join(reference, 'sweep.json'), 'utf8'));
    assert.equal(manifest.points, 20);
    assert.equal(manifest.spec.name, 'small');
  });

  test('running the same command again skips every point and changes nothing', () => {
    const before = fs.readFileSync(path.join(reference, 'results.jsonl'), 'utf8');
    const r = runMfl(['sweep', path.join(tmp, 'small.json'), '--out', reference, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.skipped, 20);
    assert.equal(summary.ran, 0);
    assert.equal(fs.readFileSync(path.join(reference, 'results.jsonl'), 'utf8'), before);
  });

  test('--shard i/n for each i, then merge, equals the unsharded run', () => {
    const dirs = [0, 1, 2].map((i) => {
      const dir = path.join(tmp, `shard-${i}`);
      const r = runMfl([
        'sweep',
        path.join(tmp, 'small.json'),
        '--out',
        dir,
        '--shard',
        `${i}/3`,
        '--jobs',
        '1',
        '--blas-threads',
        '1',
      ]);
      assert.equal(r.status, 0, r.stderr);
      return dir;
    });
    assert.deepEqual(dirs.map((d) => readResults(d).length).sort(), [6, 7, 7]);
    const merged = path.join(tmp, 'merged');
    const r = runMfl(['merge', ...dirs, '--out', merged]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /20 of 20 points/);
    assert.deepEqual(numbers(merged), numbers(reference));
  });

  test('--threads 2 (SGLD chains, MF particle blocks on two threads per point): the same records', () => {
    const dir = path.join(tmp, 'threads-2');
    const args = ['sweep', path.join(tmp, 'small.json'), '--out', dir, '--jobs', '1'];
    const r = runMfl([...args, '--blas-threads', '1', '--threads', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(numbers(dir), numbers(reference));
    const bad = runMfl([...args, '--threads', '0']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /threads: must be an integer in \[1, 256\], got 0/);
  });

  test('merge refuses folders of different sweeps and reports missing points', () => {
    const other = path.join(tmp, 'other');
    const spec = write('other.json', {
      ...small,
      base: { ...problem, kappa: 0.06 },
      methods: { krr: {} },
    });
    assert.equal(runMfl(['sweep', spec, '--out', other]).status, 0);
    const r = runMfl(['merge', reference, other, '--out', path.join(tmp, 'mixed')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /only shards of one sweep merge/);
    const partial = runMfl([
      'merge',
      path.join(tmp, 'shard-0'),
      '--out',
      path.join(tmp, 'partial'),
    ]);
    assert.equal(partial.status, 0, partial.stderr);
    assert.match(partial.stdout, /of 20 points; 1[34] still missing/);
  });

  test('a folder holding another sweep is refused before anything runs', () => {
    const spec = write('changed.json', { ...small, base: { ...problem, kappa: 0.07 } });
    const r = runMfl(['sweep', spec, '--out', reference]);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /^mfl: .*reference holds results of another sweep .* choose another --out/,
    );
  });

  test('an unwritable --out fails before any point runs', () => {
    const r = runMfl(['sweep', path.join(tmp, 'small.json'), '--out', '/proc/self/sweep']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^mfl: cannot create directory \/proc\/self\/sweep: /);
  });

  test('the Slurm script, run task by task, then merge, equals the unsharded run', () => {
    const dir = path.join(tmp, 'slurm');
    const r = runMfl([
      'sweep',
      path.join(tmp, 'small.json'),
      '--out',
      dir,
      '--emit',
      'slurm',
      '--shards',
      '4',
      '--cpus-per-task',
      '1',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const script = fs.readFileSync(path.join(dir, 'sweep.slurm'), 'utf8');
    assert.match(script, /^#SBATCH --array=0-3$/m);
    assert.match(script, /^#SBATCH --cpus-per-task=1$/m);
    for (let task = 0; task < 4; task++) {
      const run = runBash(path.join(dir, 'sweep.slurm'), {
        SLURM_ARRAY_TASK_ID: String(task),
        SLURM_CPUS_PER_TASK: '1',
      });
      assert.equal(run.status, 0, run.stderr);
    }
    const m = runMfl([
      'merge',
      ...[0, 1, 2, 3].map((i) => path.join(dir, 'shards', String(i))),
      '--out',
      dir,
    ]);
    assert.equal(m.status, 0, m.stderr);
    assert.deepEqual(numbers(dir), numbers(reference));
  });

  test('the Slurm script passes --threads and runs CPUs / threads points at once', () => {
    const dir = path.join(tmp, 'slurm-threads');
    const emit = (...extra: string[]) =>
      runMfl([
        'sweep',
        path.join(tmp, 'small.json'),
        '--out',
        dir,
        '--emit',
        'slurm',
        '--shards',
        '2',
        '--cpus-per-task',
        '4',
        ...extra,
      ]);
    assert.equal(emit('--threads', '2').status, 0);
    const script = fs.readFileSync(path.join(dir, 'sweep.slurm'), 'utf8');
    assert.match(script, /^ {2}--blas-threads 1 --threads 2 \\$/m);
    // The job count as the script computes it, for 4, 3 and 1 CPUs.
    const jobsLine = script.split('\n').find((l) => l.startsWith('JOBS='))!;
    for (const [cpus, jobs] of [
      ['4', '2'],
      ['3', '1'],
      ['1', '1'],
    ]) {
      const r = spawnSync('bash', ['-c', `CPUS=${cpus}; ${jobsLine}; echo $JOBS`], {
        encoding: 'utf8',
      });
      assert.equal(r.stdout.trim(), jobs, `${cpus} CPUs`);
    }
    const tooMany = emit('--threads', '5');
    assert.equal(tooMany.status, 2);
    assert.match(
      tooMany.stderr,
      /--threads: must be an integer in \[1, 4\] \(--cpus-per-task\), got 5/,
    );
  });

  test('failed points are recorded, the others kept, exit 1; the same command retries them', () => {
    const spec = write('diverging.json', {
      ...small,
      methods: { sgld: { spec: { sampler: { steps: 200, eta: 50 } } }, krr: {} },
      grid: { 'task.P': [20], seed: [1] },
    });
    const dir = path.join(tmp, 'diverging');
    const r = runMfl(['sweep', spec, '--out', dir]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /1 failed/);
    assert.match(r.stderr, /^mfl: 1 of 2 points failed \(see .*failures\.jsonl\)$/m);
    assert.equal(readResults(dir).length, 1);
    const failures = fs.readFileSync(path.join(dir, 'failures.jsonl'), 'utf8').trim().split('\n');
    assert.equal(failures.length, 1);
    assert.equal(JSON.parse(failures[0]!).error.code, 'ERR_MFL_DIVERGED');
    const again = runMfl(['sweep', spec, '--out', dir, '--json']);
    assert.equal(again.status, 1);
    assert.equal(JSON.parse(again.stdout).ran, 0, 'the failing point was retried and failed again');
    assert.equal(JSON.parse(again.stdout).skipped, 1);
  });
});

/** Runs a job script as Slurm would, with mfl as `$MFL` (this checkout's bin/mfl.js). */
function runBash(script: string, env: Record<string, string>) {
  return spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { ...process.env, MFL: `${process.execPath} ${MFL}`, ...env },
    timeout: HANG_MS,
  });
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How long a sweep of this file may take before it is called hung: a bound, not a speed. */
const HANG_MS = 300_000;

/** Whether `pid` is stopped by a signal (or gone): it runs no more code until SIGCONT. */
function isStopped(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] === 'T';
  } catch {
    return true;
  }
}

/**
 * Waits until `check` holds while the processes `pids()` lists are stopped (SIGSTOP), so that
 * what it saw (a point mid-run, say) still holds when the caller acts, however fast or slow the
 * machine; returns the stopped processes, which the caller kills or continues (SIGCONT).
 */
async function stopWhen(
  pids: () => number[],
  check: () => Promise<boolean>,
  what: string,
): Promise<number[]> {
  const end = Date.now() + HANG_MS;
  for (;;) {
    if (await check()) {
      const stopped = pids();
      for (const pid of stopped) process.kill(pid, 'SIGSTOP');
      await waitFor(() => stopped.every(isStopped), 10_000, 'the processes to stop');
      if (await check()) return stopped;
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Sized for the native backend: SGLD points of ~1-2 s each there (checkpointed every 1/20 of the
// run) and instant KRR points; on the TypeScript backend each SGLD point takes 30 s or more.
describe('kill -9 in the middle of a sweep', { skip: skipUnlessNative() }, () => {
  const steps = 200000;
  const killSpec = {
    name: 'kill',
    base: problem,
    methods: { sgld: { spec: { sampler: { steps } } }, krr: {} },
    grid: { 'task.P': [20, 40], seed: [1, 2] },
  };

  /**
   * Whether DIR holds the checkpoint of an SGLD point that cannot have finished: one written at
   * most 18/20 of the way (a point checkpoints every 1/20 and replaces the file each time), so
   * with the sweep stopped its worker is still inside the run.
   */
  async function midRunCheckpoint(dir: string): Promise<boolean> {
    const checkpoints = path.join(dir, 'checkpoints');
    if (!fs.existsSync(checkpoints)) return false;
    for (const file of fs.readdirSync(checkpoints).filter((f) => f.endsWith('.ckpt'))) {
      try {
        const { header } = await readCheckpoint(path.join(checkpoints, file));
        if (header.step <= (steps * 18) / 20) return true;
      } catch {
        // Being replaced or removed right now: look again at the next poll.
      }
    }
    return false;
  }

  test('re-running finishes with exactly the records of an uninterrupted run', async () => {
    const file = write('kill.json', killSpec);
    const whole = path.join(tmp, 'kill-whole');
    const r = runMfl(['sweep', file, '--out', whole, '--blas-threads', '1'], {}, HANG_MS);
    assert.equal(r.status, 0, r.stderr);

    const dir = path.join(tmp, 'kill-interrupted');
    const child = spawn(
      process.execPath,
      [MFL, 'sweep', file, '--out', dir, '--jobs', '1', '--blas-threads', '1'],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill the whole process group (the sweep and its worker) once one point is recorded and the
    // next SGLD point is mid-run, with the group stopped: mid-sweep and mid-point.
    const results = path.join(dir, 'results.jsonl');
    const checkpoints = path.join(dir, 'checkpoints');
    await stopWhen(
      () => [child.pid!, ...workersOf(child.pid!)],
      async () =>
        fs.existsSync(results) &&
        fs.readFileSync(results, 'utf8').split('\n').length >= 2 &&
        (await midRunCheckpoint(dir)),
      'a recorded point and a point mid-run',
    );
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const recordedBefore = readResults(dir).length;
    assert.ok(
      recordedBefore >= 1 && recordedBefore < 8,
      `${recordedBefore} points before the kill`,
    );
    // A crash mid-append leaves a torn line: the next run must cut it off, not choke on it.
    fs.appendFileSync(results, '{"schema":"mfl.point/1","id":"torn');

    const again = runMfl([
      'sweep',
      file,
      '--out',
      dir,
      '--jobs',
      '1',
      '--blas-threads',
      '1',
      '--json',
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).skipped, recordedBefore);
    assert.deepEqual(numbers(dir), numbers(whole));
    const resumed = readResults(dir).filter((rec: PointRecord) => rec.timings.resumedFromStep > 0);
    assert.equal(resumed.length, 1, 'the interrupted SGLD point resumed from its checkpoint');
    assert.deepEqual(fs.readdirSync(checkpoints), [], 'checkpoints of finished points are removed');
  });
  /** The sweep's worker processes (children of `pid`). */
  function workersOf(pid: number): number[] {
    const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(Number);
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts `mfl sweep FILE --out DIR --jobs 1` and resolves once an SGLD point is mid-run, with
   * the sweep and its worker stopped (the caller sends SIGCONT).
   */
  async function sweepUntilCheckpoint(file: string, dir: string, detached: boolean) {
    const child = spawn(process.execPath, [MFL, 'sweep', file, '--out', dir, '--jobs', '1'], {
      detached,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const stopped = await stopWhen(
      () => [child.pid!, ...workersOf(child.pid!)],
      () => midRunCheckpoint(dir),
      'a point mid-run',
    );
    return { child, exited, stderr: () => stderr, stopped };
  }

  test('a worker killed mid-point fails that point only; the next run finishes it', async () => {
    const file = path.join(tmp, 'kill.json');
    const dir = path.join(tmp, 'kill-worker');
    const { child, exited, stderr, stopped } = await sweepUntilCheckpoint(file, dir, false);
    const [worker] = workersOf(child.pid!);
    assert.ok(worker, 'the sweep runs its points in a worker process');
    process.kill(worker, 'SIGKILL');
    for (const pid of stopped) if (pid !== worker) process.kill(pid, 'SIGCONT');
    assert.equal(await exited, 1, stderr());
    assert.match(stderr(), /FAILED: the worker process exited \(SIGKILL\) while running the point/);
    assert.equal(readResults(dir).length, 7, 'the other points ran in a new worker');
    const again = runMfl(['sweep', file, '--out', dir, '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).ran, 1);
    assert.deepEqual(numbers(dir), numbers(path.join(tmp, 'kill-whole')));
  });

  test('SIGTERM to the whole group (a scheduler stopping the job) cancels cleanly: exit 130', async () => {
    const file = path.join(tmp, 'kill.json');
    const dir = path.join(tmp, 'kill-term');
    const { child, exited, stderr } = await sweepUntilCheckpoint(file, dir, true);
    // Delivered when the group continues, as a scheduler's SIGTERM to a running job would be.
    process.kill(-child.pid!, 'SIGTERM');
    process.kill(-child.pid!, 'SIGCONT');
    assert.equal(await exited, 130, stderr());
    assert.match(
      stderr(),
      /^mfl: the sweep was cancelled; finished work is kept, run the same command again/m,
    );
    assert.ok(
      !fs.existsSync(path.join(dir, 'failures.jsonl')),
      'a cancelled point is not a failure',
    );
    const again = runMfl(['sweep', file, '--out', dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(numbers(dir), numbers(path.join(tmp, 'kill-whole')));
  });

  test('workers exit when the sweep process is killed alone', async () => {
    const file = path.join(tmp, 'kill.json');
    const dir = path.join(tmp, 'kill-parent');
    const child = spawn(process.execPath, [MFL, 'sweep', file, '--out', dir, '--jobs', '2'], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let workers: number[] = [];
    await waitFor(
      () => (workers = workersOf(child.pid!)).length === 2,
      HANG_MS,
      'two worker processes',
    );
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    await waitFor(() => !workers.some(alive), 60_000, 'the orphaned workers to exit');
  });
});
