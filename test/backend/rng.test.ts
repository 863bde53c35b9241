/**
 * Properties of the uniform and Gaussian streams (docs/rng.md) on every backend. Statistical
 * checks use 1e6 draws of fixed seeds and a tolerance of 5 standard errors (SE); each test states
 * how its SE is computed. With fixed seeds the outcome is deterministic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/types.js';
import { backends } from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';
import { correlation, meanOf } from '../helpers/stats.js';

const MAX_INDEX = 2 ** 53 - 1;
const FILLS = ['fillUniform', 'fillGaussian'] as const;

function fill(
  backend: Backend,
  kind: (typeof FILLS)[number],
  seed: number,
  stream: number,
  offset: number,
  n: number,
): Float64Array {
  const out = new Float64Array(n);
  backend[kind](seed, stream, offset, out);
  return out;
}

for (const backend of backends) {
  const tag = `[${backend.name}]`;

  test(`same seed, stream and offset give the same values ${tag}`, () => {
    for (const kind of FILLS) {
      for (const [seed, stream, offset] of [
        [0, 0, 0],
        [42, 2 ** 32 + 3, 17],
        [MAX_INDEX, MAX_INDEX, MAX_INDEX - 1000],
      ] as const) {
        const a = fill(backend, kind, seed, stream, offset, 1000);
        const b = fill(backend, kind, seed, stream, offset, 1000);
        assertBitIdentical(a, b, `${kind}(${seed}, ${stream}, ${offset})`);
      }
    }
  });

  test(`a sub-range fill equals the slice of a whole fill ${tag}`, () => {
    // Odd and even offsets and lengths, and a base where the block index crosses 2^32.
    const ranges = [
      [0, 1],
      [1, 1],
      [1, 2],
      [3, 7],
      [4, 0],
      [5, 500],
      [998, 3],
      [2, 999],
      [0, 1001],
    ] as const;
    for (const kind of FILLS) {
      for (const base of [0, 2 ** 33 - 501, 2 ** 52 + 7]) {
        const whole = fill(backend, kind, 9, 2 ** 32 + 1, base, 1001);
        for (const [offset, n] of ranges) {
          const part = fill(backend, kind, 9, 2 ** 32 + 1, base + offset, n);
          assertBitIdentical(
            part,
            whole.subarray(offset, offset + n),
            `${kind} [${base}+${offset}, +${n})`,
          );
        }
      }
    }
  });

  test(`different streams and different seeds give different values ${tag}`, () => {
    for (const kind of FILLS) {
      const variants = [
        fill(backend, kind, 1, 0, 0, 1000),
        fill(backend, kind, 1, 1, 0, 1000),
        fill(backend, kind, 1, 2 ** 32, 0, 1000),
        fill(backend, kind, 2, 0, 0, 1000),
        fill(backend, kind, 2 ** 32 + 1, 0, 0, 1000),
      ];
      for (let i = 0; i < variants.length; i++) {
        for (let j = i + 1; j < variants.length; j++) {
          const a = variants[i]!;
          const b = variants[j]!;
          const equal = a.filter((v, k) => v === b[k]).length;
          assert.equal(equal, 0, `${kind}: variants ${i} and ${j} share ${equal} of 1000 values`);
        }
      }
    }
  });

  test(`uniforms lie in [0, 1) with mean 1/2 ${tag}`, () => {
    const n = 1e6;
    const u = fill(backend, 'fillUniform', 3, 5, 0, n);
    let min = Infinity;
    let max = -Infinity;
    for (const v of u) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.ok(min >= 0 && max < 1, `range [${min}, ${max}]`);
    // SE of the mean of U(0,1): sqrt(Var/n) with Var = 1/12.
    const se = Math.sqrt(1 / 12 / n);
    assert.ok(Math.abs(meanOf(u) - 0.5) < 5 * se, `mean ${meanOf(u)}`);
  });

  test(`Gaussian moments: mean 0, E[x^2] = 1, E[x^4] = 3 within 5 SE of 1e6 draws ${tag}`, () => {
    const n = 1e6;
    const x = fill(backend, 'fillGaussian', 4, 6, 1, n);
    // SE of a sample mean of g(x) is sqrt(Var g(x) / n), with the exact normal moments
    // Var x = 1, Var x^2 = E x^4 - 1 = 2, Var x^4 = E x^8 - 9 = 105 - 9 = 96.
    const checks = [
      { name: 'E[x]', g: (v: number) => v, expected: 0, variance: 1 },
      { name: 'E[x^2]', g: (v: number) => v * v, expected: 1, variance: 2 },
      { name: 'E[x^4]', g: (v: number) => v ** 4, expected: 3, variance: 96 },
    ];
    for (const { name, g, expected, variance } of checks) {
      const got = meanOf(x, g);
      const se = Math.sqrt(variance / n);
      assert.ok(
        Math.abs(got - expected) < 5 * se,
        `${name} = ${got}, expected ${expected} +- ${5 * se}`,
      );
    }
  });

  test(`streams, seeds and neighbouring values are uncorrelated ${tag}`, () => {
    const n = 1e6;
    const base = fill(backend, 'fillGaussian', 7, 1, 0, n);
    const pairs: [string, Float64Array, Float64Array][] = [
      ['streams 1 and 2', base, fill(backend, 'fillGaussian', 7, 2, 0, n)],
      ['seeds 7 and 8', base, fill(backend, 'fillGaussian', 8, 1, 0, n)],
      [
        'uniform streams 1 and 2^32+1',
        fill(backend, 'fillUniform', 7, 1, 0, n),
        fill(backend, 'fillUniform', 7, 2 ** 32 + 1, 0, n),
      ],
      // Values 2b and 2b+1 share one Box-Muller radius: dependent, but must be uncorrelated.
      ['Box-Muller pairs', base.filter((_, i) => i % 2 === 0), base.filter((_, i) => i % 2 === 1)],
    ];
    for (const [name, a, b] of pairs) {
      // For m independent pairs the sample correlation has SE 1/sqrt(m) (to leading order).
      const r = correlation(a, b);
      const tolerance = 5 / Math.sqrt(a.length);
      assert.ok(Math.abs(r) < tolerance, `${name}: correlation ${r}, allowed ${tolerance}`);
    }
  });
}
