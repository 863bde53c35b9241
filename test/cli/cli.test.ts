/**
 * The `mfl` command end to end, spawned as a user runs it, once per available backend
 * (MFL_BACKEND in the child's environment).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeDataset } from '../../src/tasks/dataset.js';
import { readCsv, readNpy } from '../../src/tasks/io/index.js';
import { packageRoot } from '../../src/binding.js';
import { backends } from '../helpers/backends.js';
import { tempDir } from '../tasks/tmp.js';
import { runMfl } from './run.js';

const dir = tempDir('mfl-cli-');
const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string })
  .version;
const dataArgs = [
  '--task',
  'parity',
  '--d',
  '12',
  '--k',
  '4',
  '--P',
  '40',
  '--P-test',
  '30',
  '--seed',
  '1',
];
const spec = { task: 'parity', d: 12, k: 4, P: 40, PTest: 30, seed: 1 } as const;

describe('mfl (backend independent)', () => {
  test('--help lists the commands and exits 0', () => {
    const r = runMfl(['--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['demo', 'doctor', 'data', 'sweep', 'merge', 'plot', 'report', 'reproduce'])
      assert.match(r.stdout, new RegExp(`\\n  ${name} `));
    assert.equal(r.stderr, '');
  });

  test('data --help lists the shared task flags', () => {
    const r = runMfl(['data', '--help']);
    assert.equal(r.status, 0);
    for (const flag of [
      '--task',
      '--d',
      '--k',
      '--P',
      '--P-test',
      '--label-noise',
      '--seed',
      '--train',
      '--test',
      '--json',
      '--out',
      '--format',
    ]) {
      assert.ok(r.stdout.includes(`  ${flag} `), flag);
    }
  });

  test('--version prints the package version', () => {
    const r = runMfl(['--version']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), version);
  });

  test('a reader that closes the pipe early (mfl ... | head) ends the run quietly, exit 0', async () => {
    // The read end closes before the child has started, so its first write meets EPIPE.
    const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'mfl.js'), '--help'], {
      cwd: packageRoot,
      env: { ...process.env, MFL_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  test('no command: help on stderr, exit 2', () => {
    const r = runMfl([]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage: mfl/);
  });

  test('data converts custom csv data to npy', async () => {
    const source = path.join(dir, 'source');
    assert.equal(runMfl(['data', ...dataArgs, '--out', source]).status, 0);
    const out = path.join(dir, 'converted');
    const r = runMfl([
      'data',
      '--train',
      path.join(source, 'train.csv'),
      '--test',
      path.join(source, 'test'),
      '--format',
      'npy',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { backend: string | null; files: string[] };
    assert.equal(summary.backend, null);
    assert.equal(summary.files.length, 4);
    assert.deepEqual(
      (await readNpy(path.join(out, 'train_X.npy'))).data,
      (await readCsv(path.join(source, 'train.csv'))).X,
    );
  });

  test('an unwritable --out is a one-line IO error, exit 2', () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, '');
    const r = runMfl(['data', ...dataArgs, '--out', blocker]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `mfl: cannot create directory ${blocker}: not a directory\n`);
  });
});

describe('mfl: bad input exits 2 with one line naming the flag', () => {
  const cases: Array<[string, string[], string]> = [
    [
      'k > d',
      ['--task', 'parity', '--d', '12', '--k', '13', '--P', '4'],
      'mfl: --k: must be an integer in [0, d] = [0, 12], got 13',
    ],
    ['non-numeric', ['--task', 'parity', '--d', 'abc'], 'mfl: --d: expected an integer, got "abc"'],
    [
      'trailing garbage',
      ['--task', 'parity', '--d', '12abc'],
      'mfl: --d: expected an integer, got "12abc"',
    ],
    [
      'fraction',
      ['--task', 'parity', '--d', '12', '--k', '2', '--P', '1.5'],
      'mfl: --P: must be an integer in [0, 2147483647], got 1.5',
    ],
    [
      'negative size',
      ['--task', 'parity', '--d', '12', '--k', '2', '--P', '-3'],
      'mfl: --P: must be an integer in [0, 2147483647], got -3',
    ],
    [
      'zero dimension',
      ['--task', 'parity', '--d', '0', '--k', '0', '--P', '3'],
      'mfl: --d: must be an integer in [1, 4096], got 0',
    ],
    [
      'negative noise',
      ['--task', 'parity', '--d', '3', '--k', '2', '--P', '3', '--label-noise', '-1'],
      'mfl: --label-noise: must be a finite number in [0, 1e+150], got -1',
    ],
    [
      'P-test',
      ['--task', 'parity', '--d', '3', '--k', '2', '--P', '3', '--P-test', 'x'],
      'mfl: --P-test: expected an integer, got "x"',
    ],
    [
      'missing --k',
      ['--task', 'parity', '--d', '3', '--P', '3'],
      'mfl: --k: expected an integer in [0, 4096], got undefined',
    ],
    [
      'missing --task',
      ['--d', '3'],
      'mfl: --task: expected one of parity, single-index (or --train PATH for custom data), got undefined',
    ],
    [
      'unknown task',
      ['--task', 'xor'],
      "mfl: option '--task <name>' argument 'xor' is invalid. Allowed choices are parity, single-index.",
    ],
    [
      'unknown flag',
      ['--task', 'parity', '--seeed', '1'],
      "mfl: unknown option '--seeed' (Did you mean --seed?)",
    ],
    [
      '--train with --d',
      ['--train', 'a.csv', '--d', '3'],
      "mfl: option '--train <path>' cannot be used with option '--d <int>'",
    ],
    [
      '--test without --train',
      ['--task', 'parity', '--test', 'a.csv'],
      'mfl: --train: expected a path when --test is given (custom data), got undefined',
    ],
    [
      'bad format',
      ['--task', 'parity', '--format', 'xlsx'],
      "mfl: option '--format <format>' argument 'xlsx' is invalid. Allowed choices are csv, npy.",
    ],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const r = runMfl(['data', '--out', path.join(dir, 'never'), ...args]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `${message}\n`);
      assert.equal(r.stdout, '');
    });
  }

  test('--out is required', () => {
    const r = runMfl(['data', ...dataArgs]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "mfl: required option '--out <dir>' not specified\n");
  });

  test('a missing --train file names the path', () => {
    const missing = path.join(dir, 'missing.csv');
    const r = runMfl(['data', '--train', missing, '--out', path.join(dir, 'never')]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `mfl: cannot read ${missing}: no such file or directory\n`);
  });

  test('an unknown command', () => {
    const r = runMfl(['fit']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "mfl: unknown command 'fit'\n");
  });

  test('an unknown MFL_BACKEND is a one-line error', () => {
    const r = runMfl(['data', ...dataArgs, '--out', path.join(dir, 'never')], {
      MFL_BACKEND: 'gpu',
    });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'mfl: MFL_BACKEND: must be "native" or "js", got "gpu"\n');
    assert.ok(!fs.existsSync(path.join(dir, 'never')));
  });
});

for (const backend of backends) {
  const env = { MFL_BACKEND: backend.name };
  describe(`mfl with MFL_BACKEND=${backend.name}`, () => {
    test('doctor --json parses and names the backend', () => {
      const r = runMfl(['doctor', '--json'], env);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.equal(report.backend, backend.name);
      assert.equal(report.version, version);
      assert.equal(report.node, process.version);
      assert.ok(
        Array.isArray(report.availableBackends) && report.availableBackends.includes(backend.name),
      );
      assert.equal(typeof (report.native as { available: unknown }).available, 'boolean');
      if (backend.name === 'native') assert.notEqual(report.blas, null);
    });

    test('doctor prints aligned key: value lines', () => {
      const r = runMfl(['doctor'], env);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.ok(lines.length >= 10);
      const valueColumns = new Set(lines.map((line) => /^[a-z ]+: +/.exec(line)?.[0].length));
      assert.equal(valueColumns.size, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`^backend: +${backend.name}$`, 'm'));
    });

    test('data --format csv writes train.csv and test.csv equal to makeDataset', async () => {
      const out = path.join(dir, `csv-${backend.name}`);
      const r = runMfl(['data', ...dataArgs, '--out', out], env);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote 2 csv files/);
      const expected = await makeDataset(spec, { backend });
      const header = 'x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,y';
      for (const split of ['train', 'test']) {
        assert.equal(
          fs.readFileSync(path.join(out, `${split}.csv`), 'utf8').split('\n')[0],
          header,
        );
      }
      const train = await readCsv(path.join(out, 'train.csv'));
      const test = await readCsv(path.join(out, 'test.csv'));
      assert.deepEqual([train.P, train.d, test.P, test.d], [40, 12, 30, 12]);
      assert.deepEqual(train.X, expected.X);
      assert.deepEqual(train.y, expected.y);
      assert.deepEqual(test.X, expected.XTest);
      assert.deepEqual(test.y, expected.yTest);
    });

    test('data --format npy --json writes four float64 files and a summary', async () => {
      const out = path.join(dir, `npy-${backend.name}`);
      const r = runMfl(
        ['data', ...dataArgs, '--label-noise', '0.25', '--out', out, '--format', 'npy', '--json'],
        env,
      );
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as Record<string, unknown>;
      const files = ['train_X.npy', 'train_y.npy', 'test_X.npy', 'test_y.npy'].map((f) =>
        path.join(out, f),
      );
      assert.deepEqual(summary.files, files);
      assert.deepEqual(
        [summary.P, summary.PTest, summary.d, summary.backend],
        [40, 30, 12, backend.name],
      );
      const expected = await makeDataset({ ...spec, labelNoise: 0.25 }, { backend });
      const [X, y, XTest, yTest] = await Promise.all(files.map((f) => readNpy(f)));
      assert.deepEqual(X, { shape: [40, 12], data: expected.X });
      assert.deepEqual(y, { shape: [40], data: expected.y });
      assert.deepEqual(XTest, { shape: [30, 12], data: expected.XTest });
      assert.deepEqual(yTest, { shape: [30], data: expected.yTest });
    });
  });
}
