/**
 * Scales at the edges of what the specs accept: every accepted spec gives finite results, and
 * every value that would overflow a derived quantity (a spectrum, a ridge, beta0, a weight-decay
 * sigma, the labels) is refused with an error naming the field and what is allowed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanField, parseMfSpec } from '../../src/methods/mf/index.js';
import { solveKt } from '../../src/methods/nngp/eigen.js';
import { learningCurve, nngp } from '../../src/methods/nngp/run.js';
import { hypercubeSpectrum } from '../../src/methods/nngp/spectrum.js';
import { parseSgldSpec } from '../../src/methods/sgld/spec.js';
import { sampleNetworkPrior } from '../../src/network/network.js';
import { parseNetworkSpec } from '../../src/network/spec.js';
import { parseTaskSpec } from '../../src/tasks/spec.js';
import { backends } from '../helpers/backends.js';

const parity = { task: 'parity', d: 5, k: 2, P: 10, PTest: 10 } as const;
const singleIndex = { task: 'single-index', d: 5, k: 2, P: 10, PTest: 10 } as const;
const range = (message: RegExp) => ({
  name: 'MflRangeError',
  code: 'ERR_MFL_OUT_OF_RANGE',
  message,
});

function assertFinite(values: Record<string, unknown>, what: string): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === null) continue;
    assert.ok(Number.isFinite(value), `${what}: ${key} = ${String(value)}`);
  }
}

describe('nngp eigen at extreme prior scales', { timeout: 20_000 }, () => {
  test('an overflowing spectrum is refused naming the larger prior scale', async () => {
    await assert.rejects(
      nngp({
        task: singleIndex,
        network: { sigmaB: 1e8, bias: true },
        kappa: 0.01,
        method: 'eigen',
      }),
      range(/^network\.sigmaB: must be small enough for the kernel's spectrum to be finite/),
    );
    assert.throws(
      () =>
        learningCurve(
          { task: singleIndex, network: { sigmaB: 1e8, bias: true }, kappa: 0.01 },
          [10],
        ),
      range(/^network\.sigmaB: /),
    );
  });

  test('huge sigmaW, tiny sigmaA and tiny kappa give finite results', async () => {
    const specs = [
      { task: parity, network: { sigmaW: 1e150, bias: true }, kappa: 0.01 },
      { task: parity, network: { sigmaA: 1e-150 }, kappa: 0.01 },
      { task: parity, network: { sigmaA: 1e150 }, kappa: 0.01 },
      { task: parity, kappa: 5e-324 },
    ];
    for (const spec of specs) {
      const r = await nngp({ ...spec, method: 'eigen' });
      assert.equal(r.method, 'eigen');
      const { testMse, trainMse, mS, kt, E0 } = r as typeof r & { kt: number; E0: number };
      assertFinite({ testMse, trainMse, mS, kt, E0 }, JSON.stringify(spec));
      for (const point of learningCurve(spec, [1, 1e3, 1e9])) {
        assertFinite({ ...point }, `${JSON.stringify(spec)} at P = ${point.P}`);
      }
    }
  });

  test('a ridge that overflows is refused naming sigmaA', async () => {
    await assert.rejects(
      nngp({ task: parity, network: { sigmaA: 1e-150 }, kappa: 1e100, method: 'eigen' }),
      range(/^network\.sigmaA: must be such that the ridge .* is finite and > 0/),
    );
  });

  test('solveKt refuses a non-finite spectrum instead of bisecting forever', () => {
    const s = hypercubeSpectrum({ kernel: 'relu', d: 4, sigmaW: 1, sigmaB: 1, bias: false });
    const infinite = { ...s, eigenvalues: s.eigenvalues.map((x, l) => (l === 1 ? Infinity : x)) };
    assert.throws(() => solveKt(infinite, 0.01, 10), range(/^spectrum: /));
    assert.throws(() => solveKt(s, Infinity, 10), range(/^ridge: /));
  });
});

describe('spec bounds on scales', () => {
  test('labelNoise above 1e150 is refused', () => {
    assert.throws(
      () => parseTaskSpec({ ...parity, labelNoise: 1.79e308 }),
      range(/^labelNoise: must be a finite number in \[0, 1e\+150\], got 1\.79e\+308$/),
    );
  });

  test('prior standard deviations outside [1e-150, 1e150] are refused', () => {
    assert.throws(
      () => parseNetworkSpec({ N: 2, sigmaB: 1e308 }),
      range(/^sigmaB: must be a finite number in \[1e-150, 1e\+150\], got 1e\+308$/),
    );
    assert.throws(() => parseNetworkSpec({ N: 2, sigmaW: 1e-190 }), range(/^sigmaW: /));
  });

  test('the prior at the bounds samples finite weights', () => {
    for (const backend of backends) {
      for (const sd of [1e-150, 1e150]) {
        const spec = { N: 64, bias: true, sigmaW: sd, sigmaA: sd, sigmaB: sd };
        const net = sampleNetworkPrior(spec, 8, 1, 0, { backend });
        for (const key of ['W', 'a', 'b'] as const) {
          assert.ok(net[key]!.every(Number.isFinite), `${backend.name} ${key} at ${sd}`);
        }
      }
    }
  });

  test('mf: a default beta0 = alpha0 sigmaW^2 that overflows is refused naming alpha0', () => {
    const spec = (ard: unknown) => ({
      task: parity,
      network: { N: 2, sigmaW: 1e150 },
      solver: { kappa: 1, ard },
    });
    assert.throws(
      () => parseMfSpec(spec({ alpha0: 1e10 })),
      range(
        /^solver\.ard\.alpha0: must be such that the default beta0 = alpha0 sigmaW\^2 is finite/,
      ),
    );
    assert.equal(parseMfSpec(spec(true)).solver.ard?.beta0, 1e150 ** 2);
    assert.equal(parseMfSpec(spec({ alpha0: 1e10, beta0: 2 })).solver.ard?.beta0, 2);
  });

  test('mf: plain MF names sigmaW, not the internal ardBeta0, at tiny sigmaW', async () => {
    const spec = (sigmaW: number) => ({
      task: { ...parity, P: 4, PTest: 4 },
      network: { N: 4, sigmaW },
      solver: { kappa: 0.1, steps: 4, particles: 4 },
    });
    await assert.rejects(meanField(spec(1e-190)), range(/^network\.sigmaW: /));
    // Accepted, but rho = 1 / sigmaW^2 = 1e300 makes every explicit step diverge: said so.
    await assert.rejects(meanField(spec(1e-150)), { code: 'ERR_MFL_DIVERGED', message: /dt/ });
  });

  test('sgld: a weight decay whose sigma = sqrt(kappa / lambda) leaves the bounds is refused', () => {
    const spec = (kappa: number, W: number) => ({
      task: parity,
      network: { N: 2 },
      sampler: { kappa, steps: 10, weightDecay: { W } },
    });
    assert.throws(
      () => parseSgldSpec(spec(1e300, 1e-10)),
      range(/^sampler\.weightDecay\.W: must be a number with sigma = sqrt\(kappa \/ lambda\) in/),
    );
    assert.throws(() => parseSgldSpec(spec(1e-300, 1e300)), range(/^sampler\.weightDecay\.W: /));
    assert.equal(parseSgldSpec(spec(1, 1e-10)).network.sigmaW, Math.sqrt(1e10));
  });
});

test('the binding refuses a label noise above 1e150', (t) => {
  const native = backends.find((b) => b.name === 'native');
  if (!native) {
    t.skip('native backend unavailable');
    return;
  }
  const X = new Float64Array(6);
  const y = new Float64Array(2);
  const params = { kind: 'parity', d: 3, k: 1, labelNoise: 1e300, seed: 0 } as const;
  assert.throws(() => native.generateTaskRows(params, { X, y, rowOffset: 0, test: false }), {
    code: 'ERR_MFL_OUT_OF_RANGE',
    message: /^labelNoise: must be a number in \[0, 1e150\], got 1e\+300$/,
  });
});
