/**
 * `main` in-process: exit codes and error reporting without spawning (user errors one line and
 * exit 2; unexpected errors exit 1 with the stack only under MFL_DEBUG=1).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { oneLine, reportError } from '../../src/cli/errors.js';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { flagOf } from '../../src/cli/options.js';
import { MflError, outOfRange } from '../../src/errors.js';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}

describe('main', () => {
  test('help goes to the given stdout, exit 0', async () => {
    const io = capture();
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.out, /^Usage: mfl/);
    assert.equal(io.err, '');
  });

  test('a bad flag is one line on stderr, exit 2', async () => {
    const io = capture();
    assert.equal(await main(['data', '--out', 'x', '--task', 'parity', '--d', '1e3.5'], io), 2);
    assert.equal(io.err, 'mfl: --d: expected an integer, got "1e3.5"\n');
    assert.equal(io.out, '');
  });

  test('doctor --json on the injected stdout', async () => {
    const io = capture();
    assert.equal(await main(['doctor', '--json'], io), 0);
    assert.equal(typeof (JSON.parse(io.out) as { backend: unknown }).backend, 'string');
  });
});

describe('reportError', () => {
  test('user errors: one line, exit 2, no stack', () => {
    const io = capture({ MFL_DEBUG: '1' });
    assert.equal(reportError(outOfRange('--d', 'an integer in [1, 4096]', 0), io), 2);
    assert.equal(io.err, 'mfl: --d: must be an integer in [1, 4096], got 0\n');
    const io2 = capture();
    assert.equal(reportError(new MflError('ERR_MFL_IO', 'cannot read a:\nno such file'), io2), 2);
    assert.equal(io2.err, 'mfl: cannot read a: no such file\n');
  });

  test('errors with an ERR_MFL_ code from the binding count as user errors', () => {
    const io = capture();
    const err = Object.assign(new TypeError('X: expected a Float64Array'), {
      code: 'ERR_MFL_INVALID_TYPE',
    });
    assert.equal(reportError(err, io), 2);
  });

  test('unexpected errors: exit 1, stack only with MFL_DEBUG=1', () => {
    const quiet = capture();
    assert.equal(reportError(new Error('boom'), quiet), 1);
    assert.match(quiet.err, /^mfl: boom\n/);
    assert.doesNotMatch(quiet.err, /at /);
    const debug = capture({ MFL_DEBUG: '1' });
    assert.equal(reportError(new Error('boom'), debug), 1);
    assert.match(debug.err, /\n {4}at /);
  });

  test("oneLine drops commander's prefix and joins lines", () => {
    assert.equal(
      oneLine("error: unknown option '--dd'\n(Did you mean --d?)"),
      "unknown option '--dd' (Did you mean --d?)",
    );
  });

  test('flagOf maps spec fields to flags', () => {
    assert.deepEqual(['d', 'P', 'PTest', 'labelNoise', 'seed', 'N', 'kappa'].map(flagOf), [
      '--d',
      '--P',
      '--P-test',
      '--label-noise',
      '--seed',
      '--N',
      '--kappa',
    ]);
  });
});
