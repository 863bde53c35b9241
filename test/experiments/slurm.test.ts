/**
 * `mfl sweep --emit slurm` under a real Slurm scheduler: a single-node cluster on this machine
 * (scripts/slurm-local.sh, from Debian's slurm-wlm and munge) runs the emitted job array; its
 * shards merged equal the unsharded run. One array task cancelled with scancel after its first
 * SGLD checkpoint and resubmitted alone resumes from that checkpoint, with the same numbers.
 *
 * Needs root and the packages; skipped without them unless MFL_REQUIRE_SLURM=1 (CI), where their
 * absence is a failure. The cluster is started if it is not running, and stopped again at the
 * end only if this file started it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../../src/binding.js';
import { readResults } from '../../src/experiments/index.js';
import { runMfl } from '../cli/run.js';
import { numbers, problem, small as smallSweep } from '../helpers/sweeps.js';

const CLUSTER = path.join(packageRoot, 'scripts', 'slurm-local.sh');
const required = process.env.MFL_REQUIRE_SLURM === '1';

/** Why this machine cannot run a local Slurm cluster, or null when it can. */
function missingSlurm(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root';
  const commands = [
    'sbatch',
    'srun',
    'sinfo',
    'squeue',
    'scancel',
    'scontrol',
    'slurmctld',
    'slurmd',
    'munged',
  ];
  const absent = commands.filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).status !== 0,
  );
  return absent.length > 0 ? `${absent.join(', ')} not found` : null;
}

const missing = missingSlurm();
const fix = 'run as root with slurm-wlm and munge installed (apt-get install -y slurm-wlm munge)';

if (missing !== null && required) {
  test('Slurm is available (MFL_REQUIRE_SLURM=1)', () => {
    assert.fail(`${missing}: ${fix}`);
  });
}

/** Every method, 20 points of well under a second each. */
const small = { ...smallSweep, name: 'slurm-small' };

const LONG_STEPS = 800_000;
/** One SGLD point of several seconds, checkpointed every 1/100 of it, and four instant KRR
 *  points. A checkpoint shows up within the first hundredth of the point, so the task is still
 *  far from its end when scancel reaches it. */
const long = {
  name: 'slurm-long',
  base: problem,
  methods: {
    sgld: {
      grid: { 'task.P': [20], seed: [1] },
      spec: { sampler: { steps: LONG_STEPS, checkpointEvery: LONG_STEPS / 100 } },
    },
    krr: {},
  },
  grid: { 'task.P': [20, 40], seed: [1, 2] },
};

let tmp = '';
let startedCluster = false;
const submitted: string[] = [];

function run(command: string, args: readonly string[], timeout = 30_000) {
  const r = spawnSync(command, args, { cwd: tmp || os.tmpdir(), encoding: 'utf8', timeout });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

function write(name: string, spec: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** The records of a folder as comparable strings (timings removed), in point order. */
function mflOk(args: readonly string[]): string {
  const r = runMfl(args, {}, 120_000);
  assert.equal(r.status, 0, `mfl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** `mfl sweep SPEC --emit slurm --shards 4` with requests that fit the local node. */
function emit(spec: string, dir: string): string {
  mflOk([
    'sweep',
    spec,
    '--emit',
    'slurm',
    '--shards',
    '4',
    '--cpus-per-task',
    '1',
    '--mem',
    '512M',
    '--time',
    '00:10:00',
    '--out',
    dir,
  ]);
  return path.join(dir, 'sweep.slurm');
}

/** Submits with sbatch and returns the job id. The jobs run this checkout's mfl, the one the
 *  script names, whatever MFL the caller's environment holds. */
function submit(args: readonly string[]): string {
  const env = { ...process.env };
  delete env.MFL;
  const r = spawnSync('sbatch', ['--parsable', ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  assert.equal(r.status, 0, `sbatch ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  const job = r.stdout.trim().split(';')[0]!;
  assert.match(job, /^\d+$/, `sbatch --parsable printed ${r.stdout}`);
  submitted.push(job);
  return job;
}

/** What to look at when a wait times out: the queue, the jobs, the tasks' logs, the daemons'. */
function diagnostics(dir: string, jobs: readonly string[]): string {
  const logs = path.join(dir, 'logs');
  const taskLogs = fs.existsSync(logs)
    ? fs.readdirSync(logs).map((f) => {
        const text = fs.readFileSync(path.join(logs, f), 'utf8');
        return `--- ${f}\n${text.split('\n').slice(-20).join('\n')}`;
      })
    : [];
  return [
    '--- squeue',
    run('squeue', []).output,
    ...jobs.map((j) => `--- scontrol show job ${j}\n${run('scontrol', ['show', 'job', j]).output}`),
    ...taskLogs,
    run('bash', [CLUSTER, 'logs']).output,
  ].join('\n');
}

/** Polls `check` every `every` ms until it holds; after `ms`, fails with the diagnostics. */
async function waitFor(
  check: () => boolean,
  ms: number,
  what: string,
  dir: string,
  jobs: readonly string[],
  every = 100,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      assert.fail(`timed out after ${ms / 1000} s waiting for ${what}\n${diagnostics(dir, jobs)}`);
    }
    await sleep(every);
  }
}

/** Waits until no task of `job` is pending, running or completing. */
async function waitForJob(job: string, dir: string): Promise<void> {
  await waitFor(
    () => {
      const r = run('squeue', ['-h', '-j', job, '-o', '%i %T']);
      return r.status === 0 && r.stdout.trim() === '';
    },
    120_000,
    `job ${job} to finish`,
    dir,
    [job],
  );
}

/** "STATE EXITCODE" of each array task of a finished job (scontrol keeps finished jobs for
 *  MinJobAge; there is no accounting database for sacct here). */
function taskStates(job: string): Map<number, string> {
  const r = run('scontrol', ['-o', 'show', 'job', job]);
  assert.equal(r.status, 0, r.output);
  const states = new Map<number, string>();
  for (const line of r.stdout.split('\n')) {
    const task = /\bArrayTaskId=(\d+)\s/.exec(line);
    const state = /\bJobState=(\S+)/.exec(line);
    const exit = /\bExitCode=(\S+)/.exec(line);
    if (task && state && exit) states.set(Number(task[1]), `${state[1]} ${exit[1]}`);
  }
  return states;
}

function shardDirs(dir: string): string[] {
  const shards = path.join(dir, 'shards');
  return fs
    .readdirSync(shards)
    .sort((a, b) => Number(a) - Number(b))
    .map((s) => path.join(shards, s));
}

function merge(dir: string, out: string, points: number): void {
  const stdout = mflOk(['merge', ...shardDirs(dir), '--out', out]);
  assert.match(stdout, new RegExp(`${points} of ${points} points`));
}

const skip =
  missing === null ? false : `${missing}: ${fix} (MFL_REQUIRE_SLURM=1 makes this a failure)`;

describe('mfl sweep --emit slurm under Slurm', { skip }, () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mfl-slurm-test-'));
    startedCluster = run('bash', [CLUSTER, 'status']).status !== 0;
    const r = run('bash', [CLUSTER, 'start'], 120_000);
    assert.equal(r.status, 0, `scripts/slurm-local.sh start failed:\n${r.output}`);
  });

  after(() => {
    // A failed test may leave tasks queued or running: they must not outlive it.
    if (submitted.length > 0) run('scancel', submitted);
    if (startedCluster) run('bash', [CLUSTER, 'stop'], 60_000);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test(
    'the job array run by sbatch, then merged, equals the unsharded run',
    { timeout: 180_000 },
    async () => {
      const spec = write('small.json', small);
      const reference = path.join(tmp, 'small-reference');
      mflOk(['sweep', spec, '--out', reference, '--jobs', '1', '--blas-threads', '1']);

      const dir = path.join(tmp, 'small-slurm');
      const job = submit([emit(spec, dir)]);
      await waitForJob(job, dir);
      assert.deepEqual(
        taskStates(job),
        new Map([0, 1, 2, 3].map((t) => [t, 'COMPLETED 0:0'])),
        diagnostics(dir, [job]),
      );
      assert.deepEqual(
        shardDirs(dir).map((d) => readResults(d).length),
        [5, 5, 5, 5],
      );
      const merged = path.join(tmp, 'small-merged');
      merge(dir, merged, 20);
      assert.deepEqual(numbers(merged), numbers(reference));
    },
  );

  test(
    'a task cancelled by scancel after a checkpoint, resubmitted alone, resumes from it',
    { timeout: 180_000 },
    async () => {
      const spec = write('long.json', long);
      const reference = path.join(tmp, 'long-reference');
      mflOk(['sweep', spec, '--out', reference, '--jobs', '1', '--blas-threads', '1']);

      const dir = path.join(tmp, 'long-slurm');
      const script = emit(spec, dir);
      const job = submit([script]);
      const checkpointOf = (shard: string): string | undefined => {
        const ckpts = path.join(shard, 'checkpoints');
        if (!fs.existsSync(ckpts)) return undefined;
        return fs.readdirSync(ckpts).find((f) => f.endsWith('.ckpt'));
      };
      let task = -1;
      await waitFor(
        () => {
          const shards = fs.existsSync(path.join(dir, 'shards')) ? shardDirs(dir) : [];
          const holder = shards.find((s) => checkpointOf(s) !== undefined);
          if (holder !== undefined) task = Number(path.basename(holder));
          return holder !== undefined;
        },
        120_000,
        'the SGLD point to write its first checkpoint',
        dir,
        [job],
        20,
      );
      const shard = path.join(dir, 'shards', String(task));
      const checkpoint = path.join(shard, 'checkpoints', checkpointOf(shard)!);
      const cancel = run('scancel', [`${job}_${task}`]);
      assert.equal(cancel.status, 0, cancel.output);
      await waitForJob(job, dir);

      const states = taskStates(job);
      assert.match(states.get(task) ?? '', /^CANCELLED /, diagnostics(dir, [job]));
      for (const [t, state] of states) {
        if (t !== task) assert.equal(state, 'COMPLETED 0:0', `task ${t}`);
      }
      assert.equal(states.size, 4);
      assert.deepEqual(
        readResults(shard).filter((r) => r.method === 'sgld'),
        [],
        'the SGLD point was still running when scancel stopped its task',
      );
      assert.ok(fs.existsSync(checkpoint), 'the cancelled point keeps its checkpoint');

      const again = submit([`--array=${task}`, script]);
      await waitForJob(again, dir);
      assert.deepEqual(
        taskStates(again),
        new Map([[task, 'COMPLETED 0:0']]),
        diagnostics(dir, [again]),
      );
      const [sgld] = readResults(shard).filter((r) => r.method === 'sgld');
      assert.ok(sgld, 'the resubmitted task recorded the SGLD point');
      const resumed = sgld.timings.resumedFromStep;
      assert.ok(resumed > 0 && resumed < LONG_STEPS, `resumed from step ${resumed}`);
      assert.ok(!fs.existsSync(checkpoint), 'the finished point no longer needs its checkpoint');
      // Both runs of the task are in its log: the cancellation, then the resumed run.
      const log = fs.readFileSync(path.join(dir, 'logs', `shard-${task}.out`), 'utf8');
      assert.match(log, /CANCELLED[\s\S]*the sweep was cancelled[\s\S]*points recorded/);

      const merged = path.join(tmp, 'long-merged');
      merge(dir, merged, 5);
      assert.deepEqual(numbers(merged), numbers(reference));
    },
  );
});
