// Philox4x32-10 and the deterministic Box-Muller of docs/rng.md. Every floating-point expression
// here is written in the order the spec gives and compiled with -ffp-contract=off: the TypeScript
// twin (src/backend/js/rng.ts) must reproduce each value bit for bit, so no FMA, no reassociation
// and no libm transcendental (only correctly rounded + - * / sqrt).
#include "rng.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace mfl {
namespace {

constexpr uint32_t kM0 = 0xD2511F53u;
constexpr uint32_t kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u;
constexpr uint32_t kW1 = 0xBB67AE85u;
constexpr uint64_t kTwoPow53 = uint64_t{1} << 53;
constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;  // 2^-53, exact
constexpr double kTwoPow26 = 67108864.0;

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLn2 = 0.6931471805599453;
constexpr double kTwoPi = 6.283185307179586;

// n! as an exact product of doubles (exact up to n = 18, which is all the polynomials need).
constexpr double exactFactorial(int n) {
  double f = 1.0;
  for (int i = 2; i <= n; ++i) f *= i;
  return f;
}

// (-1)^n / m!: the spec computes 1 / m! first and negates afterwards.
constexpr double alternatingInverseFactorial(int n, int m) {
  double c = 1.0 / exactFactorial(m);
  return (n % 2 == 1) ? -c : c;
}

// s_n = (-1)^n / (2n+1)! for n = 1..8 and c_n = (-1)^n / (2n)! for n = 1..9 (index 0 unused).
struct PolyCoefficients {
  double sin[9] = {};
  double cos[10] = {};
  constexpr PolyCoefficients() {
    for (int n = 1; n <= 8; ++n) sin[n] = alternatingInverseFactorial(n, 2 * n + 1);
    for (int n = 1; n <= 9; ++n) cos[n] = alternatingInverseFactorial(n, 2 * n);
  }
};
constexpr PolyCoefficients kPoly{};

// 1 / (2n + 1) for n = 0..11, each a correctly rounded double division as in the spec.
struct LogCoefficients {
  double inverseOdd[12] = {};
  constexpr LogCoefficients() {
    for (int n = 0; n <= 11; ++n) inverseOdd[n] = 1.0 / (2.0 * n + 1.0);
  }
};
constexpr LogCoefficients kLog{};

inline PhiloxBlock philoxRound(const PhiloxBlock& c, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = uint64_t{kM0} * c[0];
  const uint64_t p1 = uint64_t{kM1} * c[2];
  const auto hi0 = static_cast<uint32_t>(p0 >> 32);
  const auto lo0 = static_cast<uint32_t>(p0);
  const auto hi1 = static_cast<uint32_t>(p1 >> 32);
  const auto lo1 = static_cast<uint32_t>(p1);
  return {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
}

// The 53 random bits of two words as an integer-valued double (every step is exact).
inline double randomBits53(uint32_t hiWord, uint32_t loWord) {
  return static_cast<double>(hiWord >> 5) * kTwoPow26 + static_cast<double>(loWord >> 6);
}

// detLog and detSinCos2pi bodies, branch-free so the batch loops below vectorise. Selecting
// between exactly computed alternatives (m or m/2, +p or -p) rounds the same as the spec's
// branches, so the scalar and vector paths agree bit for bit.
inline double logKernel(double x) {
  uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const auto biased = static_cast<int32_t>(static_cast<uint32_t>(bits >> 52) & 0x7FFu);
  const uint64_t mantissaBits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m = 0.0;
  std::memcpy(&m, &mantissaBits, sizeof m);
  const bool halve = m > kSqrt2;
  m = halve ? m / 2.0 : m;
  const double e = static_cast<double>(biased - 1023 + (halve ? 1 : 0));
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double p = kLog.inverseOdd[11];
#pragma GCC unroll 16  // straight-line code lets the batch loops vectorise
  for (int n = 10; n >= 0; --n) p = p * z + kLog.inverseOdd[n];
  double t = 2.0 * s;
  t = t * p;
  return e * kLn2 + t;
}

// floor(x) for 0 <= x < 2^31 by truncation, which vectorises where std::floor does not (GCC
// keeps floor scalar under the default -ftrapping-math). Exact, so it equals Math.floor.
inline double floorNonNegative(double x) { return static_cast<double>(static_cast<int32_t>(x)); }

inline void sinCosKernel(double u, double* sinOut, double* cosOut) {
  const double q = floorNonNegative(u * 4.0 + 0.5);  // u in [0, 1): q in 0..4
  const double x = u - q * 0.25;
  const double t = x * kTwoPi;
  const double z = t * t;

  double sp = kPoly.sin[8];
#pragma GCC unroll 16
  for (int n = 7; n >= 1; --n) sp = kPoly.sin[n] + z * sp;
  const double sinPoly = t * (1.0 + z * sp);

  double cp = kPoly.cos[9];
#pragma GCC unroll 16
  for (int n = 8; n >= 1; --n) cp = kPoly.cos[n] + z * cp;
  const double cosPoly = 1.0 + z * cp;

  // Quadrant q mod 4: 0 -> (cos, sin) = (C, S), 1 -> (-S, C), 2 -> (-C, -S), 3 -> (S, -C).
  // Kept in doubles (exact for q in 0..4) so the vectoriser sees one lane type.
  const double quadrant = q - 4.0 * floorNonNegative(q * 0.25);
  const bool swap = quadrant == 1.0 || quadrant == 3.0;
  const double cosBase = swap ? sinPoly : cosPoly;
  const double sinBase = swap ? cosPoly : sinPoly;
  *cosOut = (quadrant == 1.0 || quadrant == 2.0) ? -cosBase : cosBase;
  *sinOut = (quadrant >= 2.0) ? -sinBase : sinBase;
}

// Blocks are generated kBatch at a time as structure-of-arrays: every lane is an independent
// counter, so the Philox rounds and the Box-Muller arithmetic vectorise across lanes.
constexpr int kBatch = 64;

struct WordBatch {
  uint32_t w0[kBatch], w1[kBatch], w2[kBatch], w3[kBatch];
};

void philoxBatch(uint64_t seed, uint64_t stream, uint64_t firstBlock, int count, WordBatch* b) {
  for (int j = 0; j < count; ++j) {
    const uint64_t block = firstBlock + static_cast<uint64_t>(j);
    b->w0[j] = static_cast<uint32_t>(block);
    b->w1[j] = static_cast<uint32_t>(block >> 32);
    b->w2[j] = static_cast<uint32_t>(stream);
    b->w3[j] = static_cast<uint32_t>(stream >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(seed);
  uint32_t k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    for (int j = 0; j < count; ++j) {
      const uint64_t p0 = uint64_t{kM0} * b->w0[j];
      const uint64_t p1 = uint64_t{kM1} * b->w2[j];
      const uint32_t c1 = b->w1[j];
      const uint32_t c3 = b->w3[j];
      b->w0[j] = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
      b->w1[j] = static_cast<uint32_t>(p1);
      b->w2[j] = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
      b->w3[j] = static_cast<uint32_t>(p0);
    }
    k0 += kW0;
    k1 += kW1;
  }
}

// Values 2j and 2j + 1 of the batch: uniforms from words (w0, w1) and (w2, w3).
void uniformBatch(const WordBatch& b, int count, double* values) {
  for (int j = 0; j < count; ++j) {
    values[2 * j] = randomBits53(b.w0[j], b.w1[j]) * kTwoPowMinus53;
    values[2 * j + 1] = randomBits53(b.w2[j], b.w3[j]) * kTwoPowMinus53;
  }
}

// Box-Muller per block: value 2b = r cos(2 pi u2), value 2b + 1 = r sin(2 pi u2).
void gaussianBatch(const WordBatch& b, int count, double* values) {
  double r[kBatch];
  for (int j = 0; j < count; ++j) {
    const double u1 = (randomBits53(b.w0[j], b.w1[j]) + 1.0) * kTwoPowMinus53;  // (0, 1]
    r[j] = std::sqrt(-2.0 * logKernel(u1));
  }
  double cosR[kBatch];
  double sinR[kBatch];
  for (int j = 0; j < count; ++j) {
    const double u2 = randomBits53(b.w2[j], b.w3[j]) * kTwoPowMinus53;
    double s = 0.0;
    double c = 0.0;
    sinCosKernel(u2, &s, &c);
    cosR[j] = r[j] * c;
    sinR[j] = r[j] * s;
  }
  for (int j = 0; j < count; ++j) {
    values[2 * j] = cosR[j];
    values[2 * j + 1] = sinR[j];
  }
}

void checkStreamAddress(uint64_t seed, uint64_t stream, uint64_t offset, int64_t n) {
  if (seed >= kTwoPow53) throw std::out_of_range("seed: must be an integer in [0, 2^53)");
  if (stream >= kTwoPow53) throw std::out_of_range("stream: must be an integer in [0, 2^53)");
  if (offset >= kTwoPow53) throw std::out_of_range("offset: must be an integer in [0, 2^53)");
  if (n < 0) throw std::invalid_argument("n: must be >= 0");
  if (static_cast<uint64_t>(n) > kTwoPow53 - offset) {
    throw std::out_of_range("offset + n: must be at most 2^53");
  }
}

// Writes values [offset, offset + n) of a two-values-per-block sequence. Whole batches are
// generated and the requested part copied out, so an odd offset or length needs no special case
// and any sub-range equals the same slice of the whole stream.
template <class BatchFn>
void fillValues(uint64_t seed, uint64_t stream, uint64_t offset, double* out, int64_t n,
                BatchFn toValues) {
  checkStreamAddress(seed, stream, offset, n);
  if (n == 0) return;
  const uint64_t end = offset + static_cast<uint64_t>(n);
  const uint64_t lastBlock = (end - 1) / 2;
  WordBatch words;
  double values[2 * kBatch];
  for (uint64_t block = offset / 2; block <= lastBlock; block += kBatch) {
    const int count = static_cast<int>(std::min<uint64_t>(kBatch, lastBlock - block + 1));
    philoxBatch(seed, stream, block, count, &words);
    toValues(words, count, values);
    const uint64_t first = std::max(offset, 2 * block);
    const uint64_t stop = std::min(end, 2 * (block + static_cast<uint64_t>(count)));
    std::memcpy(out + (first - offset), values + (first - 2 * block),
                static_cast<size_t>(stop - first) * sizeof(double));
  }
}

}  // namespace

PhiloxBlock philox4x32(PhiloxBlock counter, std::array<uint32_t, 2> key) {
  uint32_t k0 = key[0];
  uint32_t k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    counter = philoxRound(counter, k0, k1);
    k0 += kW0;
    k1 += kW1;
  }
  return counter;
}

PhiloxBlock rngBlock(uint64_t seed, uint64_t stream, uint64_t block) {
  const PhiloxBlock counter = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                               static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
  return philox4x32(counter, {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

void fillUniform(uint64_t seed, uint64_t stream, uint64_t offset, double* out, int64_t n) {
  fillValues(seed, stream, offset, out, n, uniformBatch);
}

void fillGaussian(uint64_t seed, uint64_t stream, uint64_t offset, double* out, int64_t n) {
  fillValues(seed, stream, offset, out, n, gaussianBatch);
}

double detLog(double x) { return logKernel(x); }

void detSinCos2pi(double u, double* sinOut, double* cosOut) { sinCosKernel(u, sinOut, cosOut); }

}  // namespace mfl
