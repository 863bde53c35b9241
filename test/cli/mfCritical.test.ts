/**
 * `mfl mf --critical` end to end, spawned as a user runs it: kappa_c as text and as JSON (equal to
 * the library's criticalKappa), MF-ARD with --ard, a target the network cannot represent, and bad
 * input (exit 2, one line naming the flag). No particles: backend independent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { criticalKappa } from '../../src/methods/mf/critical.js';
import { runMfl } from './run.js';

/** parity(8, 2), P = 400, N = 64: plain MF's crossover and MF-ARD take well under a second. */
const base = ['mf', '--critical', '--task', 'parity', '--d', '8', '--k', '2', '--P', '400'];
const input = { d: 8, k: 2, P: 400, N: 64 };

describe('mfl mf --critical', () => {
  test('plain MF: the crossover as text, the same number as the library', () => {
    const r = runMfl([...base, '--N', '64']);
    assert.equal(r.status, 0, r.stderr);
    const expected = criticalKappa(input);
    assert.match(r.stdout, /^task: +parity\(d = 8, k = 2\), P = 400$/m);
    assert.match(r.stdout, /^theory: +plain MF$/m);
    const line = /^kappa_c: +(\S+) \(loss sum; mean-loss kappa_c \/ P = (\S+)\)$/m.exec(r.stdout);
    assert.ok(line, r.stdout);
    assert.equal(Number(line[1]).toFixed(4), (expected.kappaC as number).toFixed(4));
    assert.match(r.stdout, /^criterion: +crossover: equilibrium mS reaches 0\.2 /m);
    assert.match(r.stdout, /^at kappa_c: +mS = 0\.2000, E\[w_S\^2\] = /m);
  });

  test('--json is the library result', () => {
    const r = runMfl([...base, '--N', '64', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    const expected = JSON.parse(JSON.stringify(criticalKappa(input))) as Record<string, unknown>;
    assert.deepEqual(result, expected);
    assert.equal(result.kind, 'crossover');
    assert.equal(result.method, 'mf');
  });

  test('--ard: MF-ARD at k = 2, d = 8 has no fold, and says why', () => {
    const r = runMfl([...base, '--N', '64', '--ard', '--alpha0', '2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      method: string;
      kappaC: null;
      reason: string;
      spec: unknown;
    };
    assert.equal(result.method, 'mf-ard');
    assert.equal(result.kappaC, null);
    assert.match(result.reason, /^no fold: /);
    assert.deepEqual((result.spec as { ard: unknown }).ard, { alpha0: 2, beta0: 2 });
  });

  test('an odd-order parity with relu: no kappa_c, with the reason', () => {
    const r = runMfl(['mf', '--critical', '--d', '8', '--k', '3', '--P', '400', '--N', '64']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^kappa_c: +none: a bias-free relu neuron has no Walsh weight of odd degree k = 3/m,
    );
  });

  test('bad input: exit 2 and one line naming the flag and the allowed values', () => {
    const cases: [string[], RegExp][] = [
      [[...base], /^mfl: --N: expected a finite number >= 1, got undefined\n$/],
      [[...base, '--N', '0.5'], /^mfl: --N: must be a finite number >= 1, got 0\.5\n$/],
      [
        [
          'mf',
          '--critical',
          '--task',
          'single-index',
          '--d',
          '8',
          '--k',
          '2',
          '--P',
          '9',
          '--N',
          '4',
        ],
        /^mfl: --task: must be "parity" with --critical, got "single-index"\n$/,
      ],
      [
        ['mf', '--critical', '--d', '8', '--k', '8', '--P', '400', '--N', '64'],
        /^mfl: --k: must be an integer in \[1, 6\], got 8\n$/,
      ],
      [[...base, '--N', '64', '--bias'], /^mfl: --bias: must be absent with --critical/],
      [
        [...base, '--N', '64', '--ard', '--alpha0', '-1'],
        /^mfl: --alpha0: must be a finite number > 0, got -1\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = runMfl(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});
