/**
 * The feature-learning transition in a scaled-down parity case (docs/mf.md, "The transition
 * case"): plain MF's mS jumps from near 0 to about 0.5 as P grows from 40 to 200, and after the
 * transition MF-ARD has a lower testMse and a much larger anisotropy than plain MF. Three data and
 * solver seeds; every bound is stated in standard errors of the seed mean and as an absolute
 * margin below what was measured. Native backend only (about 40 s; the js twin runs the same
 * kernel about 10 times slower and is compared with it in test/backend/mfAgreement.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanField } from '../../../src/methods/mf/index.js';
import type { MfResult } from '../../../src/methods/mf/index.js';
import { nativeBackend, skipUnlessNative } from '../../helpers/backends.js';

const SEEDS = [1, 2, 3];
const P_BELOW = 40;
const P_ABOVE = 200;

/** parity(d = 10, k = 4), N = 64, kappa = 0.01, 256 particles, 4000 steps of dt = 0.005. */
async function solve(P: number, seed: number, ard: boolean): Promise<MfResult> {
  return meanField(
    {
      task: { task: 'parity', d: 10, k: 4, P, PTest: 500, seed },
      network: { N: 64 },
      solver: { kappa: 0.01, particles: 256, steps: 4000, dt: 0.005, seed, ard },
    },
    { backend: nativeBackend()! },
  );
}

function meanAndSe(values: number[]): { mean: number; se: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

describe('meanField: the feature-learning transition (parity d = 10, k = 4, N = 64)', () => {
  test(
    'plain MF: mS jumps with P; MF-ARD: lower testMse and larger anisotropy after it',
    { skip: skipUnlessNative() },
    async () => {
      const below: MfResult[] = [];
      const above: MfResult[] = [];
      const ard: MfResult[] = [];
      for (const seed of SEEDS) {
        below.push(await solve(P_BELOW, seed, false));
        above.push(await solve(P_ABOVE, seed, false));
        ard.push(await solve(P_ABOVE, seed, true));
      }
      // Measured (seeds 1-3): mS at P = 40: 0.16, 0.03, 0.11; at P = 200: 0.54, 0.51, 0.52.
      const jump = meanAndSe(above.map((r, i) => r.mS! - below[i]!.mS!));
      const mSBelow = meanAndSe(below.map((r) => r.mS!));
      assert.ok(mSBelow.mean < 0.2, `mS below the transition ${mSBelow.mean}`);
      assert.ok(
        jump.mean > 0.3 && jump.mean > 5 * jump.se,
        `jump of mS ${jump.mean} +- ${jump.se} (SE)`,
      );
      // MF-ARD after the transition (measured testMse 0.160, 0.166, 0.199 vs 0.235, 0.265, 0.280;
      // anisotropy 360-500 vs 15-23).
      const gain = meanAndSe(ard.map((r, i) => above[i]!.testMse! - r.testMse!));
      assert.ok(
        gain.mean > 0.04 && gain.mean > 5 * gain.se,
        `testMse(MF) - testMse(MF-ARD) = ${gain.mean} +- ${gain.se} (SE)`,
      );
      for (const [i, r] of ard.entries()) {
        assert.ok(
          r.anisotropy! > 5 * above[i]!.anisotropy!,
          `anisotropy ${r.anisotropy} vs ${above[i]!.anisotropy}`,
        );
        assert.ok(r.mS! > above[i]!.mS!, `mS ${r.mS} vs ${above[i]!.mS}`);
      }
    },
  );
});
