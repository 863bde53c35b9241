#!/usr/bin/env node
/**
 * Full (w, a) particles versus the Rao-Blackwellised solver (docs/mf.md, "Why Rao-Blackwellised
 * is the default"). The full variant is written out here, in plain loops, only for this
 * measurement: M particles (w_p, a_p) under Langevin dynamics in prior x exp(-V(w, a)) with the
 * instantaneous mean field fbar = N^(1-gamma) mean_p a_p phi(w_p) (THEORY.md section 6).
 *
 * For each width N and time step dt (same physical time, same M) it reports the wall time and
 * the distance of each variant's time-averaged training predictor (second half of the run) to a
 * reference solution (Rao-Blackwellised, 4 M particles, 4 times longer), relative to |y|.
 *
 *   node scripts/mf-variants.mjs [--N 16,256,4096] [--particles 512] [--time 4]
 */
import { Command } from 'commander';
import { getBackend, makeDataset, meanField, Purpose, streamId } from '../dist/src/index.js';

const list = (text) => text.split(',').map(Number);
const o = new Command('mf-variants')
  .option('--N <list>', 'widths', list, [16, 256, 4096])
  .option('--d <int>', 'input dimension', Number, 8)
  .option('--k <int>', 'parity order', Number, 2)
  .option('--P <int>', 'training samples', Number, 60)
  .option('--kappa <x>', 'noise level', Number, 0.05)
  .option('--particles <int>', 'particles M of both variants', Number, 512)
  .option('--time <x>', 'physical time of each run (steps = time / dt)', Number, 4)
  .option('--seed <int>', 'data and solver seed', Number, 1)
  .parse()
  .opts();

const backend = getBackend();
const data = await makeDataset({ task: 'parity', d: o.d, k: o.k, P: o.P, PTest: 0, seed: o.seed });
const { X, y, P, d } = data;
const yNorm = Math.sqrt(y.reduce((s, v) => s + v * v, 0));
const relu = (h) => (h > 0 ? h : 0);

/** Full (w, a) particles; returns the time-averaged training predictor (null: non-finite). */
function fullParticles(N, dt, steps, M) {
  const gamma = 0.5;
  const c = N ** (-2 * gamma) / o.kappa;
  const e = N ** -gamma / o.kappa;
  const scale = N ** (1 - gamma) / M;
  const W = new Float64Array(M * d);
  const a = new Float64Array(M);
  backend.fillGaussian(o.seed, streamId(Purpose.mfInit, 7), 0, W);
  backend.fillGaussian(o.seed, streamId(Purpose.mfInit, 8), 0, a);
  const H = new Float64Array(M * P);
  const xi = new Float64Array(M * (d + 1));
  const burn = Math.floor(steps / 2);
  const sum = new Float64Array(P);
  const sumSq = new Float64Array(P);
  let n = 0;
  const sqd = 1 / Math.sqrt(d);
  for (let t = 0; t < steps; t++) {
    backend.gemm({ transA: false, transB: true, M, N: P, K: d, alpha: sqd, beta: 0 }, W, X, H);
    const f = new Float64Array(P);
    for (let p = 0; p < M; p++) {
      for (let mu = 0; mu < P; mu++) f[mu] += scale * a[p] * relu(H[p * P + mu]);
    }
    if (!f.every(Number.isFinite)) return null;
    if (t >= burn) {
      for (let mu = 0; mu < P; mu++) {
        sum[mu] += f[mu];
        sumSq[mu] += f[mu] * f[mu];
      }
      n += 1;
    }
    const r = Float64Array.from(y, (v, mu) => v - f[mu]);
    backend.fillGaussian(o.seed, streamId(Purpose.mfNoise, 7), t * M * (d + 1), xi);
    const noise = Math.sqrt(2 * dt);
    for (let p = 0; p < M; p++) {
      let rphi = 0;
      let phi2 = 0;
      const gw = new Float64Array(d);
      for (let mu = 0; mu < P; mu++) {
        const h = H[p * P + mu];
        const phi = relu(h);
        rphi += r[mu] * phi;
        phi2 += phi * phi;
        if (h > 0) {
          const g = (-e * a[p] * r[mu] + c * a[p] * a[p] * phi) * sqd;
          for (let j = 0; j < d; j++) gw[j] += g * X[mu * d + j];
        }
      }
      const ga = a[p] - e * rphi + c * a[p] * phi2;
      for (let j = 0; j < d; j++) {
        const i = p * d + j;
        W[i] += -dt * (W[i] + gw[j]) + noise * xi[p * (d + 1) + j];
      }
      a[p] += -dt * ga + noise * xi[p * (d + 1) + d];
    }
  }
  return summarise(sum, sumSq, n);
}

function summarise(sum, sumSq, n) {
  const mean = Float64Array.from(sum, (s) => s / n);
  let variance = 0;
  for (let mu = 0; mu < P; mu++) variance += sumSq[mu] / n - mean[mu] ** 2;
  return { mean, noise: Math.sqrt(Math.max(variance, 0)) / yNorm };
}

async function raoBlackwellised(N, dt, steps, M) {
  try {
    const r = await meanField(
      {
        task: { task: 'parity', d: o.d, k: o.k, P: o.P, PTest: 0, seed: o.seed },
        network: { N },
        solver: { kappa: o.kappa, steps, dt, particles: M, seed: o.seed, sampleEvery: 1 },
      },
      { backend },
    );
    const mean = r.predictions('train');
    if (!mean.every(Number.isFinite)) return null;
    // The time average's per-step spread is not in the result; the series' stepChange is.
    return { mean, noise: r.convergence.stepChange };
  } catch {
    return null;
  }
}

const distance = (u, v) => Math.sqrt(u.reduce((s, x, i) => s + (x - v[i]) ** 2, 0)) / yNorm;

const dts = [0.02, 0.005, 0.00125, 0.0003];
console.log('N, variant, dt, steps, seconds, |fbar - reference| / |y| (null: non-finite)');
for (const N of o.N) {
  const reference = await raoBlackwellised(
    N,
    0.005,
    Math.round((4 * o.time) / 0.005),
    4 * o.particles,
  );
  for (const [name, run] of [
    ['full (w, a)', (dt, steps) => fullParticles(N, dt, steps, o.particles)],
    ['Rao-Blackwellised', (dt, steps) => raoBlackwellised(N, dt, steps, o.particles)],
  ]) {
    for (const dt of dts) {
      const steps = Math.round(o.time / dt);
      const started = Date.now();
      const result = await run(dt, steps);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const dist = result ? distance(result.mean, reference.mean).toPrecision(3) : 'null';
      console.log(`${N}, ${name}, ${dt}, ${steps}, ${seconds}, ${dist}`);
    }
  }
}
