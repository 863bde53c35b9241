// Counter-based random numbers: Philox4x32-10 with Box-Muller Gaussians.
// The exact algorithm is specified in docs/rng.md; src/backend/js/rng.ts is its bit-identical twin.
#pragma once
#include <array>
#include <cstdint>

namespace mfl {

using PhiloxBlock = std::array<uint32_t, 4>;

// One Philox4x32-10 evaluation.
PhiloxBlock philox4x32(PhiloxBlock counter, std::array<uint32_t, 2> key);

// Block `block` of stream (seed, stream); all three are integers in [0, 2^53).
PhiloxBlock rngBlock(uint64_t seed, uint64_t stream, uint64_t block);

// Values [offset, offset + n) of the uniform [0,1) / Gaussian N(0,1) sequence of (seed, stream).
void fillUniform(uint64_t seed, uint64_t stream, uint64_t offset, double* out, int64_t n);
void fillGaussian(uint64_t seed, uint64_t stream, uint64_t offset, double* out, int64_t n);

// Deterministic elementary functions used by Box-Muller (docs/rng.md).
double detLog(double x);
void detSinCos2pi(double u, double* sinOut, double* cosOut);

}  // namespace mfl
