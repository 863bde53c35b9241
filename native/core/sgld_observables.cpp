#include "sgld_observables.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mfl::sgld {
namespace {

// Histogram and moment sums of one group, added value by value into the chain's accumulators
// (the order the TypeScript twin sums in).
class Group {
 public:
  Group(double range, int64_t bins, double* hist, double* moments)
      : range_(range), width_(2.0 * range), bins_(bins), hist_(hist), moments_(moments) {}

  // Underflow x < -range, overflow x > range; otherwise bin
  // min(bins - 1, floor((x + range) / (2 range) * bins)), so x = range lands in the last bin.
  void add(double x) const {
    if (x < -range_) {
      hist_[0] += 1.0;
    } else if (x > range_) {
      hist_[bins_ + 1] += 1.0;
    } else {
      const double position = std::floor((x + range_) / width_ * static_cast<double>(bins_));
      hist_[1 + std::min(bins_ - 1, static_cast<int64_t>(position))] += 1.0;
    }
    const double x2 = x * x;
    moments_[0] += x;
    moments_[1] += x2;
    moments_[2] += x2 * x;
    moments_[3] += x2 * x2;
  }

 private:
  double range_;
  double width_;
  int64_t bins_;
  double* hist_;
  double* moments_;
};

}  // namespace

template <class T>
double meanSquaredError(const T* f, const double* y, int64_t n) {
  double sum = 0.0;
  for (int64_t mu = 0; mu < n; ++mu) {
    const double r = static_cast<double>(f[mu]) - y[mu];
    sum += r * r;
  }
  return sum / static_cast<double>(n);  // 0 / 0 = NaN for n = 0
}

template <class T>
double meanOverlap(const T* f, const double* target, int64_t n) {
  if (target == nullptr) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  for (int64_t mu = 0; mu < n; ++mu) sum += static_cast<double>(f[mu]) * target[mu];
  return sum / static_cast<double>(n);
}

template <class T>
void addParameterSample(const SgldConfig& config, const T* W, const T* a, int64_t c,
                        const SgldAccumulators& acc) {
  const int64_t N = config.N;
  const int64_t d = config.d;
  const int64_t k = config.nRelevant;
  const auto width = static_cast<double>(N);

  // q_j = (1/N) sum_i W_ij^2, each column summed over i in order.
  double* sumQ = acc.sumQ + c * d;
  for (int64_t j = 0; j < d; ++j) {
    double sum = 0.0;
    for (int64_t i = 0; i < N; ++i) {
      const auto w = static_cast<double>(W[i * d + j]);
      sum += w * w;
    }
    sumQ[j] += sum / width;
  }

  const int64_t stride = config.histBins + 2;
  double* hist = acc.hist + c * kSgldHistGroups * stride;
  double* moments = acc.moments + c * kSgldHistGroups * 4;
  const double rangeW = config.histRange * config.sigmaW;
  const double rangeA = config.histRange * config.sigmaA;
  const Group relevant(rangeW, config.histBins, hist, moments);
  const Group irrelevant(rangeW, config.histBins, hist + stride, moments + 4);
  const Group second(rangeA, config.histBins, hist + 2 * stride, moments + 8);

  // Neuron i is specialised when its relevant share of |w_i|^2 exceeds one half.
  int64_t specialised = 0;
  for (int64_t i = 0; i < N; ++i) {
    const T* w = W + i * d;
    double norm = 0.0;
    for (int64_t j = 0; j < k; ++j) {
      const auto x = static_cast<double>(w[j]);
      relevant.add(x);
      norm += x * x;
    }
    const double relevantNorm = norm;
    for (int64_t j = k; j < d; ++j) {
      const auto x = static_cast<double>(w[j]);
      irrelevant.add(x);
      norm += x * x;
    }
    if (k > 0 && relevantNorm > 0.5 * norm) ++specialised;
  }
  for (int64_t i = 0; i < N; ++i) second.add(static_cast<double>(a[i]));
  acc.sumSpecialisation[c] += static_cast<double>(specialised) / width;
}

template double meanSquaredError(const double*, const double*, int64_t);
template double meanSquaredError(const float*, const double*, int64_t);
template double meanOverlap(const double*, const double*, int64_t);
template double meanOverlap(const float*, const double*, int64_t);
template void addParameterSample(const SgldConfig&, const double*, const double*, int64_t,
                                 const SgldAccumulators&);
template void addParameterSample(const SgldConfig&, const float*, const float*, int64_t,
                                 const SgldAccumulators&);

}  // namespace mfl::sgld
