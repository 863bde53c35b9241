#include "mf_observables.hpp"

#include <algorithm>
#include <cmath>

namespace mfl::mf {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;  // Math.SQRT2

// Underflow x < -range, overflow x > range; otherwise bin
// min(bins - 1, floor((x + range) / (2 range) * bins)), so x = range lands in the last bin.
int64_t histogramSlot(double x, double range, int64_t bins) {
  if (x < -range) return 0;
  if (x > range) return bins + 1;
  const double position = std::floor((x + range) / (2.0 * range) * static_cast<double>(bins));
  return 1 + std::min(bins - 1, static_cast<int64_t>(position));
}

void addValue(const MfConfig& c, const MfAccumulators& acc, int64_t group, double range, double x) {
  acc.hist[group * (c.histBins + 2) + histogramSlot(x, range, c.histBins)] += 1.0;
  double* moments = acc.moments + group * 4;
  const double x2 = x * x;
  moments[0] += x;
  moments[1] += x2;
  moments[2] += x2 * x;
  moments[3] += x2 * x2;
  acc.counts[group] += 1.0;
}

double normalCdf(double z) { return 0.5 * (1.0 + std::erf(z / kSqrt2)); }

}  // namespace

void addParticleSample(const MfConfig& c, const double* W, const MfAccumulators& acc) {
  const int64_t M = c.M;
  const int64_t d = c.d;
  const auto particles = static_cast<double>(M);
  for (int64_t j = 0; j < d; ++j) {
    double sum = 0.0;
    for (int64_t p = 0; p < M; ++p) sum += W[p * d + j] * W[p * d + j];
    acc.sumQ[j] += sum / particles;
  }
  const double range = c.histRange * c.sigmaW;
  int64_t specialised = 0;
  for (int64_t p = 0; p < M; ++p) {
    double relevant = 0.0;
    double all = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      const double w = W[p * d + j];
      const double w2 = w * w;
      all += w2;
      if (j < c.nRelevant) relevant += w2;
      addValue(c, acc, j < c.nRelevant ? 0 : 1, range, w);
    }
    if (relevant > 0.5 * all) ++specialised;
  }
  if (c.nRelevant > 0) acc.sumSpecialisation[0] += static_cast<double>(specialised) / particles;
}

void addSecondLayerSample(const MfConfig& c, const double* Lambda, const double* beta,
                          const MfAccumulators& acc) {
  const int64_t bins = c.histBins;
  const double range = c.histRange * c.sigmaA;
  const int64_t group = kMfHistGroups - 1;
  double* hist = acc.hist + group * (bins + 2);
  double* moments = acc.moments + group * 4;
  for (int64_t p = 0; p < c.M; ++p) {
    const double v = 1.0 / Lambda[p];
    const double m = beta[p] * v;
    const double s = std::sqrt(v);
    double previous = normalCdf((-range - m) / s);
    hist[0] += previous;
    for (int64_t k = 1; k <= bins; ++k) {
      const double edge = -range + 2.0 * range * static_cast<double>(k) / static_cast<double>(bins);
      const double cdf = normalCdf((edge - m) / s);
      hist[k] += cdf - previous;
      previous = cdf;
    }
    hist[bins + 1] += 1.0 - previous;
    const double m2 = m * m;
    moments[0] += m;
    moments[1] += m2 + v;
    moments[2] += m2 * m + 3.0 * m * v;
    moments[3] += m2 * m2 + 6.0 * m2 * v + 3.0 * v * v;
    acc.counts[group] += 1.0;
  }
}

}  // namespace mfl::mf
