/**
 * native vs js mean-field kernels (docs/mf.md): the same config and seed give the same run. The
 * random numbers are bit-identical and the elementwise passes are written alike; the products and
 * the Cholesky factorisation run in different orders (BLAS, LAPACK), so after 60 steps (8 samples
 * and 7 series rows) the state and every accumulator agree within 1e-9 relative in the norm sense
 * (measured: at most 6e-15). Particle histogram counts may move between neighbouring bins
 * (see assertMfRunsAgree). Skipped, with the reason, when the native kernel is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MfKernelConfig, TaskKind } from '../../src/backend/types.js';
import { jsBackend, nativeBackend, requireNative, skipUnlessNative } from '../helpers/backends.js';
import { assertMfRunsAgree, mfData, mfKernelConfig, runMf, skipUnlessMf } from '../helpers/mf.js';
import { ACTIVATIONS } from '../helpers/random.js';

const TOLERANCE = 1e-9;
const skip = skipUnlessNative() || skipUnlessMf(nativeBackend());

function agreement(config: MfKernelConfig, kind: TaskKind | 'custom', label: string): number {
  const data = mfData(config, kind);
  const expected = runMf(jsBackend, config, data);
  const actual = runMf(requireNative(), config, data);
  assert.deepEqual(expected.results, [
    { stepsDone: config.steps, failure: 'none', failedStep: -1, info: 0 },
  ]);
  return assertMfRunsAgree(actual, expected, config, TOLERANCE, label);
}

/**
 * Plain MF or MF-ARD (coordinate- or neuron-wise), prior or aligned branch, P x P or Woodbury
 * solve: all twelve.
 */
const VARIANTS: [string, Partial<MfKernelConfig>][] = [];
for (const [ard, ardOverrides] of [
  ['plain', {}],
  ['ARD 0.05', { ardEma: 0.05, ardAlpha0: 2, ardBeta0: 1.5 }],
  ['ARD neuron 0.05', { ardEma: 0.05, ardAlpha0: 2, ardBeta0: 1.5, ardPrecisions: 'neuron' }],
] as const) {
  for (const branch of [0, 1]) {
    for (const solve of ['cholesky', 'woodbury'] as const) {
      VARIANTS.push([`${ard}, branch ${branch}, ${solve}`, { ...ardOverrides, branch, solve }]);
    }
  }
}

for (const activation of ACTIVATIONS) {
  for (const gamma of [0.5, 1]) {
    const label = `${activation}, gamma ${gamma}`;
    test(
      `60 steps agree within 1e-9: ${label}; plain/ARD/neuron x branches x solves`,
      { skip },
      (t) => {
        let worst = 0;
        for (const [name, overrides] of VARIANTS) {
          const config = mfKernelConfig({ activation, gamma, ...overrides });
          const kind = gamma === 1 ? 'single-index' : 'parity';
          worst = Math.max(worst, agreement(config, kind, `${label}, ${name}`));
        }
        t.diagnostic(`largest relative difference: ${worst.toExponential(2)}`);
      },
    );
  }
}

test(
  '60 steps agree within 1e-9: custom data, P > M, PTest > 512, several particle blocks, own sigmas, every step sampled',
  { skip },
  (t) => {
    const cases: [string, Partial<MfKernelConfig>, TaskKind | 'custom'][] = [
      ['custom data', { nRelevant: 0, activation: 'tanh' }, 'custom'],
      ['P > M, woodbury', { P: 90, M: 32, solve: 'woodbury', activation: 'erf' }, 'parity'],
      ['PTest = 700 (two test chunks)', { PTest: 700 }, 'parity'],
      // The native step works in blocks of at most 65536 / P and M / 8 particle rows (at least 8;
      // native/core/mf.cpp, blockRows).
      [
        'several particle blocks: P = 700, M = 200 (8 of 25), woodbury',
        { P: 700, M: 200, solve: 'woodbury', steps: 20, burnIn: 5 },
        'parity',
      ],
      [
        'several particle blocks: P = 600, M = 131 (7 of 17, 12), cholesky, erf (phi kept)',
        { P: 600, M: 131, activation: 'erf', steps: 20, burnIn: 5 },
        'parity',
      ],
      ['own sigmas', { sigmaW: 0.8, sigmaA: 1.4, N: 1e8, kappa: 0.1 }, 'parity'],
      ['every step', { burnIn: 0, sampleEvery: 1, observeEvery: 1, ardEma: 1 }, 'parity'],
      [
        'every step, neuron-wise ema 1',
        { burnIn: 0, sampleEvery: 1, observeEvery: 1, ardEma: 1, ardPrecisions: 'neuron' },
        'parity',
      ],
      ['20 batches for 8 samples (empty batches)', { batches: 20 }, 'parity'],
    ];
    let worst = 0;
    for (const [name, overrides, kind] of cases) {
      worst = Math.max(worst, agreement(mfKernelConfig(overrides), kind, name));
    }
    t.diagnostic(`largest relative difference: ${worst.toExponential(2)}`);
  },
);
