/**
 * An output that cannot be written is reported before the long work, not after it: --predict into
 * an unwritable directory (/proc/self takes no new files, even as root) exits 2 at once, naming
 * the directory, for every method command; so does an unwritable --checkpoint. The runs asked for would take minutes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runMfl } from './run.js';

const task = ['--task', 'parity', '--d', '8', '--k', '2', '--P', '200', '--N', '64'];
const commands: [string, string[]][] = [
  ['sgld', ['sgld', ...task, '--kappa', '0.05', '--steps', '5000000']],
  ['mf', ['mf', ...task, '--kappa', '0.05', '--steps', '5000000']],
  ['nngp', ['nngp', ...task, '--kappa', '0.05']],
];

describe('unwritable outputs fail before the work', () => {
  for (const [name, args] of commands) {
    test(`${name} --predict /proc/self/fbar.csv`, () => {
      const r = runMfl([...args, '--predict', '/proc/self/fbar.csv']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^mfl: cannot write into directory \/proc\/self: /);
      assert.equal(r.stdout, '');
    });
    test(`${name} --predict under a path that cannot be created`, () => {
      const r = runMfl([...args, '--predict', '/proc/mfl-missing/fbar.npy']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^mfl: cannot create directory \/proc\/mfl-missing: /);
    });
  }
  test('sgld --checkpoint /proc/self/run.ckpt', () => {
    const r = runMfl([...commands[0]![1], '--checkpoint', '/proc/self/run.ckpt']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^mfl: cannot write into directory \/proc\/self: /);
  });
});
