/**
 * The binding reads every property of its options objects before it views any typed array, so JS
 * that runs while the arguments are read (an accessor, a Proxy trap) cannot detach or shrink an
 * array the kernel then uses; and a resizable buffer cannot pass for a fixed-length one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NativeAddon } from '../../src/binding.js';
import { loadNative } from '../../src/binding.js';
import { createMfAccumulators } from '../../src/methods/mf/layout.js';
import { createSgldAccumulators } from '../../src/methods/sgld/layout.js';
import { mfData, mfInitialState, mfKernelConfig } from '../helpers/mf.js';
import { initialState, sgldConfig, sgldData } from '../helpers/sgld.js';

const addon = loadNative().addon;
const skip = addon ? false : `native addon unavailable: ${loadNative().error}`;
const native = (): NativeAddon => addon!;

/** Detaches `array`'s buffer (its memory moves to a clone that is then dropped). */
function detach(array: Float64Array): void {
  const buffer = array.buffer as ArrayBuffer;
  structuredClone(buffer, { transfer: [buffer] });
}

/** Resizable buffers are ES2024; the compiled library target is older. */
interface ResizableBuffer extends ArrayBuffer {
  resize(bytes: number): void;
}
const Resizable = ArrayBuffer as unknown as new (
  bytes: number,
  options: { maxByteLength: number },
) => ResizableBuffer;

/** A copy of `array` over a resizable buffer; `disguised`: with an own `resizable: false`. */
function resizableCopy(array: Float64Array, disguised = false): Float64Array {
  const buffer = new Resizable(array.byteLength, { maxByteLength: 2 * array.byteLength + 8 });
  if (disguised) Object.defineProperty(buffer, 'resizable', { value: false });
  const out = new Float64Array(buffer);
  out.set(array);
  return out;
}

/** `object` with `key` turned into an accessor that runs `effect` and returns the value. */
function withAccessor<T extends object>(object: T, key: keyof T, effect: () => void): T {
  const value = object[key];
  return Object.defineProperty({ ...object }, key, {
    enumerable: true,
    get: () => {
      effect();
      return value;
    },
  });
}

function sgldCall() {
  const config = sgldConfig();
  return {
    config,
    data: sgldData(config),
    state: initialState(config),
    acc: createSgldAccumulators(config),
  };
}

function mfCall() {
  const config = mfKernelConfig();
  return {
    config,
    data: mfData(config),
    state: mfInitialState(config),
    acc: createMfAccumulators(config),
  };
}

const detachedX = {
  name: 'TypeError',
  code: 'ERR_MFL_INVALID_TYPE',
  message: /^data\.X: .*detached/,
};

test(
  'sgldRun: an accessor in state or acc that detaches data.X is an error about data.X',
  { skip },
  () => {
    for (const where of ['state', 'acc'] as const) {
      const c = sgldCall();
      const key = where === 'state' ? 'a' : 'series';
      const args = { ...c, [where]: withAccessor(c[where], key as never, () => detach(c.data.X)) };
      assert.throws(
        () => native().sgldRun(args.config, args.data, args.state, args.acc, 0, 1),
        detachedX,
        where,
      );
    }
  },
);

test('sgldRun: an accessor in acc that shrinks state.W is an error about state.W', { skip }, () => {
  const c = sgldCall();
  const W = resizableCopy(c.state.W);
  const acc = withAccessor(c.acc, 'series', () => (W.buffer as ResizableBuffer).resize(0));
  assert.throws(() => native().sgldRun(c.config, c.data, { ...c.state, W }, acc, 0, 1), {
    name: 'TypeError',
    code: 'ERR_MFL_INVALID_TYPE',
    message: /^state\.W: expected a Float64Array of length \d+ .*got length 0$/,
  });
});

test(
  'mfRun: an accessor in state or acc that detaches data.X is an error about data.X',
  { skip },
  () => {
    for (const where of ['state', 'acc'] as const) {
      const c = mfCall();
      const key = where === 'state' ? 'rPrev' : 'series';
      const args = { ...c, [where]: withAccessor(c[where], key as never, () => detach(c.data.X)) };
      assert.throws(
        () => native().mfRun(args.config, args.data, args.state, args.acc, 0, 1),
        detachedX,
        where,
      );
    }
  },
);

test(
  'mfRun: a Proxy over acc that detaches data.X in its get trap is an error about data.X',
  { skip },
  () => {
    const c = mfCall();
    const acc = new Proxy(c.acc, {
      get: (target, key) => {
        detach(c.data.X);
        return Reflect.get(target, key);
      },
    });
    assert.throws(() => native().mfRun(c.config, c.data, c.state, acc, 0, 1), detachedX);
  },
);

const notFixed = (field: string) => ({
  name: 'TypeError',
  code: 'ERR_MFL_INVALID_TYPE',
  message: new RegExp(
    `^${field.replace('.', '\\.')}: expected a typed array over a fixed-length ArrayBuffer`,
  ),
});

test('async jobs refuse a resizable buffer with an own `resizable: false`', { skip }, () => {
  const s = sgldCall();
  const W = resizableCopy(s.state.W, true);
  assert.throws(
    () => native().sgldRunAsync(s.config, s.data, { ...s.state, W }, s.acc, 0, 1, null),
    notFixed('state.W'),
  );
  const m = mfCall();
  const series = resizableCopy(m.acc.series, true);
  assert.throws(
    () => native().mfRunAsync(m.config, m.data, m.state, { ...m.acc, series }, 0, 1, null),
    notFixed('acc.series'),
  );
  const task = {
    kind: 'parity' as const,
    d: 3,
    k: 2,
    labelNoise: 0,
    seed: 1,
    test: false,
    rowOffset: 0,
  };
  const X = resizableCopy(new Float64Array(6), true);
  assert.throws(
    () => native().generateTaskRowsAsync(task, X, new Float64Array(2), null),
    notFixed('X'),
  );
});

test(
  'async jobs refuse a resizable buffer even with the prototype getter replaced',
  { skip },
  () => {
    const s = sgldCall();
    const W = resizableCopy(s.state.W);
    const original = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable')!;
    Object.defineProperty(ArrayBuffer.prototype, 'resizable', {
      configurable: true,
      get: () => false,
    });
    try {
      assert.throws(
        () => native().sgldRunAsync(s.config, s.data, { ...s.state, W }, s.acc, 0, 1, null),
        notFixed('state.W'),
      );
    } finally {
      Object.defineProperty(ArrayBuffer.prototype, 'resizable', original);
    }
  },
);
