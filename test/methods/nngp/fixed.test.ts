/**
 * The BigInt fixed-point helpers behind the exact hypercube spectra: exact conversion of doubles,
 * rounding back to the nearest double at any scale, integer square roots, and pi / the kernel
 * values to hundreds of bits (against known digits and the double-precision closed forms).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelName } from '../../../src/backend/types.js';
import {
  fixedToNumber,
  hypercubeKernelFixed,
  isqrt,
  roundShift,
  toFixed,
} from '../../../src/methods/nngp/fixed.js';
import { dotProductKernel } from '../../../src/methods/nngp/kernel.js';

test('toFixed is exact and fixedToNumber rounds back to the same double', () => {
  for (const x of [1, -1, 0.1, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -2.5e-17]) {
    for (const p of [0, 64, 1200]) {
      const v = toFixed(x, p);
      if (Math.abs(x) * 2 ** p >= 2 ** 53) assert.equal(fixedToNumber(v, p), x, `${x} at ${p}`);
    }
  }
  assert.equal(toFixed(0.75, 2), 3n);
  assert.equal(toFixed(0.625, 2), 3n, 'halves away from zero');
  assert.equal(roundShift(-5n, 1), -3n);
  assert.equal(fixedToNumber(1n, 1070), 2 ** -1070);
  assert.equal(fixedToNumber(1n, 1200), 0);
  assert.equal(fixedToNumber(3n << 2000n, 2000), 3);
});

test('isqrt is the floor of the square root', () => {
  for (const n of [0n, 1n, 2n, 3n, 4n, 99n, 100n, 101n, (1n << 200n) + 12345n]) {
    const r = isqrt(n);
    assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n, String(n));
  }
});

test('hypercube kernel values: 300 bits of pi inside, double-precision closed forms agree', () => {
  // relu at rho = 0 (t = d/2) is S/(2 pi): its digits carry pi to the precision asked for.
  const d = 4;
  const p = 300;
  const values = hypercubeKernelFixed({ kernel: 'relu', d, sigmaW: 1, sigmaB: 1, bias: false }, p);
  const PI_100 =
    '3.141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117068';
  const inverse = (1n << BigInt(2 * p)) / (2n * values[2]!); // = pi * 2^p, 1/(2 kfun(0)) = pi
  const digits = ((inverse * 10n ** 99n) >> BigInt(p)).toString();
  assert.equal(digits.slice(0, 90), PI_100.replace('.', '').slice(0, 90));
  for (const kernel of ['relu', 'erf', 'linear'] as KernelName[]) {
    for (const bias of [false, true]) {
      const spec = { kernel, d: 7, sigmaW: 1.3, sigmaB: 0.4, bias };
      const exact = hypercubeKernelFixed(spec, 200);
      const kfun = dotProductKernel(spec);
      for (let t = 0; t <= 7; t++) {
        const value = fixedToNumber(exact[t]!, 200);
        assert.ok(Math.abs(value - kfun((7 - 2 * t) / 7)) < 1e-15, `${kernel} ${bias} t = ${t}`);
      }
    }
  }
});
