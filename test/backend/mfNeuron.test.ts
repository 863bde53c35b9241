/**
 * Neuron-wise MF-ARD precisions (THEORY.md section 7, docs/mf.md "MF-ARD"): each particle carries
 * its own rho_pj, updated from its own weight. ema 0 leaves plain MF bit for bit; ema 1 sets
 * rho_pj to the conditional mean (alpha0 + 1/2) / (beta0 + w_pj^2 / 2) exactly; and where the
 * data terms vanish (N = 1e8, gamma = 1) the particles sample the Student-t marginal prior.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends, nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { assertBitIdentical } from '../helpers/compare.js';
import { mfData, mfKernelConfig, runMf, skipUnlessMf } from '../helpers/mf.js';

for (const backend of backends) {
  const tag = `[${backend.name}]`;
  const skip = skipUnlessMf(backend);

  test(`neuron-wise with ema 0 is plain MF bit for bit ${tag}`, { skip }, () => {
    const config = mfKernelConfig({ sigmaW: 0.8 });
    const data = mfData(config);
    const plain = runMf(backend, config, data);
    const neuron = runMf(backend, { ...config, ardPrecisions: 'neuron', ardAlpha0: 3 }, data);
    assertBitIdentical(neuron.state.W, plain.state.W, 'state.W');
    assertBitIdentical(neuron.state.rPrev, plain.state.rPrev, 'state.rPrev');
    for (const key of Object.keys(plain.acc) as (keyof typeof plain.acc)[]) {
      assertBitIdentical(neuron.acc[key], plain.acc[key], `acc.${key}`);
    }
    assert.equal(neuron.state.rho.length, config.M * config.d);
    assert.ok(neuron.state.rho.every((r) => r === 1 / 0.8 ** 2));
  });

  test(
    `neuron-wise with ema 1: rho_pj = (alpha0 + 1/2) / (beta0 + w_pj^2 / 2) ${tag}`,
    { skip },
    () => {
      const config = mfKernelConfig({
        ardPrecisions: 'neuron',
        ardEma: 1,
        ardAlpha0: 2,
        ardBeta0: 0.7,
      });
      const { state } = runMf(backend, config, mfData(config));
      state.W.forEach((w, i) => {
        assert.equal(state.rho[i], 2.5 / (0.7 + 0.5 * (w * w)), `rho[${i}]`);
      });
    },
  );
}

/**
 * Density of one weight under the marginal prior, up to a constant: integrating rho_pj ~
 * Gamma(alpha0, beta0) out of N(0, 1/rho_pj) leaves (beta0 + w^2 / 2)^-(alpha0 + 1/2).
 */
function studentFraction(alpha0: number, beta0: number, x: number): number {
  // w = tan(theta) maps the line onto (-pi/2, pi/2); Simpson's rule on a smooth integrand.
  const density = (theta: number): number => {
    const w = Math.tan(theta);
    return (beta0 + (w * w) / 2) ** -(alpha0 + 0.5) / Math.cos(theta) ** 2;
  };
  const integral = (a: number, b: number): number => {
    const n = 20000;
    const h = (b - a) / n;
    let s = density(a) + density(b);
    for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * density(a + i * h);
    return (s * h) / 3;
  };
  const edge = Math.PI / 2 - 1e-9;
  return integral(-Math.atan(x), Math.atan(x)) / integral(-edge, edge);
}

test(
  'without data the particles sample the Student-t prior, not a Gaussian [native]',
  {
    skip: skipUnlessNative() || skipUnlessMf(nativeBackend()),
  },
  (t) => {
    const backend = nativeBackend();
    assert.ok(backend, 'native backend vanished');
    // N = 1e8 and gamma = 1 make the data terms c ~ 1e-16 / kappa and e ~ 1e-8 / kappa negligible:
    // each weight then follows Langevin dynamics on -log of its marginal prior, a Student-t with
    // 2 alpha0 = 6 degrees of freedom and scale sqrt(beta0 / alpha0), variance beta0 / (alpha0 - 1)
    // = 1. Time 20 from N(0, 1) particles; dt = 0.005 biases the variance by about 0.5%.
    const config = mfKernelConfig({
      N: 1e8,
      gamma: 1,
      M: 4096,
      d: 2,
      nRelevant: 1,
      P: 8,
      steps: 4000,
      burnIn: 3999,
      dt: 0.005,
      ardPrecisions: 'neuron',
      ardEma: 1,
      ardAlpha0: 3,
      ardBeta0: 2,
    });
    const { state } = runMf(backend, config, mfData(config));
    // The particles are independent (no data coupling): a binomial proportion over M d values.
    const n = state.W.length;
    const inside = state.W.filter((w) => Math.abs(w) < 1).length / n;
    const expected = studentFraction(3, 2, 1);
    const se = Math.sqrt((expected * (1 - expected)) / n);
    // A Gaussian of the same variance has P(|w| < 1) = 0.683, about 10 standard errors away.
    t.diagnostic(`P(|w| < 1) = ${inside}, Student-t ${expected.toFixed(4)}, SE ${se.toFixed(4)}`);
    assert.ok(expected > 0.72 && expected < 0.75, `Student-t fraction ${expected}`);
    assert.ok(
      Math.abs(inside - expected) < 4 * se,
      `P(|w| < 1) = ${inside}, Student-t ${expected}, tolerance 4 SE = ${4 * se}`,
    );
  },
);
