/**
 * The native mfRun binding checks every argument (docs/mf.md, "Kernel contract"): wrong types,
 * lengths, NaN or out-of-range config values, misspelled keys and aliased outputs throw JS errors
 * naming the field, never crash, and leave the state and accumulators untouched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NativeAddon } from '../../src/binding.js';
import { loadNative } from '../../src/binding.js';
import type { MfAccumulators, MfData, MfKernelConfig, MfState } from '../../src/backend/types.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { nativeBackend, skipUnlessNative } from '../helpers/backends.js';
import { mfData, mfInitialState, mfKernelConfig, skipUnlessMf } from '../helpers/mf.js';

const skip = skipUnlessNative() || skipUnlessMf(nativeBackend());
const range = { name: 'RangeError', code: 'ERR_MFL_OUT_OF_RANGE' };
const type = { name: 'TypeError', code: 'ERR_MFL_INVALID_TYPE' };

interface Call {
  config: MfKernelConfig;
  data: MfData;
  state: MfState;
  acc: MfAccumulators;
}

function call(): Call {
  const config = mfKernelConfig();
  return {
    config,
    data: mfData(config),
    state: mfInitialState(config),
    acc: createMfAccumulators(config),
  };
}

function addon(): NativeAddon {
  const loaded = loadNative().addon;
  assert.ok(loaded, 'addon vanished');
  return loaded;
}

/** mfRun with `change` applied to a valid call; the (untyped) values go through unchecked. */
function run(change: (c: Call) => Partial<Record<keyof Call, unknown>>, begin = 0, end = 5) {
  const c = call();
  const args = { ...c, ...change(c) } as Call;
  return () => addon().mfRun(args.config, args.data, args.state, args.acc, begin, end);
}

function withConfig(changes: Record<string, unknown>) {
  return run((c) => ({ config: { ...c.config, ...changes } }));
}

test('config: strict keys, types and ranges, each error naming the field', { skip }, () => {
  assert.throws(withConfig({ ardema: 1 }), {
    code: 'ERR_MFL_UNKNOWN_OPTION',
    message: /^config: unknown option "ardema" \(allowed: P, d, PTest, M, N, gamma, kappa,/,
  });
  assert.throws(withConfig({ solve: undefined }), {
    ...type,
    message: /^solve: expected a string, got undefined/,
  });
  assert.throws(withConfig({ P: '40' }), { ...type, message: /^P: expected a number, got "40"/ });
  assert.throws(withConfig({ M: 0 }), {
    ...range,
    message: /^M: must be an integer in \[1, 2\^31 - 1\], got 0/,
  });
  for (const field of ['kappa', 'dt', 'sigmaW', 'sigmaA', 'histRange', 'ardAlpha0', 'ardBeta0']) {
    for (const bad of [NaN, Infinity, 0, -1]) {
      assert.throws(withConfig({ [field]: bad }), {
        ...range,
        message: new RegExp(`^${field}: must be a finite number > 0, got ${bad}`),
      });
    }
  }
  for (const bad of [NaN, 1.5, -0.1]) {
    assert.throws(withConfig({ ardEma: bad }), {
      ...range,
      message: /^ardEma: must be a number in \[0, 1\]/,
    });
  }
  assert.throws(withConfig({ N: 0.5 }), { ...range, message: /^N: must be a finite number >= 1/ });
  assert.throws(withConfig({ N: NaN }), { ...range, message: /^N: must be a finite number >= 1/ });
  assert.throws(withConfig({ gamma: 2 }), { ...range, message: /^gamma: must be a number in/ });
  assert.throws(withConfig({ activation: 'softplus' }), {
    ...range,
    message: /^activation: must be one of "relu", "erf", "tanh", "linear", got "softplus"/,
  });
  assert.throws(withConfig({ solve: 'lu' }), {
    ...range,
    message: /^solve: must be one of "cholesky", "woodbury", got "lu"/,
  });
  assert.throws(withConfig({ ardPrecisions: 'particle' }), {
    ...range,
    message: /^ardPrecisions: must be one of "coordinate", "neuron", got "particle"/,
  });
  assert.throws(withConfig({ ardPrecisions: undefined }), {
    ...type,
    message: /^ardPrecisions: expected a string, got undefined/,
  });
  assert.throws(withConfig({ average: 'both' }), {
    ...range,
    message: /^average: must be one of "kernel", "predictor", got "both"/,
  });
  assert.throws(withConfig({ average: undefined }), {
    ...type,
    message: /^average: expected a string, got undefined/,
  });
  assert.throws(withConfig({ branch: 1.5 }), { ...range, message: /^branch: must be an integer/ });
  assert.throws(withConfig({ seed: -1 }), { ...range, message: /^seed: must be an integer/ });
  assert.throws(withConfig({ burnIn: 60 }), {
    ...range,
    message: /^burnIn: must be an integer in \[0, steps\) \(steps = 60\), got 60/,
  });
  assert.throws(withConfig({ sampleEvery: 0 }), { ...range, message: /^sampleEvery: / });
  assert.throws(withConfig({ nRelevant: 7 }), { ...range, message: /^nRelevant: .*\(d = 6\)/ });
  assert.throws(withConfig({ histBins: 0 }), { ...range, message: /^histBins: / });
  for (const bad of [0, 257, 1.5, -1, NaN]) {
    assert.throws(withConfig({ threads: bad }), {
      ...range,
      message: new RegExp(`^threads: must be an integer in \\[1, 256\\], got ${bad}`),
    });
  }
  assert.throws(withConfig({ threads: undefined }), {
    ...type,
    message: /^threads: expected a number, got undefined/,
  });
  assert.throws(withConfig({ threads: '2' }), {
    ...type,
    message: /^threads: expected a number, got "2"/,
  });
  assert.throws(withConfig({ N: 1e308, gamma: 1, kappa: 10 }), {
    ...range,
    message: /^kappa: must be such that the ridge kappa N\^\(2 gamma - 1\) is finite and > 0/,
  });
  assert.throws(withConfig({ steps: 2 ** 52 }), {
    ...range,
    message: /^steps\*M\*d: must be at most 2\^53/,
  });
  assert.throws(
    run(() => ({ config: null })),
    { ...type, message: /^config: expected an object, got null/ },
  );
});

test('data, state and acc: exact lengths, Float64Array only, finite inputs', { skip }, () => {
  assert.throws(
    run((c) => ({ data: { ...c.data, X: c.data.X.subarray(1) } })),
    {
      ...type,
      message: /^data\.X: expected a Float64Array of length 240 \(P\*d = 40\*6\), got length 239/,
    },
  );
  assert.throws(
    run((c) => ({ data: { ...c.data, y: Float32Array.from(c.data.y) } })),
    {
      ...type,
      message: /^data\.y: expected a Float64Array of length 40 \(P = 40\), got Float32Array/,
    },
  );
  assert.throws(
    run((c) => {
      const y = c.data.y.slice();
      y[3] = NaN;
      return { data: { ...c.data, y } };
    }),
    { ...range, message: /^data\.y\[3\]: must be finite, got NaN/ },
  );
  assert.throws(
    run((c) => ({ data: { ...c.data, targetTest: undefined } })),
    { ...type, message: /^data\.targetTest: expected a Float64Array of length 30/ },
  );
  assert.throws(
    run((c) => {
      const W = c.state.W.slice();
      W[5] = Infinity;
      return { state: { ...c.state, W } };
    }),
    { ...range, message: /^state\.W\[5\]: must be finite, got Infinity/ },
  );
  assert.throws(
    run((c) => ({ state: { ...c.state, rho: new Float64Array(5) } })),
    {
      ...type,
      message: /^state\.rho: expected a Float64Array of length 6 \(d = 6\), got length 5/,
    },
  );
  // Neuron-wise precisions: one rho_pj per particle and coordinate, finite like every state array.
  assert.throws(
    run((c) => ({ config: { ...c.config, ardPrecisions: 'neuron' } })),
    {
      ...type,
      message:
        /^state\.rho: expected a Float64Array of length 288 \(M\*d = 48\*6 \(ardPrecisions "neuron"\)\), got length 6/,
    },
  );
  assert.throws(
    run((c) => {
      const rho = new Float64Array(c.config.M * c.config.d).fill(1);
      rho[200] = NaN;
      return { config: { ...c.config, ardPrecisions: 'neuron' }, state: { ...c.state, rho } };
    }),
    { ...range, message: /^state\.rho\[200\]: must be finite, got NaN/ },
  );
  assert.throws(
    run((c) => ({ state: { W: c.state.W, rho: c.state.rho } })),
    { ...type, message: /^state\.rPrev: expected a Float64Array of length 40/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, series: new Float64Array(27) } })),
    { ...type, message: /^acc\.series: expected a Float64Array of length 28 \(O\*4 = 7\*4\)/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, hist: new Float64Array(60) } })),
    { ...type, message: /^acc\.hist: expected a Float64Array of length 66/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, sampleW: new Float64Array(2303) } })),
    {
      ...type,
      message: /^acc\.sampleW: expected a Float64Array of length 2304 \(S\*M\*d = 8\*48\*6\)/,
    },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, kernelFTrain: new Float64Array(0) } })),
    { ...type, message: /^acc\.kernelFTrain: expected a Float64Array of length 40 \(P = 40\)/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, kernelFTest: undefined } })),
    { ...type, message: /^acc\.kernelFTest: expected a Float64Array of length 30 \(PTest = 30\)/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, kernelFTrain: c.acc.sumFTrain } })),
    { ...range, message: /^acc\.sumFTrain: must be a buffer distinct from acc\.kernelFTrain/ },
  );
  assert.throws(
    run((c) => ({ acc: { ...c.acc, kernelFTest: c.data.yTest } })),
    { ...range, message: /^acc\.kernelFTest: must be a buffer distinct from data\.yTest/ },
  );
  assert.throws(
    run((c) => {
      const shared = new Float64Array(c.acc.sampleW.length + 1);
      return {
        acc: { ...c.acc, sampleW: shared.subarray(1), kernelFTrain: shared.subarray(0, 40) },
      };
    }),
    { ...range, message: /buffer distinct from/ },
  );
  // Average 'predictor' keeps no samples: the three arrays must be empty.
  for (const key of ['sampleW', 'kernelFTrain', 'kernelFTest'] as const) {
    assert.throws(
      run((c) => {
        const config = { ...c.config, average: 'predictor' as const };
        return { config, acc: { ...createMfAccumulators(config), [key]: c.acc[key] } };
      }),
      {
        ...type,
        message: new RegExp(
          `^acc\\.${key}: expected a Float64Array of length 0 \\(average "predictor"\\)`,
        ),
      },
    );
  }
  assert.throws(
    run((c) => ({ acc: { ...c.acc, sumQ: c.state.rho } })),
    { ...range, message: /buffer distinct from/ },
  );
  assert.throws(
    run((c) => ({ state: { ...c.state, rPrev: c.data.y } })),
    { ...range, message: /^state\.rPrev: must be a buffer distinct from data\.y/ },
  );
});

test('step range and onProgress are checked; a valid call still works after', { skip }, () => {
  assert.throws(
    run(() => ({}), 0, 61),
    {
      ...range,
      message:
        /^stepEnd: must be an integer in \[stepBegin, steps\] \(stepBegin = 0, steps = 60\), got 61/,
    },
  );
  assert.throws(
    run(() => ({}), 5, 4),
    { ...range, message: /^stepEnd: / },
  );
  assert.throws(
    run(() => ({}), NaN, 4),
    { ...range, message: /^stepBegin: / },
  );
  const c = call();
  assert.throws(() => addon().mfRunAsync(c.config, c.data, c.state, c.acc, 0, 5, 'soon' as never), {
    ...type,
    message: /^onProgress: expected a function or null, got "soon"/,
  });
  assert.deepEqual(c.acc, createMfAccumulators(c.config), 'a refused call wrote accumulators');
  const result = addon().mfRun(c.config, c.data, c.state, c.acc, 0, 5);
  assert.deepEqual(result, { stepsDone: 5, failure: 'none', failedStep: -1, info: 0 });
});

test("average 'predictor': the empty arrays are accepted", { skip }, () => {
  const config = mfKernelConfig({ average: 'predictor' });
  const acc = createMfAccumulators(config);
  assert.deepEqual(
    [acc.sampleW.length, acc.kernelFTrain.length, acc.kernelFTest.length],
    [0, 0, 0],
  );
  const result = addon().mfRun(config, mfData(config), mfInitialState(config), acc, 0, 60);
  assert.deepEqual(result, { stepsDone: 60, failure: 'none', failedStep: -1, info: 0 });
});
