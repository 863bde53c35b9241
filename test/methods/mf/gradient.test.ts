/**
 * Step 7 of docs/mf.md: the Langevin drift equals the gradient of the single-neuron potential
 * U(w) = |w|^2 / (2 sigma_w^2) + (1/2) log Lambda(w) - beta(w)^2 / (2 Lambda(w)) at fixed residual,
 * checked against central finite differences of U (recovering grad U from one step and its known
 * Gaussians), at a finite width where the tilt matters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activate } from '../../../src/backend/js/network.js';
import {
  createAccumulators,
  initialState,
  instantPredictor,
  mfConfig,
  mfRun,
  parseMfSpec,
} from '../../../src/methods/mf/index.js';
import type { MfData } from '../../../src/methods/mf/index.js';
import { Purpose, streamId } from '../../../src/rng/streams.js';
import { makeDataset } from '../../../src/tasks/dataset.js';
import { backends } from '../../helpers/backends.js';

describe('mf Langevin drift', () => {
  for (const activation of ['erf', 'tanh'] as const) {
    for (const backend of backends) {
      test(`equals grad U by finite differences (${activation}, ${backend.name})`, async () => {
        const spec = parseMfSpec({
          task: { task: 'parity', d: 5, k: 2, P: 25, PTest: 10, seed: 7 },
          network: { N: 4, activation, sigmaW: 1.3, sigmaA: 0.8 },
          solver: { kappa: 0.05, particles: 16, steps: 1, dt: 1e-3, burnIn: 0, seed: 3 },
        });
        const ds = await makeDataset(spec.task, { backend });
        const data: MfData = {
          X: ds.X,
          y: ds.y,
          XTest: ds.XTest,
          yTest: ds.yTest,
          targetTest: null,
        };
        const config = mfConfig(spec, 'prior', { ...ds, nRelevant: 2 });
        const { M, d, P, N, kappa, sigmaW, sigmaA, dt } = config;
        const state = initialState(config, backend);
        const W0 = Float64Array.from(state.W);
        const r = instantPredictor(backend, config, data, state).train.map(
          (f, mu) => ds.y[mu]! - f,
        );
        mfRun(backend, config, data, state, createAccumulators(config), 0, 1);
        const xi = new Float64Array(M * d);
        backend.fillGaussian(config.seed, streamId(Purpose.mfNoise, 0), 0, xi);
        const U = (w: Float64Array): number => {
          let s2 = 0;
          let b = 0;
          for (let mu = 0; mu < P; mu++) {
            let h = 0;
            for (let j = 0; j < d; j++) h += w[j]! * ds.X[mu * d + j]!;
            const phi = activate(activation, h / Math.sqrt(d));
            s2 += phi * phi;
            b += r[mu]! * phi;
          }
          const lam = 1 / sigmaA ** 2 + (N ** -1 / kappa) * s2;
          const beta = (N ** -0.5 / kappa) * b;
          let prior = 0;
          for (let j = 0; j < d; j++) prior += w[j]! ** 2 / (2 * sigmaW ** 2);
          return prior + 0.5 * Math.log(lam) - (beta * beta) / (2 * lam);
        };
        let worst = 0;
        for (let p = 0; p < M; p++) {
          for (let j = 0; j < d; j++) {
            const i = p * d + j;
            const drift = (W0[i]! - state.W[i]! + Math.sqrt(2 * dt) * xi[i]!) / dt;
            const w = W0.slice(p * d, (p + 1) * d);
            const eps = 1e-5;
            w[j] = W0[i]! + eps;
            const up = U(w);
            w[j] = W0[i]! - eps;
            const down = U(w);
            const fd = (up - down) / (2 * eps);
            worst = Math.max(worst, Math.abs(drift - fd) / (1 + Math.abs(fd)));
          }
        }
        // Measured 3e-10 to 8e-10 (finite-difference truncation and rounding); at N = 4 the data
        // terms of U (log Lambda and the tilt) are of the order of the prior term.
        assert.ok(worst < 1e-6, `worst ${worst}`);
      });
    }
  }
});
