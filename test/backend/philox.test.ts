/** Philox4x32-10 against Random123's known answers (docs/rng.md) and a BigInt oracle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { philoxReference } from '../helpers/philoxReference.js';
import { TestRng } from '../helpers/random.js';

const KNOWN_ANSWERS: { counter: number[]; key: number[]; output: number[] }[] = [
  {
    counter: [0, 0, 0, 0],
    key: [0, 0],
    output: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    output: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    output: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

for (const backend of backends) {
  test(`philox4x32 reproduces the Random123 known-answer vectors [${backend.name}]`, () => {
    for (const { counter, key, output } of KNOWN_ANSWERS) {
      const got = backend.philox4x32(Uint32Array.from(counter), Uint32Array.from(key));
      assert.deepEqual(Array.from(got), output, `counter ${counter.map((v) => v.toString(16))}`);
    }
  });

  test(`philox4x32 equals a BigInt reference on random counters and keys [${backend.name}]`, () => {
    const rng = new TestRng(11);
    const words = rng.uniform(6 * 2000);
    for (let t = 0; t < 2000; t++) {
      const w = Array.from(words.subarray(6 * t, 6 * t + 6), (u) => Math.floor(u * 2 ** 32));
      const counter = w.slice(0, 4);
      const key = w.slice(4);
      const got = backend.philox4x32(Uint32Array.from(counter), Uint32Array.from(key));
      assert.deepEqual(Array.from(got), Array.from(philoxReference(counter, key)));
    }
  });
}
