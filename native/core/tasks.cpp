// Task data of THEORY.md section 1, generated row-addressably from the counter-based streams so a
// chunk of rows equals the same slice of the whole dataset. The arithmetic order matches the
// TypeScript twin exactly (compiled with -ffp-contract=off): the tests compare with ===.
#include "tasks.hpp"

#include <cmath>
#include <stdexcept>

#include "rng.hpp"
#include "streams.hpp"

namespace mfl {
namespace {

constexpr int64_t kTwoPow53 = int64_t{1} << 53;
constexpr int64_t kMaxHermiteDegree = 20;

void checkTaskParams(const TaskParams& p, int64_t rowOffset, int64_t n) {
  if (p.d < 1) throw std::out_of_range("d: must be an integer >= 1");
  if (p.k < 0 || p.k > p.d) throw std::out_of_range("k: must be an integer in [0, d]");
  if (p.kind == TaskKind::kSingleIndex && p.k > kMaxHermiteDegree) {
    throw std::out_of_range("k: must be at most 20 for single-index");
  }
  if (!(p.labelNoise >= 0.0) || !std::isfinite(p.labelNoise)) {
    throw std::out_of_range("labelNoise: must be a finite number >= 0");
  }
  if (rowOffset < 0 || n < 0) throw std::out_of_range("rowOffset: must be >= 0");
  // Input values up to (rowOffset + n) * d must stay addressable (below 2^53).
  if (rowOffset > kTwoPow53 - n || rowOffset + n > kTwoPow53 / p.d) {
    throw std::out_of_range("rowOffset: (rowOffset + n) * d must be at most 2^53");
  }
}

// He_k(x) / sqrt(k!), He by He_{n+1} = x He_n - n He_{n-1}, k! an exact product 1*2*...*k.
double normalisedHermite(int64_t k, double x) {
  double prev = 1.0;  // He_0
  double cur = x;     // He_1
  if (k == 0) return 1.0;
  for (int64_t n = 1; n < k; ++n) {
    const double next = x * cur - static_cast<double>(n) * prev;
    prev = cur;
    cur = next;
  }
  double factorial = 1.0;
  for (int64_t i = 1; i <= k; ++i) factorial = factorial * static_cast<double>(i);
  return cur / std::sqrt(factorial);
}

// chi_S(x) for S = the first k coordinates, multiplied left to right.
double parityLabel(const double* x, int64_t k) {
  double y = 1.0;
  for (int64_t j = 0; j < k; ++j) y = y * x[j];
  return y;
}

double cleanLabel(const TaskParams& p, const double* x) {
  return p.kind == TaskKind::kParity ? parityLabel(x, p.k) : normalisedHermite(p.k, x[0]);
}

void fillInputs(const TaskParams& p, uint64_t stream, int64_t rowOffset, int64_t n, double* X) {
  const auto offset = static_cast<uint64_t>(rowOffset * p.d);
  const int64_t count = n * p.d;
  if (p.kind == TaskKind::kSingleIndex) {
    fillGaussian(p.seed, stream, offset, X, count);
    return;
  }
  fillUniform(p.seed, stream, offset, X, count);
  for (int64_t i = 0; i < count; ++i) X[i] = (X[i] < 0.5) ? -1.0 : 1.0;
}

}  // namespace

void generateTaskRows(const TaskParams& params, bool test, int64_t rowOffset, int64_t n, double* X,
                      double* y) {
  checkTaskParams(params, rowOffset, n);
  if (n == 0) return;
  if (X == nullptr || y == nullptr) throw std::invalid_argument("X, y: must not be null");
  const uint64_t inputStream = streams::id(test ? streams::kTestInputs : streams::kTrainInputs, 0);
  const uint64_t noiseStream =
      streams::id(test ? streams::kTestLabelNoise : streams::kTrainLabelNoise, 0);

  fillInputs(params, inputStream, rowOffset, n, X);
  const bool noisy = params.labelNoise > 0.0;
  // The noise draws go straight into y (value mu of the noise stream for row mu), so no scratch
  // is needed: y = label + labelNoise * g.
  if (noisy) fillGaussian(params.seed, noiseStream, static_cast<uint64_t>(rowOffset), y, n);
  for (int64_t mu = 0; mu < n; ++mu) {
    const double label = cleanLabel(params, X + mu * params.d);
    y[mu] = noisy ? label + params.labelNoise * y[mu] : label;
  }
}

}  // namespace mfl
