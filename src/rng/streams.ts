/**
 * Stream ids for the counter-based generator: `purpose * 2^32 + index` (docs/rng.md).
 * Mirrors native/core/streams.hpp; one stream is used for one kind of draw only.
 */
export const Purpose = {
  trainInputs: 1,
  trainLabelNoise: 2,
  testInputs: 3,
  testLabelNoise: 4,
  paramInit: 16,
  sgldNoise: 17,
  minibatch: 18,
  malaAccept: 19,
  /** BAOAB's O-step noise (docs/sgld.md); index = chain. */
  baoabNoise: 20,
  /** BAOAB's initial momentum (docs/sgld.md); index = chain. */
  momentumInit: 21,
  /** Mean-field initial particles (docs/mf.md); index = branch (0 prior, 1 aligned). */
  mfInit: 32,
  /** Mean-field Langevin noise (docs/mf.md); index = branch. */
  mfNoise: 33,
} as const;

export type PurposeName = keyof typeof Purpose;

const TWO_POW_32 = 2 ** 32;

/** The stream id of draw kind `purpose` for chain, particle block or dataset `index`. */
export function streamId(purpose: number, index = 0): number {
  return purpose * TWO_POW_32 + index;
}
