/**
 * detLog and detSinCos2pi (docs/rng.md) against the system functions: a few ulp, which is all
 * Box-Muller needs. These are js internals; their native twins are checked through the bit-identical
 * Gaussian streams in agreement.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detLog, detSinCos2pi } from '../../src/backend/js/detmath.js';
import { TestRng } from '../helpers/random.js';

const EPS = 2 ** -52;
const LN2 = 0.6931471805599453;

/** |got - want| <= ulps * EPS * |want|: relative tolerance of a few ulp. */
function assertClose(got: number, want: number, ulps: number, what: string): void {
  const error = Math.abs(got - want);
  assert.ok(
    error <= ulps * EPS * Math.abs(want),
    `${what}: ${got} vs ${want} (${error / (EPS * Math.abs(want))} ulp)`,
  );
}

test('detLog is exact at powers of two and within 4 ulp of Math.log elsewhere', () => {
  assert.equal(detLog(1), 0);
  for (let e = -1022; e <= 1023; e += 7) assert.equal(detLog(2 ** e), e * LN2, `2^${e}`);
  const rng = new TestRng(21);
  const u = rng.uniform(100000);
  for (const v of u) {
    // The Box-Muller domain (0, 1], including values next to 1 where log is tiny...
    const x = (Math.floor(v * 2 ** 53) + 1) * 2 ** -53;
    assertClose(detLog(x), Math.log(x), 4, `detLog(${x})`);
    assertClose(detLog(1 - v * 1e-6), Math.log(1 - v * 1e-6), 4, `detLog(1 - ${v * 1e-6})`);
    // ...and the whole normal range.
    const y = 2 ** (-1000 + 2000 * v);
    assertClose(detLog(y), Math.log(y), 4, `detLog(${y})`);
  }
});

test('detSinCos2pi is within 4 ulp of Math.sin/cos and exact at quarter turns', () => {
  const out = new Float64Array(2);
  const quarter: [number, number, number][] = [
    [0, 0, 1],
    [0.25, 1, 0],
    [0.5, 0, -1],
    [0.75, -1, 0],
  ];
  for (const [u, s, c] of quarter) {
    detSinCos2pi(u, out);
    assert.ok(out[0] === s && out[1] === c, `u = ${u}: (${out[0]}, ${out[1]})`);
  }
  const rng = new TestRng(22);
  for (const v of rng.uniform(100000)) {
    const u = Math.floor(v * 2 ** 53) * 2 ** -53;
    detSinCos2pi(u, out);
    // Reference from the same exact reduction, so Math.sin sees an argument |t| <= pi/4 whose
    // rounding costs at most an ulp; the quadrant then only swaps and negates.
    const q = Math.floor(u * 4 + 0.5);
    const t = (u - q * 0.25) * 2 * Math.PI;
    const [s, c] = rotateQuarter(q, Math.sin(t), Math.cos(t));
    assertClose(out[0]!, s, 4, `sin(2 pi ${u})`);
    assertClose(out[1]!, c, 4, `cos(2 pi ${u})`);
    // And directly against the unreduced system functions (absolute: 2 pi u is rounded).
    assert.ok(Math.abs(out[0]! - Math.sin(2 * Math.PI * u)) < 4e-15, `sin(2 pi ${u}) absolute`);
    assert.ok(Math.abs(out[1]! - Math.cos(2 * Math.PI * u)) < 4e-15, `cos(2 pi ${u}) absolute`);
  }
});

/** (sin, cos) of t + q pi/2 from (sin t, cos t). */
function rotateQuarter(q: number, s: number, c: number): [number, number] {
  switch (q % 4) {
    case 0:
      return [s, c];
    case 1:
      return [c, -s];
    case 2:
      return [-s, -c];
    default:
      return [-c, s];
  }
}
