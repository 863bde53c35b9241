/**
 * native vs js SGLD kernels (docs/sgld.md): the same config and seed give the same run. The
 * random numbers are bit-identical, the network sums run in different orders (BLAS), so after
 * 1000 steps the state and every accumulator agree within 1e-9 relative in the norm sense (the
 * chains used here contract, measured: perturbing the start by 1e-15 moves the end by < 1e-13).
 * Histogram counts must be equal except that a value sitting within rounding of a bin edge may
 * land in the neighbouring bin: at most 2 counts per (chain, group). Skipped, with the reason,
 * when the native backend or its SGLD kernel is unavailable.
 */
import { test } from 'node:test';
import type { SgldConfig, TaskKind } from '../../src/backend/types.js';
import { jsBackend, nativeBackend, requireNative, skipUnlessNative } from '../helpers/backends.js';
import { ACTIVATIONS } from '../helpers/random.js';
import { assertRunsAgree, runSgld, sgldConfig, sgldData, skipUnlessSgld } from '../helpers/sgld.js';

const TOLERANCE = 1e-9;
const skip = skipUnlessNative() || skipUnlessSgld(nativeBackend());

function assertAgree(config: SgldConfig, kind: TaskKind | 'custom', label: string): void {
  const data = sgldData(config, kind);
  const expected = runSgld(jsBackend, config, data);
  const actual = runSgld(requireNative(), config, data);
  assertRunsAgree(actual, expected, config, TOLERANCE, label);
}

const VARIANTS: [string, Partial<SgldConfig>][] = [
  ['full batch', {}],
  ['minibatch of 20', { batchSize: 20 }],
  ['MALA', { mala: true }],
];

for (const activation of ACTIVATIONS) {
  for (const bias of [false, true]) {
    for (const gamma of [0.5, 1]) {
      const label = `${activation}, bias ${bias}, gamma ${gamma}`;
      test(`1000 steps agree within 1e-9: ${label}; full batch, minibatch, MALA`, { skip }, () => {
        for (const [name, overrides] of VARIANTS) {
          const config = sgldConfig({ activation, bias, gamma, ...overrides });
          assertAgree(config, gamma === 1 ? 'single-index' : 'parity', `${label}, ${name}`);
        }
      });
    }
  }
}

test(
  '1000 steps agree within 1e-9: mean loss, freezeW, own sigmas, custom data, odd thinning',
  { skip },
  () => {
    const cases: [string, Partial<SgldConfig>, TaskKind | 'custom'][] = [
      ['mean loss', { lossScale: 1 / 60, kappa: 1e-3 }, 'parity'],
      ['freezeW with MALA', { freezeW: true, mala: true, bias: true }, 'parity'],
      ['own sigmas', { sigmaW: 0.8, sigmaA: 1.5, sigmaB: 0.6, bias: true }, 'single-index'],
      ['custom data', { nRelevant: 0, batchSize: 13 }, 'custom'],
      ['3 chains, thin 1, observe every step', { chains: 3, thin: 1, observeEvery: 1 }, 'parity'],
    ];
    for (const [name, overrides, kind] of cases) assertAgree(sgldConfig(overrides), kind, name);
  },
);
