/**
 * The public network API: prior draws (same network on every backend, right moments), and the
 * checks at the boundary (each class of bad input is a thrown error naming the field).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availableBackends } from '../../src/backend/index.js';
import { forward, lossGradient, sampleNetworkPrior } from '../../src/network/network.js';

const backends = availableBackends();

describe('sampleNetworkPrior', () => {
  test('draws the same network on every backend', () => {
    const nets = backends.map((backend) =>
      sampleNetworkPrior({ N: 16, bias: true }, 7, 3, 2, { backend }),
    );
    for (const net of nets.slice(1)) {
      assert.deepEqual(net.W, nets[0]!.W);
      assert.deepEqual(net.a, nets[0]!.a);
      assert.deepEqual(net.b, nets[0]!.b);
    }
  });

  test('W, a and b have the prior variances (within 5 standard errors)', () => {
    const net = sampleNetworkPrior(
      { N: 4000, sigmaW: 0.5, sigmaA: 2, sigmaB: 3, bias: true },
      25,
      1,
    );
    const cases: [Float64Array, number][] = [
      [net.W, 0.25],
      [net.a, 4],
      [net.b!, 9],
    ];
    for (const [v, variance] of cases) {
      const m2 = v.reduce((s, x) => s + x * x, 0) / v.length;
      // Var(x^2) = 2 sigma^4 for a Gaussian.
      const se = Math.sqrt((2 * variance * variance) / v.length);
      assert.ok(Math.abs(m2 - variance) < 5 * se, `E[x^2] = ${m2}, expected ${variance} +- ${se}`);
    }
  });

  test('different chains draw different networks', () => {
    const a = sampleNetworkPrior({ N: 8 }, 4, 1, 0);
    const b = sampleNetworkPrior({ N: 8 }, 4, 1, 1);
    assert.notDeepEqual(a.W, b.W);
  });
});

describe('boundary checks', () => {
  const net = sampleNetworkPrior({ N: 5, activation: 'tanh' }, 3, 1);
  const X = new Float64Array(12).fill(0.5);
  const y = new Float64Array(4);

  test('spec errors name the field', () => {
    assert.throws(() => sampleNetworkPrior({ N: 0 }, 3, 1), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^N: must be an integer in \[1, 1048576\], got 0/,
    });
    assert.throws(() => sampleNetworkPrior({ N: 4, gamma: 0.3 }, 3, 1), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^gamma: .*\[0.5, 1\]/,
    });
    assert.throws(() => sampleNetworkPrior({ N: 4, sigmaw: 2 } as never, 3, 1), {
      code: 'ERR_MFL_UNKNOWN_OPTION',
      message: /sigmaw.*did you mean "sigmaW"/,
    });
    assert.throws(() => sampleNetworkPrior({ N: 4, activation: 'gelu' } as never, 3, 1), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^activation: must be one of "relu", "erf", "tanh", "linear"/,
    });
    assert.throws(() => sampleNetworkPrior({ N: 4 }, -1, 1), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^d:/,
    });
    assert.throws(() => sampleNetworkPrior({ N: 4 }, 3, 0.5), {
      code: 'ERR_MFL_OUT_OF_RANGE',
      message: /^seed:/,
    });
  });

  for (const backend of backends) {
    test(`bad arrays are rejected before reaching the ${backend.name} backend`, () => {
      const opts = { backend };
      assert.throws(() => forward(net, new Float64Array(13), opts), {
        code: 'ERR_MFL_OUT_OF_RANGE',
        message: /^X: must be a multiple of d = 3/,
      });
      assert.throws(() => forward(net, new Float32Array(12) as never, opts), {
        code: 'ERR_MFL_INVALID_TYPE',
        message: /^X: expected a Float64Array, got Float32Array/,
      });
      const bad = X.slice();
      bad[7] = Number.NaN;
      assert.throws(() => forward(net, bad, opts), { message: /^X\[7\]: must be finite, got NaN/ });
      assert.throws(() => lossGradient(net, X, new Float64Array(5), opts), {
        code: 'ERR_MFL_INVALID_TYPE',
        message: /^y: expected a Float64Array of length 4 \(P = 4\), got Float64Array of length 5/,
      });
      assert.throws(() => forward({ ...net, W: net.W.subarray(1) }, X, opts), {
        message: /^W: expected a Float64Array of length 15 \(N\*d = 5\*3\)/,
      });
      assert.throws(() => forward({ ...net, b: new Float64Array(5) }, X, opts), {
        code: 'ERR_MFL_INVALID_TYPE',
        message: /^b: expected null/,
      });
      // The process keeps running and valid calls still work after the failures.
      const { E, f } = lossGradient(net, X, y, opts);
      assert.equal(E, 0.5 * f.reduce((s, v) => s + v * v, 0));
    });
  }
});

describe('the network argument', () => {
  const net = sampleNetworkPrior({ N: 5, bias: true }, 3, 1);
  const X = new Float64Array(12).map((_, i) => Math.sin(i));
  const y = new Float64Array(4).fill(0.5);

  for (const backend of backends) {
    test(`net, net.spec and net.d are checked before the ${backend.name} backend`, () => {
      const opts = { backend };
      const cases: [unknown, string, RegExp][] = [
        [null, 'MflTypeError', /^net: expected a Network \{spec, d, W, a, b\}/],
        [{ ...net, spec: null }, 'MflTypeError', /^net\.spec: expected an object, got null$/],
        [{ ...net, spec: { ...net.spec, gamma: NaN } }, 'MflRangeError', /^net\.spec\.gamma: /],
        [
          { ...net, spec: { ...net.spec, activation: 'gelu' } },
          'MflRangeError',
          /^net\.spec\.activation: must be one of "relu"/,
        ],
        [{ ...net, spec: { ...net.spec, n: 5 } }, 'MflError', /did you mean "net\.spec\.N"\?$/],
        [{ ...net, d: '3' }, 'MflTypeError', /^net\.d: expected a number, got "3"$/],
        [{ ...net, d: 1.5 }, 'MflRangeError', /^net\.d: must be an integer in \[1, 1048576\]/],
      ];
      for (const [bad, name, message] of cases) {
        assert.throws(() => forward(bad as never, X, opts), { name, message });
        assert.throws(() => lossGradient(bad as never, X, y, opts), { name, message });
      }
    });

    test(`X without rows gives empty outputs on the ${backend.name} backend`, () => {
      const opts = { backend };
      const empty = new Float64Array(0);
      assert.deepEqual(forward(net, empty, opts), new Float64Array(0));
      const g = lossGradient(net, empty, empty, opts);
      assert.equal(g.E, 0);
      assert.deepEqual(g.f, new Float64Array(0));
      assert.deepEqual(g.gW, new Float64Array(15));
      assert.deepEqual(g.ga, new Float64Array(5));
      assert.deepEqual(g.gb, new Float64Array(5));
    });

    test(`a detached X is refused on the ${backend.name} backend`, () => {
      const detached = X.slice();
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      assert.throws(() => forward(net, detached, { backend }), {
        name: 'MflTypeError',
        message: 'X: expected a Float64Array, got one whose buffer was detached',
      });
    });

    test(`fields of net are read once, then checked (${backend.name})`, () => {
      // Reading net.W detaches X; reading it a second time would detach W itself.
      const victims = [X.slice(), net.W.slice()];
      let reads = 0;
      const tricky = {
        ...net,
        get W() {
          const victim = victims[reads++];
          if (victim) structuredClone(victim.buffer, { transfer: [victim.buffer] });
          return victims[1]!;
        },
      };
      assert.throws(() => forward(tricky, victims[0]!, { backend }), { message: /^X: / });
      assert.equal(reads, 1);
      // An accessor that only detaches memory nobody checks leaves a correct result.
      let count = 0;
      const spare = new Float64Array(4);
      const honest = {
        ...net,
        get a() {
          count++;
          structuredClone(spare.buffer, { transfer: [spare.buffer] });
          return net.a;
        },
      };
      assert.deepEqual(forward(honest, X, { backend }), forward(net, X, { backend }));
      assert.equal(count, 1);
    });
  }
});
