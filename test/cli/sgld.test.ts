/**
 * `mfl sgld` end to end, spawned as a user runs it, once per available backend (MFL_BACKEND in
 * the child's environment): the README example, --json, --predict, custom data, checkpoint and
 * resume across a SIGKILL, divergence, and flag validation.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../src/binding.js';
import { readCheckpoint } from '../../src/methods/sgld/checkpoint.js';
import { makeDataset } from '../../src/tasks/dataset.js';
import { readNpy, writeData } from '../../src/tasks/io/index.js';
import { backends, skipUnlessNative } from '../helpers/backends.js';
import { tempDir } from '../tasks/tmp.js';
import { runMfl } from './run.js';
import type { MflRun } from './run.js';

const dir = tempDir('mfl-cli-sgld-');
const bin = path.join(packageRoot, 'bin', 'mfl.js');

/** parity(6, 2) with P = 60, N = 16: a second or two on js. */
const small = [
  'sgld',
  ...['--task', 'parity', '--d', '6', '--k', '2', '--P', '60', '--P-test', '40'],
  ...['--N', '16', '--kappa', '0.05', '--seed', '3'],
];

interface Json {
  [key: string]: unknown;
}

/** `mfl` with a longer timeout than runMfl's (the example takes tens of seconds). */
function runLong(args: readonly string[], env: Record<string, string>, timeout = 600_000): MflRun {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, MFL_DEBUG: '', ...env },
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: MflRun): Json {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

/** The result without what differs between equal runs (timing, resume point). */
function numbers(result: Json): Json {
  const rest: Record<string, unknown> = { ...result };
  for (const key of ['seconds', 'stepsPerSecond', 'resumedFromStep']) delete rest[key];
  return rest;
}

describe('mfl sgld (backend independent)', () => {
  test('--help lists the task, network, sampler and run flags', () => {
    const r = runMfl(['sgld', '--help']);
    assert.equal(r.status, 0);
    for (const flag of [
      '--task',
      '--train',
      '--seed',
      '--data-seed',
      '--N',
      '--gamma',
      '--activation',
      '--bias',
      '--sigma-w',
      '--sigma-a',
      '--kappa',
      '--eta',
      '--steps',
      '--burn-in',
      '--thin',
      '--batch-size',
      '--chains',
      '--mala',
      '--loss',
      '--weight-decay-w',
      '--weight-decay-a',
      '--observe-every',
      '--checkpoint',
      '--checkpoint-every',
      '--resume',
      '--predict',
      '--threads',
      '--integrator',
      '--friction',
      '--json',
    ]) {
      assert.ok(r.stdout.includes(`  ${flag} `), flag);
    }
  });

  const bad: [string, string[], RegExp][] = [
    [
      'missing --kappa',
      [...small.filter((a) => a !== '--kappa' && a !== '0.05'), '--steps', '10'],
      /^mfl: --kappa: expected/,
    ],
    [
      '--kappa 0',
      [...small, '--steps', '10', '--kappa', '0'],
      /^mfl: --kappa: must be a finite number > 0, got 0\n$/,
    ],
    [
      '--kappa text',
      [...small, '--steps', '10', '--kappa', '0.1x'],
      /^mfl: --kappa: expected a number, got "0\.1x"\n$/,
    ],
    [
      '--burn-in',
      [...small, '--steps', '10', '--burn-in', '10'],
      /^mfl: --burn-in: must be an integer in \[0, steps - 1\]/,
    ],
    [
      '--batch-size',
      [...small, '--steps', '10', '--batch-size', '61'],
      /^mfl: --batch-size: must be null \(full batch\) or an integer in \[1, P\] = \[1, 60\]/,
    ],
    [
      '--precision',
      [...small, '--steps', '10', '--precision', 'float16'],
      /^mfl: --precision: must be one of "float64", "float32", got "float16"/,
    ],
    [
      '--friction with euler',
      [...small, '--steps', '10', '--friction', '1'],
      /^mfl: --friction: must be null \(omitted\) unless integrator is "baoab"/,
    ],
    [
      '--friction 0',
      [...small, '--steps', '10', '--integrator', 'baoab', '--friction', '0'],
      /^mfl: --friction: must be a finite number > 0, got 0/,
    ],
    [
      '--mala with baoab',
      [...small, '--steps', '10', '--integrator', 'baoab', '--mala'],
      /^mfl: --mala: must be false when integrator is "baoab"/,
    ],
    [
      'sigma and weight decay',
      [...small, '--steps', '10', '--sigma-w', '2', '--weight-decay-w', '0.1'],
      /^mfl: --weight-decay-w: must be omitted when --sigma-w is given/,
    ],
    [
      '--data-seed',
      [...small, '--steps', '10', '--data-seed', '-1'],
      /^mfl: --data-seed: must be an integer/,
    ],
    [
      '--resume alone',
      [...small, '--steps', '10', '--resume'],
      /^mfl: --checkpoint: expected a checkpoint file when --resume is given/,
    ],
    [
      '--predict extension',
      [...small, '--steps', '10', '--predict', 'out.txt'],
      /^mfl: --predict: must be a file name ending in \.csv or \.npy/,
    ],
    ['--loss', [...small, '--steps', '10', '--loss', 'avg'], /^mfl: .*--loss/],
    [
      '--threads 0',
      [...small, '--steps', '10', '--threads', '0'],
      /^mfl: --threads: must be an integer in \[1, 256\], got 0\n$/,
    ],
    [
      '--threads 1.5',
      [...small, '--steps', '10', '--threads', '1.5'],
      /^mfl: --threads: must be an integer in \[1, 256\], got 1\.5\n$/,
    ],
    [
      '--threads text',
      [...small, '--steps', '10', '--threads', 'x'],
      /^mfl: --threads: expected an integer, got "x"\n$/,
    ],
    [
      '--train with --data-seed',
      ['sgld', '--train', 'x.csv', '--data-seed', '1', '--N', '4', '--kappa', '1', '--steps', '1'],
      /^mfl: .*--train.*cannot be used with.*--data-seed/,
    ],
  ];
  for (const [name, args, message] of bad) {
    test(`bad input exits 2 naming the flag: ${name}`, () => {
      const r = runMfl(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
});

for (const backend of backends) {
  const env = { MFL_BACKEND: backend.name };
  const name = backend.name;

  describe(`mfl sgld on ${name}`, () => {
    test('--integrator baoab: the default friction in the spec, BAOAB in the table', () => {
      const result = json(
        runMfl([...small, '--steps', '300', '--integrator', 'baoab', '--json'], env),
      );
      const sampler = (result.spec as { sampler: Record<string, unknown> }).sampler;
      assert.equal(sampler.integrator, 'baoab');
      assert.equal(sampler.friction, 2 * Math.sqrt(0.05));
      const given = runMfl(
        [...small, '--steps', '300', '--integrator', 'baoab', '--friction', '3'],
        env,
      );
      assert.equal(given.status, 0, given.stderr);
      assert.match(given.stdout, /BAOAB \(friction 3\.0000\)/);
    });

    test('--json prints one result object with the THEORY.md names; no progress off a TTY', () => {
      const r = runMfl([...small, '--steps', '400', '--json'], env);
      const result = json(r);
      assert.equal(r.stderr, '');
      for (const key of [
        'testMse',
        'sampleTestMse',
        'trainMse',
        'sampleTrainMse',
        'mS',
        'q',
        'anisotropy',
        'marginals',
        'specialisation',
        'series',
        'mala',
        'diagnostics',
        'spec',
        'eta',
        'etaRule',
        'loss',
        'backend',
        'version',
        'seconds',
        'stepsPerSecond',
      ]) {
        assert.ok(key in result, key);
      }
      assert.equal(result.backend, name);
      const spec = result.spec as { task: { seed: number }; sampler: { seed: number } };
      assert.equal(spec.task.seed, 3);
      assert.equal(spec.sampler.seed, 3);
      // Two chains by default: one thread each when the cores allow (mfl runs BLAS on 1 thread
      // unless OPENBLAS_NUM_THREADS says otherwise).
      const blas = Number(process.env.OPENBLAS_NUM_THREADS ?? 1) || 1;
      const cores = Math.floor(os.availableParallelism() / blas);
      assert.equal(result.threads, name === 'native' ? Math.max(1, Math.min(2, cores)) : 1);
    });

    test('--threads changes no number, and the result reports it', () => {
      const run = (threads: string) => {
        const args = [...small, '--steps', '300', '--chains', '3', '--threads', threads, '--json'];
        const r = numbers(json(runMfl(args, env)));
        const threadsUsed = r.threads;
        delete r.threads;
        return { threadsUsed, r };
      };
      const one = run('1');
      const three = run('3');
      assert.deepEqual(three.r, one.r);
      assert.equal(one.threadsUsed, 1);
      assert.equal(three.threadsUsed, name === 'native' ? 3 : 1);
    });

    test('human output: a short table', () => {
      const r = runMfl([...small, '--steps', '200'], env);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^task: +parity\(d = 6, k = 2\)/);
      assert.match(r.stdout, /\ntestMse: +\d/);
      assert.match(r.stdout, /\nmS: +-?\d/);
      assert.match(r.stdout, new RegExp(`backend ${name}, \\d+ threads?\\n$`));
    });

    test('--data-seed changes the data, not the sampler seed', () => {
      const r = json(runMfl([...small, '--steps', '50', '--data-seed', '8', '--json'], env));
      const spec = r.spec as { task: { seed: number }; sampler: { seed: number } };
      assert.equal(spec.task.seed, 8);
      assert.equal(spec.sampler.seed, 3);
    });

    test('--predict writes one value per test row as CSV and .npy', async () => {
      const csv = path.join(dir, `${name}-fbar.csv`);
      const npy = path.join(dir, `${name}-out`, 'fbar.npy');
      const args = [...small, '--steps', '200', '--json'];
      const a = json(runMfl([...args, '--predict', csv], env));
      const b = json(runMfl([...args, '--predict', npy], env));
      assert.deepEqual(numbers(a), numbers(b));
      const lines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
      assert.equal(lines[0], 'fbar');
      const fromCsv = lines.slice(1).map(Number);
      const fromNpy = await readNpy(npy);
      assert.deepEqual(fromNpy.shape, [40]);
      assert.deepEqual(Array.from(fromNpy.data), fromCsv);
      // The predictor's test MSE is the reported testMse.
      const data = await makeDataset({ task: 'parity', d: 6, k: 2, P: 60, PTest: 40, seed: 3 });
      const mse = fromCsv.reduce((s, f, mu) => s + (f - data.yTest[mu]!) ** 2, 0) / 40;
      assert.ok(Math.abs(mse - (a.testMse as number)) < 1e-12);
    });

    test('--train/--test custom data: mS and anisotropy are null', async () => {
      const data = await makeDataset({ task: 'parity', d: 5, k: 2, P: 40, PTest: 30, seed: 2 });
      const files = path.join(dir, `${name}-custom`);
      await writeData(files, 'train', { X: data.X, y: data.y, P: 40, d: 5 }, 'npy');
      await writeData(files, 'test', { X: data.XTest, y: data.yTest, P: 30, d: 5 }, 'csv');
      const predict = path.join(files, 'fbar.csv');
      const r = json(
        runMfl(
          [
            'sgld',
            ...['--train', path.join(files, 'train'), '--test', path.join(files, 'test.csv')],
            ...['--N', '8', '--kappa', '0.05', '--steps', '100', '--seed', '4'],
            ...['--predict', predict, '--json'],
          ],
          env,
        ),
      );
      assert.equal(r.mS, null);
      assert.equal(r.anisotropy, null);
      assert.equal(typeof r.testMse, 'number');
      assert.equal(fs.readFileSync(predict, 'utf8').trimEnd().split('\n').length, 31);
    });

    test('divergence: exit 1, one line naming the step, a smaller --eta; checkpoint intact', async () => {
      const ckpt = path.join(dir, `${name}-diverged.ckpt`);
      const r = runMfl(
        [
          ...small,
          '--steps',
          '1000',
          '--eta',
          '50',
          '--checkpoint',
          ckpt,
          '--checkpoint-every',
          '1',
        ],
        env,
      );
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const match =
        /^mfl: SGLD diverged at step (\d+) in chain \d+: .* try a smaller step size, e\.g\. --eta 12\.5/.exec(
          r.stderr,
        );
      assert.ok(match, r.stderr);
      const { header } = await readCheckpoint(ckpt);
      assert.equal(header.step, Number(match[1]));
    });

    test('checkpoint, SIGKILL mid-run, --resume: the same numbers as an uninterrupted run', async () => {
      // Long enough that the process is still running when the first checkpoint appears.
      const steps = name === 'native' ? 60_000 : 3000;
      const args = [
        ...small,
        ...['--steps', String(steps), '--P-test', '200', '--observe-every', '100', '--json'],
        ...['--checkpoint-every', String(steps / 20)],
      ];
      const reference = json(runLong(args, env));
      const ckpt = path.join(dir, `${name}-killed.ckpt`);
      const withCheckpoint = [...args, '--checkpoint', ckpt];
      // Killed mid-run: stopped (SIGSTOP) once a checkpoint exists, and killed only if that
      // checkpoint is at most 18/20 of the way (one is written every 1/20), so the run cannot
      // have finished however the machine scheduled this test; else the run is tried again.
      let exitedAs: NodeJS.Signals | null = null;
      for (let attempt = 0; attempt < 5 && exitedAs !== 'SIGKILL'; attempt++) {
        fs.rmSync(ckpt, { force: true });
        const child = spawn(process.execPath, [bin, ...withCheckpoint], {
          cwd: packageRoot,
          env: { ...process.env, ...env },
          stdio: 'ignore',
        });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on('exit', (_code, signal) => resolve(signal)),
        );
        while (!fs.existsSync(ckpt)) await new Promise((resolve) => setTimeout(resolve, 5));
        child.kill('SIGSTOP');
        const early = (await readCheckpoint(ckpt)).header.step <= (steps * 18) / 20;
        child.kill(early ? 'SIGKILL' : 'SIGCONT');
        exitedAs = await exited;
      }
      assert.equal(exitedAs, 'SIGKILL', 'the run was never caught before its end');
      const saved = (await readCheckpoint(ckpt)).header.step;
      assert.ok(saved > 0 && saved < steps, `checkpoint at step ${saved} of ${steps}`);
      const resumed = json(runLong([...withCheckpoint, '--resume'], env));
      assert.equal(resumed.resumedFromStep, saved);
      assert.deepEqual(numbers(resumed), numbers(reference));
      // A different spec cannot resume it; the message names the flag.
      const other = runMfl(
        [...withCheckpoint.map((a) => (a === '0.05' ? '0.06' : a)), '--resume'],
        env,
      );
      assert.equal(other.status, 2);
      assert.match(other.stderr, /^mfl: --kappa: must be 0\.05 as in the checkpoint/);
    });

    if (name === 'js') {
      test('a scaled-down example learns on js: testMse decreases with more steps', () => {
        const args = [
          'sgld',
          ...['--task', 'parity', '--d', '8', '--k', '2', '--P', '100', '--P-test', '500'],
          ...['--N', '32', '--kappa', '0.01', '--seed', '1', '--json'],
        ];
        const short = json(runMfl([...args, '--steps', '100'], env));
        const long = json(runMfl([...args, '--steps', '1500'], env));
        assert.ok((long.testMse as number) < (short.testMse as number));
        assert.ok((long.mS as number) > (short.mS as number));
        assert.ok((long.testMse as number) < 0.5, `testMse ${long.testMse}`);
      });
    }
  });
}

describe('the README example', () => {
  test(
    'mfl sgld --task parity --d 12 --k 4 --P 400 --N 128 --kappa 0.01 --steps 20000 --seed 1 learns the parity',
    { skip: skipUnlessNative() },
    () => {
      const r = runLong(
        [
          'sgld',
          ...['--task', 'parity', '--d', '12', '--k', '4', '--P', '400', '--N', '128'],
          ...['--kappa', '0.01', '--steps', '20000', '--seed', '1', '--json'],
        ],
        { MFL_BACKEND: 'native' },
      );
      const result = json(r);
      assert.equal(result.backend, 'native');
      assert.ok((result.testMse as number) < 0.05, `testMse ${result.testMse}`);
      assert.ok((result.mS as number) > 0.8, `mS ${result.mS}`);
    },
  );
});
