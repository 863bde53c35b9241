/**
 * `mfl nngp`, registered on a fresh program configured like `createProgram` (in-process): help,
 * the README example as JSON, --method eigen, --predict in both formats, and flag-named errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerNngp } from '../../src/cli/commands/nngp.js';
import { reportError } from '../../src/cli/errors.js';
import type { CliIo } from '../../src/cli/io.js';
import { nngp } from '../../src/methods/nngp/run.js';
import type { KrrResult } from '../../src/methods/nngp/run.js';
import { readNpy } from '../../src/tasks/io/index.js';
import { tempDir } from '../tasks/tmp.js';

const dir = tempDir('mfl-cli-nngp-');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function mfl(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
  };
  const program = new Command('mfl')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} });
  registerNngp(program, io);
  let code = 0;
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (err) {
    code =
      err instanceof CommanderError && err.code === 'commander.helpDisplayed'
        ? 0
        : reportError(err, io);
  }
  return { code, stdout, stderr };
}

const example = [
  'nngp',
  '--task',
  'parity',
  '--d',
  '12',
  '--k',
  '4',
  '--P',
  '400',
  '--kappa',
  '0.01',
];

describe('mfl nngp', () => {
  test('--help lists the task, network and nngp flags with an example', async () => {
    const r = await mfl(['nngp', '--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--task',
      '--N',
      '--activation',
      '--kappa',
      '--loss',
      '--method',
      '--variance',
      '--predict',
      '--memory-limit',
      '--json',
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
    assert.match(r.stdout, /mfl nngp --task parity --d 12 --k 4 --P 400 --kappa 0\.01 --json/);
  });

  test('the README example with --json', async () => {
    const r = await mfl([...example, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(json.method, 'krr');
    assert.equal(json.P, 400);
    assert.equal(typeof json.testMse, 'number');
    assert.equal(typeof json.mS, 'number');
    assert.deepEqual((json.spec as { network: { N: unknown } }).network.N, null);
  });

  test('--method eigen prints the learning-curve point and its approximation', async () => {
    const r = await mfl([...example, '--method', 'eigen']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^testMse: +\d/m);
    assert.match(r.stdout, /learnability: +L_4 = /);
    assert.match(r.stdout, /approximation: +eigenlearning/);
  });

  test('--predict writes one value per test row (.csv and .npy) equal to the library', async () => {
    const small = [
      'nngp',
      '--task',
      'parity',
      '--d',
      '6',
      '--k',
      '2',
      '--P',
      '50',
      '--P-test',
      '30',
      '--kappa',
      '0.05',
    ];
    const reference = (await nngp({
      task: { task: 'parity', d: 6, k: 2, P: 50, PTest: 30 },
      kappa: 0.05,
    })) as KrrResult;
    const csv = path.join(dir, 'f.csv');
    const npy = path.join(dir, 'sub', 'f.npy');
    assert.equal((await mfl([...small, '--predict', csv])).code, 0);
    assert.equal((await mfl([...small, '--predict', npy])).code, 0);
    const [header, ...lines] = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    assert.equal(header, 'fbar');
    assert.deepEqual(lines.map(Number), Array.from(reference.predictions()));
    assert.deepEqual(Array.from((await readNpy(npy)).data), Array.from(reference.predictions()));
  });

  test('errors name flags: tanh, missing kappa, --predict with eigen, memory limit', async () => {
    const cases: [string[], RegExp][] = [
      [
        [...example, '--activation', 'tanh'],
        /^mfl: --activation: must be one of "relu", "erf", "linear" \(activations with a closed-form NNGP kernel\), got "tanh"\n$/,
      ],
      [example.slice(0, -2), /^mfl: --kappa: expected a finite number > 0, got undefined\n$/],
      [
        [...example, '--method', 'eigen', '--predict', 'x.csv'],
        /^mfl: --method: must be "krr" with --predict/,
      ],
      [
        [...example, '--memory-limit', '1000000'],
        /^mfl: --P: must be at most 353 for kernel ridge regression/,
      ],
      [
        [...example, '--memory-limit', '1e6x'],
        /^mfl: --memory-limit: expected an integer, got "1e6x"/,
      ],
      [[...example, '--gamma', '0.75'], /^mfl: --N: expected an integer >= 1 when gamma != 0\.5/],
    ];
    for (const [args, message] of cases) {
      const r = await mfl(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
