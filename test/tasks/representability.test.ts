/**
 * representabilityWarnings: the rule, written out as a table per activation and bias, checked
 * twice: against the warnings, and against the network itself (the degree-k component of a random
 * network is zero exactly where the rule says it is missing: Walsh coefficients by enumeration of
 * the hypercube, Hermite coefficients by quadrature on a symmetric grid).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hermite } from '../../src/backend/js/tasks.js';
import { forward, sampleNetworkPrior } from '../../src/network/network.js';
import type { Activation } from '../../src/backend/types.js';
import { representabilityWarnings } from '../../src/tasks/index.js';

const DEGREES = [0, 1, 2, 3, 4, 5, 6];

/** The degrees k <= 6 the rule declares unrepresentable, per activation and bias. */
const MISSING: Record<Activation, { noBias: number[]; bias: number[] }> = {
  relu: { noBias: [3, 5], bias: [] },
  erf: { noBias: [0, 2, 4, 6], bias: [] },
  tanh: { noBias: [0, 2, 4, 6], bias: [] },
  linear: { noBias: [0, 2, 3, 4, 5, 6], bias: [2, 3, 4, 5, 6] },
};

const CASES = (Object.keys(MISSING) as Activation[]).flatMap((activation) =>
  [false, true].map((bias) => ({
    activation,
    bias,
    missing: MISSING[activation][bias ? 'bias' : 'noBias'],
  })),
);

describe('representabilityWarnings', () => {
  for (const task of ['parity', 'single-index'] as const) {
    for (const { activation, bias, missing } of CASES) {
      test(`${task}, ${activation}${bias ? ' + bias' : ''}: warns exactly for k in [${missing.join(', ')}]`, () => {
        for (const k of DEGREES) {
          const warnings = representabilityWarnings({ task, d: 8, k, P: 10 }, { activation, bias });
          assert.equal(warnings.length, missing.includes(k) ? 1 : 0, `k = ${k}`);
        }
      });
    }
  }

  test('the warning names the target, the network, the reason and the fix', () => {
    const [parity] = representabilityWarnings(
      { task: 'parity', d: 10, k: 3, P: 80 },
      { activation: 'relu', bias: false },
    );
    assert.match(parity!, /parity target .* order k = 3/);
    assert.match(parity!, /this network \(relu, no bias\)/);
    assert.match(parity!, /only degree 1 and even degrees/);
    assert.match(parity!, /Fix: add a bias \(network\.bias: true; --bias\)/);
    assert.match(parity!, /--activation erf/);

    const [hermiteWarning] = representabilityWarnings(
      { task: 'single-index', d: 8, k: 2, P: 80 },
      { activation: 'tanh' },
    );
    assert.match(hermiteWarning!, /He_2\(x_1\)/);
    assert.match(hermiteWarning!, /tanh is odd/);
    assert.match(hermiteWarning!, /--activation relu/);
  });

  test('defaults are the network spec defaults (relu, no bias); custom data is never warned', () => {
    assert.equal(representabilityWarnings({ task: 'parity', d: 6, k: 3, P: 10 }).length, 1);
    assert.equal(representabilityWarnings({ task: 'parity', d: 6, k: 4, P: 10 }).length, 0);
    assert.deepEqual(representabilityWarnings({ task: 'custom', train: 'x.csv' }, {}), []);
  });
});

/** Components below this are zero (rounding); above 1e-6 they are present. */
const ZERO = 1e-12;
const PRESENT = 1e-6;

function network(activation: Activation, bias: boolean, d: number) {
  return sampleNetworkPrior({ N: 8, activation, bias }, d, 7, 0, { backend: 'js' });
}

/** The Walsh coefficient of f on chi_{1..k} over all of {-1,+1}^d. */
function walshCoefficient(activation: Activation, bias: boolean, d: number, k: number): number {
  const rows = 2 ** d;
  const X = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) X[r * d + j] = (r >> j) & 1 ? -1 : 1;
  const f = forward(network(activation, bias, d), X, { backend: 'js' });
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let chi = 1;
    for (let j = 0; j < k; j++) chi *= X[r * d + j]!;
    sum += f[r]! * chi;
  }
  return sum / rows;
}

/** E[f(x) He_k(x)] / sqrt(k!) for x ~ N(0, 1), d = 1, by the trapezoid rule on [-12, 12]
 *  (spectrally accurate for these integrands; the symmetric grid cancels odd products exactly). */
function hermiteCoefficient(activation: Activation, bias: boolean, k: number): number {
  const n = 4801;
  const h = 24 / (n - 1);
  const X = Float64Array.from({ length: n }, (_, i) => -12 + i * h);
  const f = forward(network(activation, bias, 1), X, { backend: 'js' });
  let factorial = 1;
  for (let j = 2; j <= k; j++) factorial *= j;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = X[i]!;
    sum += f[i]! * hermite(k, x) * Math.exp((-x * x) / 2);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI) / Math.sqrt(factorial);
}

describe('the rule matches the network: degree-k components vanish exactly where it warns', () => {
  for (const { activation, bias, missing } of CASES) {
    const label = `${activation}${bias ? ' + bias' : ''}`;
    test(`parity (d = 6, exact enumeration), ${label}`, () => {
      for (const k of DEGREES) {
        const c = Math.abs(walshCoefficient(activation, bias, 6, k));
        if (missing.includes(k)) assert.ok(c < ZERO, `k = ${k}: |coefficient| = ${c}`);
        else assert.ok(c > PRESENT, `k = ${k}: |coefficient| = ${c}`);
      }
    });
    test(`single-index (Gaussian quadrature), ${label}`, () => {
      for (const k of DEGREES) {
        const c = Math.abs(hermiteCoefficient(activation, bias, k));
        if (missing.includes(k)) assert.ok(c < ZERO, `k = ${k}: |coefficient| = ${c}`);
        else assert.ok(c > PRESENT, `k = ${k}: |coefficient| = ${c}`);
      }
    });
  }
});
