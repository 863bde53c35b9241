// The SGLD kernel of docs/sgld.md. Each step of a chain costs two dgemm calls over the batch (the
// row-blocked lossGradientBlocked of network.cpp, which fuses all elementwise work into cache-
// resident passes) plus O(nParams) work: the noise, one fused update pass and, with MALA, one
// pass for the acceptance ratio. All scratch is carved out of one block at the start of a call.
#include "sgld.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "rng.hpp"
#include "sgld_observables.hpp"
#include "streams.hpp"

namespace mfl {
namespace {

constexpr uint64_t kTwoPow53 = uint64_t{1} << 53;
constexpr int64_t kMaxHistBins = 10000;

// ---- checks (the binding validates everything first; these guard direct C++ callers) ----------

void require(bool ok, const char* message) {
  if (!ok) throw std::out_of_range(message);
}

bool positiveFinite(double x) { return x > 0.0 && std::isfinite(x); }

void checkConfig(const SgldConfig& c) {
  require(c.P >= 1 && c.d >= 1 && c.N >= 1, "P, d, N: must be integers >= 1");
  require(c.PTest >= 0, "PTest: must be an integer >= 0");
  require(c.chains >= 1 && c.chains <= INT32_MAX, "chains: must be an integer in [1, 2^31 - 1]");
  require(c.gamma >= 0.5 && c.gamma <= 1.0, "gamma: must be in [0.5, 1]");
  require(positiveFinite(c.kappa) && positiveFinite(c.eta) && positiveFinite(c.lossScale),
          "kappa, eta, lossScale: must be finite and > 0");
  require(positiveFinite(c.sigmaW) && positiveFinite(c.sigmaA) && positiveFinite(c.sigmaB),
          "sigmaW, sigmaA, sigmaB: must be finite and > 0");
  require(c.batchSize >= 1 && c.batchSize <= c.P, "batchSize: must be an integer in [1, P]");
  require(!c.mala || c.batchSize == c.P, "mala: needs full batch (batchSize = P)");
  require(c.seed < kTwoPow53, "seed: must be an integer in [0, 2^53)");
  require(c.burnIn >= 0 && c.burnIn < c.steps, "burnIn: must be an integer in [0, steps)");
  require(c.thin >= 1, "thin: must be an integer >= 1");
  require(c.observeEvery >= 0, "observeEvery: must be an integer >= 0");
  require(c.nRelevant >= 0 && c.nRelevant <= c.d, "nRelevant: must be an integer in [0, d]");
  require(c.histBins >= 1 && c.histBins <= kMaxHistBins, "histBins: must be in [1, 10000]");
  require(positiveFinite(c.histRange), "histRange: must be finite and > 0");
  require(c.threads >= 1 && c.threads <= kSgldMaxThreads,
          "threads: must be an integer in [1, 256]");
  if (c.integrator == Integrator::kBaoab) {
    require(positiveFinite(c.friction), "friction: must be finite and > 0 with BAOAB");
    require(!c.mala, "mala: must be false with BAOAB");
  }
  // Every random value index t * nParams + p (t * B + m) must stay below 2^53.
  const auto steps = static_cast<uint64_t>(c.steps);
  require(steps <= kTwoPow53 / static_cast<uint64_t>(sgldParamCount(c)),
          "steps: steps * nParams must be at most 2^53");
  require(steps <= kTwoPow53 / static_cast<uint64_t>(c.batchSize),
          "steps: steps * batchSize must be at most 2^53");
}

void checkPointers(const SgldConfig& c, const SgldData& data, const SgldState& state,
                   const SgldAccumulators& acc) {
  const bool inputs = data.X != nullptr && data.y != nullptr &&
                      (c.PTest == 0 || (data.XTest != nullptr && data.yTest != nullptr));
  const bool params = state.W != nullptr && state.a != nullptr && (!c.bias || state.b != nullptr) &&
                      (c.integrator != Integrator::kBaoab || state.momentum != nullptr);
  const bool outputs =
      acc.nSamples != nullptr && acc.sumFTrain != nullptr && acc.sumSampleTestMse != nullptr &&
      acc.sumSampleTrainMse != nullptr && acc.sumQ != nullptr && acc.hist != nullptr &&
      acc.moments != nullptr && acc.sumSpecialisation != nullptr && acc.malaProposed != nullptr &&
      acc.malaAccepted != nullptr && (c.PTest == 0 || acc.sumFTest != nullptr) &&
      (sgldSampleCount(c) == 0 || (acc.traceMS != nullptr && acc.traceTestMse != nullptr)) &&
      (sgldObserveCount(c) == 0 || acc.series != nullptr);
  if (!inputs || !params || !outputs) throw std::invalid_argument("sgldRun: null array");
}

// ---- the runner ------------------------------------------------------------------------------

// One parameter group of a chain, in the flattened order W, a, b.
template <class T>
struct Segment {
  int64_t offset = 0;  // into the flattened parameters
  int64_t count = 0;
  T* theta = nullptr;     // the chain's values in the (working) state
  T* momentum = nullptr;  // BAOAB: the chain's momenta of these parameters
  double sigma = 1.0;
  bool frozen = false;
};

// W, a (, b) of one chain; iterable, and no allocation per step.
template <class T>
struct Segments {
  Segment<T> items[3];
  int count = 0;
  const Segment<T>* begin() const { return items; }
  const Segment<T>* end() const { return items + count; }
};

// A gradient evaluation: g (nParams, flattened like the parameters), f on the batch, E.
template <class T>
struct Evaluation {
  T* g = nullptr;
  T* f = nullptr;
  double E = 0.0;
  bool valid = false;
};

// The drift, update and MALA arithmetic of docs/sgld.md, steps 3-4, in the working precision T
// (the constants are rounded to T once).
template <class T>
struct Dynamics {
  T kappa;
  T eta;
  T gradientScale;  // ls
  T batchScale;     // P / B (exactly 1 for full batch)
  T noiseScale;     // sqrt(2 eta kappa)
  T h;              // eta kappa
  // BAOAB (docs/sgld.md): time step tau = sqrt(2 eta), so that tau^2 / 2 = eta.
  T kick;         // tau: the two half kicks of consecutive steps, merged
  T halfStep;     // tau / 2, each A
  T damping;      // exp(-friction tau), the O step
  T fluctuation;  // sqrt((1 - damping^2) kappa)

  explicit Dynamics(const SgldConfig& c)
      : kappa(static_cast<T>(c.kappa)),
        eta(static_cast<T>(c.eta)),
        gradientScale(static_cast<T>(c.lossScale)),
        batchScale(static_cast<T>(static_cast<double>(c.P) / static_cast<double>(c.batchSize))),
        noiseScale(static_cast<T>(std::sqrt(2.0 * c.eta * c.kappa))),
        h(static_cast<T>(c.eta * c.kappa)),
        kick(static_cast<T>(std::sqrt(2.0 * c.eta))),
        halfStep(static_cast<T>(0.5 * std::sqrt(2.0 * c.eta))),
        damping(static_cast<T>(std::exp(-c.friction * std::sqrt(2.0 * c.eta)))),
        // 1 - exp(-2 x) as -expm1(-2 x): accurate when friction tau is small.
        fluctuation(static_cast<T>(
            std::sqrt(-std::expm1(-2.0 * c.friction * std::sqrt(2.0 * c.eta)) * c.kappa))) {}

  // drift_p = ls * g_p + kappa * theta_p / sigma_p^2, with g_p = (P/B) * (batch gradient).
  T drift(T g, T theta, T sigma2) const {
    return gradientScale * (batchScale * g) + kappa * theta / sigma2;
  }
};

// The kernel's inputs and parameters in the working precision T: the caller's arrays for double,
// single-precision copies for float. yTest and targetTest (observables only) stay double.
template <class T>
struct Working {
  const T* X = nullptr;
  const T* y = nullptr;
  const T* XTest = nullptr;
  T* W = nullptr;
  T* a = nullptr;
  T* b = nullptr;
  T* momentum = nullptr;  // BAOAB only
};

template <class T>
class Runner {
 public:
  // Steps chains [chainBegin, chainBegin + chainCount) (chainCount <= chainsPerThread(config)).
  // `scratch`: runnerScratchSize(config) elements of T; `randoms`: randomScratchSize(config)
  // doubles (the minibatch uniforms and, for float, the Gaussians of a step).
  Runner(const SgldConfig& config, const SgldData& data, const Working<T>& work,
         const SgldAccumulators& acc, int64_t chainBegin, T* scratch, double* randoms);

  // Step t of chain c; false when the chain diverged (its state is then left unchanged).
  bool step(int64_t c, int64_t t);

  // Forgets what is cached for chain c (MALA: its evaluation), after its state was put back.
  void forget(int64_t c) {
    evals_[cfg_.mala ? static_cast<size_t>(c - chainBegin_) : 0].valid = false;
  }

 private:
  using Params = NetworkParamsOf<T>;
  using Eval = Evaluation<T>;

  Params chainParams(int64_t c) const;
  Segments<T> segments(int64_t c) const;
  void evaluate(const Params& params, int64_t c, int64_t t, Eval& out);
  void gatherBatch(int64_t c, int64_t t);
  void observe(int64_t c, int64_t t, const Eval& current, bool sample, bool series);
  double* fillNoise(uint64_t purpose, int64_t c, int64_t t);
  bool propose(int64_t c, int64_t t, const Eval& current, double* forwardSquares);
  bool proposeBaoab(int64_t c, int64_t t, const Eval& current);
  bool metropolis(int64_t c, int64_t t, const Eval& current, double forwardSquares);
  void commit(int64_t c);

  const SgldConfig& cfg_;
  const SgldData& data_;
  Working<T> work_;
  const SgldAccumulators& acc_;
  int64_t chainBegin_;
  NetworkShape shape_;
  Dynamics<T> dyn_;
  int64_t nParams_;
  int64_t sampleCount_;
  int64_t observeCount_;
  bool fullBatch_;

  BlockedWorkspaceOf<T> blocked_;
  T* fTrain_ = nullptr;        // P, the full training set when minibatching
  T* fTest_ = nullptr;         // PTest
  T* XBatch_ = nullptr;        // B x d
  T* yBatch_ = nullptr;        // B
  T* proposal_ = nullptr;      // nParams: theta' (for double, first the noise xi in place)
  T* momentumNext_ = nullptr;  // nParams, BAOAB: the momenta after the step
  double* uBatch_ = nullptr;   // B
  double* noise_ = nullptr;    // nParams, float only: the step's Gaussians xi
  // MALA: one evaluation per chain of the block (reused while the state stands) plus the
  // proposal's, last. Plain SGLD: one, recomputed every step.
  std::vector<Eval> evals_;
};

int64_t blockRows(const SgldConfig& c) {
  const int64_t rows = std::max({c.P, c.PTest, int64_t{1}});
  return std::min(defaultBlockRows(c.N), rows);
}

int64_t threadCount(const SgldConfig& c) { return std::min(c.threads, c.chains); }

// Thread k of T owns chains [k C / T, (k + 1) C / T): blocks differ in size by at most one.
int64_t chainBlockBegin(const SgldConfig& c, int64_t k) { return k * c.chains / threadCount(c); }

int64_t chainsPerThread(const SgldConfig& c) {
  const int64_t T = threadCount(c);
  return (c.chains + T - 1) / T;
}

int64_t evaluationCount(const SgldConfig& c) { return c.mala ? chainsPerThread(c) + 1 : 1; }

bool isFloat32(const SgldConfig& c) { return c.precision == Precision::kFloat32; }

// The momenta the kernel updates: BAOAB's; Euler has none (a momentum array passed to it is
// left alone).
double* momentumOf(const SgldConfig& c, const SgldState& state) {
  return c.integrator == Integrator::kBaoab ? state.momentum : nullptr;
}

// Elements of T one Runner (one thread) carves its scratch from.
int64_t runnerScratchSize(const SgldConfig& c) {
  const int64_t batch = c.batchSize < c.P ? c.batchSize * (c.d + 1) : 0;
  const int64_t nParams = sgldParamCount(c);
  const int64_t momentum = c.integrator == Integrator::kBaoab ? nParams : 0;
  return blockedWorkspaceSize(c.N, blockRows(c)) + c.P + c.PTest + batch + nParams + momentum +
         evaluationCount(c) * (nParams + c.batchSize);
}

// Doubles of random values a step of one thread needs beside the scratch: the minibatch uniforms
// and, for float, the Gaussians (for double they go straight into the proposal buffer).
int64_t randomScratchSize(const SgldConfig& c) {
  return (c.batchSize < c.P ? c.batchSize : 0) + (isFloat32(c) ? sgldParamCount(c) : 0);
}

template <class T>
Runner<T>::Runner(const SgldConfig& config, const SgldData& data, const Working<T>& work,
                  const SgldAccumulators& acc, int64_t chainBegin, T* scratch, double* randoms)
    : cfg_(config),
      data_(data),
      work_(work),
      acc_(acc),
      chainBegin_(chainBegin),
      shape_{config.P, config.d, config.N, config.gamma, config.activation, config.bias},
      dyn_(config),
      nParams_(sgldParamCount(config)),
      sampleCount_(sgldSampleCount(config)),
      observeCount_(sgldObserveCount(config)),
      fullBatch_(config.batchSize == config.P) {
  T* next = scratch;
  auto take = [&next](int64_t n) {
    T* p = next;
    next += n;
    return p;
  };
  const int64_t rows = blockRows(config);
  blocked_ = blockedWorkspace(take(blockedWorkspaceSize(config.N, rows)), config.N, rows);
  fTrain_ = take(config.P);
  fTest_ = take(config.PTest);
  if (!fullBatch_) {
    XBatch_ = take(config.batchSize * config.d);
    yBatch_ = take(config.batchSize);
  }
  proposal_ = take(nParams_);
  if (config.integrator == Integrator::kBaoab) momentumNext_ = take(nParams_);
  evals_.resize(static_cast<size_t>(evaluationCount(config)));
  for (Eval& e : evals_) {
    e.g = take(nParams_);
    e.f = take(config.batchSize);
  }
  double* nextRandom = randoms;
  if (!fullBatch_) {
    uBatch_ = nextRandom;
    nextRandom += config.batchSize;
  }
  if constexpr (!std::is_same_v<T, double>) noise_ = nextRandom;
}

template <class T>
NetworkParamsOf<T> Runner<T>::chainParams(int64_t c) const {
  const int64_t N = cfg_.N;
  return {work_.W + c * N * cfg_.d, work_.a + c * N, cfg_.bias ? work_.b + c * N : nullptr};
}

template <class T>
Segments<T> Runner<T>::segments(int64_t c) const {
  const int64_t N = cfg_.N;
  const int64_t Nd = N * cfg_.d;
  T* momentum = work_.momentum != nullptr ? work_.momentum + c * nParams_ : nullptr;
  const auto at = [momentum](int64_t offset) {
    return momentum != nullptr ? momentum + offset : nullptr;
  };
  Segments<T> s;
  s.items[s.count++] = {0, Nd, work_.W + c * Nd, at(0), cfg_.sigmaW, cfg_.freezeW};
  s.items[s.count++] = {Nd, N, work_.a + c * N, at(Nd), cfg_.sigmaA, false};
  if (cfg_.bias) s.items[s.count++] = {Nd + N, N, work_.b + c * N, at(Nd + N), cfg_.sigmaB, false};
  return s;
}

// Rows floor(u * P) for the B uniforms of step t, with replacement, copied contiguously.
template <class T>
void Runner<T>::gatherBatch(int64_t c, int64_t t) {
  const int64_t B = cfg_.batchSize;
  const int64_t d = cfg_.d;
  fillUniform(cfg_.seed, streams::id(streams::kMinibatch, static_cast<uint64_t>(c)),
              static_cast<uint64_t>(t) * static_cast<uint64_t>(B), uBatch_, B);
  for (int64_t m = 0; m < B; ++m) {
    const auto row =
        std::min(cfg_.P - 1, static_cast<int64_t>(uBatch_[m] * static_cast<double>(cfg_.P)));
    std::memcpy(XBatch_ + m * d, work_.X + row * d, static_cast<size_t>(d) * sizeof(T));
    yBatch_[m] = work_.y[row];
  }
}

// Step 1: E, f and the (unscaled) batch gradient at `params`.
template <class T>
void Runner<T>::evaluate(const Params& params, int64_t c, int64_t t, Eval& out) {
  NetworkShape batch = shape_;
  const T* X = work_.X;
  const T* y = work_.y;
  if (!fullBatch_) {
    gatherBatch(c, t);
    batch.P = cfg_.batchSize;
    X = XBatch_;
    y = yBatch_;
  }
  const int64_t Nd = cfg_.N * cfg_.d;
  out.E = lossGradientBlocked(batch, X, y, params, blocked_, out.f, cfg_.freezeW ? nullptr : out.g,
                              out.g + Nd, cfg_.bias ? out.g + Nd + cfg_.N : nullptr);
  out.valid = true;
}

// Step 2: sample and/or time-series row of the current state.
// The observables are summed in double from the working-precision outputs and parameters.
template <class T>
void Runner<T>::observe(int64_t c, int64_t t, const Eval& current, bool sample, bool series) {
  const Params params = chainParams(c);
  const int64_t P = cfg_.P;
  const int64_t PTest = cfg_.PTest;
  const T* fTrain = current.f;
  if (!fullBatch_) {
    forwardBlocked(shape_, work_.X, params, blocked_, fTrain_);
    fTrain = fTrain_;
  }
  const bool testNeeded = PTest > 0 && (sample || (series && data_.targetTest != nullptr));
  if (testNeeded) {
    NetworkShape test = shape_;
    test.P = PTest;
    forwardBlocked(test, work_.XTest, params, blocked_, fTest_);
  }
  const double trainMse = sgld::meanSquaredError(fTrain, data_.y, P);
  const double mS = PTest > 0 ? sgld::meanOverlap(fTest_, data_.targetTest, PTest)
                              : std::numeric_limits<double>::quiet_NaN();
  if (sample) {
    const double testMse = sgld::meanSquaredError(fTest_, data_.yTest, PTest);
    const int64_t s = (t - cfg_.burnIn) / cfg_.thin;
    double* sumFTest = acc_.sumFTest + c * PTest;
    for (int64_t mu = 0; mu < PTest; ++mu) sumFTest[mu] += fTest_[mu];
    double* sumFTrain = acc_.sumFTrain + c * P;
    for (int64_t mu = 0; mu < P; ++mu) sumFTrain[mu] += fTrain[mu];
    acc_.sumSampleTestMse[c] += testMse;
    acc_.sumSampleTrainMse[c] += trainMse;
    acc_.traceMS[c * sampleCount_ + s] = mS;
    acc_.traceTestMse[c * sampleCount_ + s] = testMse;
    sgld::addParameterSample(cfg_, params.W, params.a, c, acc_);
    acc_.nSamples[c] += 1.0;
  }
  if (series) {
    double* row = acc_.series + (c * observeCount_ + t / cfg_.observeEvery) * 3;
    row[0] = static_cast<double>(t);
    row[1] = trainMse;
    row[2] = mS;
  }
}

// Step 3 into proposal_: theta' = theta - eta * drift + noiseScale * xi over the non-frozen
// parameters. Returns false when a value is not finite. With MALA, *forwardSquares receives
// |theta' - theta + h grad U(theta)|^2, grad U = drift / kappa.
// For float the Gaussians (doubles) are rounded to float as they are applied.
template <class T>
bool Runner<T>::propose(int64_t c, int64_t t, const Eval& current, double* forwardSquares) {
  const double* noise = fillNoise(streams::kSgldNoise, c, t);
  bool finite = true;
  double squares = 0.0;
  for (const Segment<T>& seg : segments(c)) {
    if (seg.frozen) continue;
    const auto sigma2 = static_cast<T>(seg.sigma * seg.sigma);
    const T* g = current.g + seg.offset;
    const double* xi = noise + seg.offset;
    T* out = proposal_ + seg.offset;
    for (int64_t k = 0; k < seg.count; ++k) {
      const T theta = seg.theta[k];
      const T drift = dyn_.drift(g[k], theta, sigma2);
      // float: the increment is summed first, so that a drift below half an ulp of theta still
      // moves it in expectation (the noise dithers the one rounding): docs/sgld.md, "Precision".
      const T next = std::is_same_v<T, double>
                         ? theta - dyn_.eta * drift + dyn_.noiseScale * static_cast<T>(xi[k])
                         : theta + (dyn_.noiseScale * static_cast<T>(xi[k]) - dyn_.eta * drift);
      out[k] = next;
      finite = finite && std::isfinite(next);
      if (cfg_.mala) {
        const T v = next - theta + dyn_.h * (drift / dyn_.kappa);
        squares += static_cast<double>(v) * static_cast<double>(v);
      }
    }
  }
  *forwardSquares = squares;
  return finite;
}

// The Gaussians of step t of chain c from stream `purpose` (values t nParams + p), in the proposal
// buffer for double (each is read there before its slot is overwritten) or noise_ for float. A
// frozen W's values are skipped over.
template <class T>
double* Runner<T>::fillNoise(uint64_t purpose, int64_t c, int64_t t) {
  const int64_t skip = cfg_.freezeW ? cfg_.N * cfg_.d : 0;
  double* noise = nullptr;
  if constexpr (std::is_same_v<T, double>) {
    noise = proposal_;
  } else {
    noise = noise_;
  }
  fillGaussian(
      cfg_.seed, streams::id(purpose, static_cast<uint64_t>(c)),
      static_cast<uint64_t>(t) * static_cast<uint64_t>(nParams_) + static_cast<uint64_t>(skip),
      noise + skip, nParams_ - skip);
  return noise;
}

// The BAOAB step of docs/sgld.md into proposal_ (theta) and momentumNext_ (the momentum before
// the final half kick, which the next step's first half kick completes with the gradient it
// computes anyway). Returns false when a value is not finite.
template <class T>
bool Runner<T>::proposeBaoab(int64_t c, int64_t t, const Eval& current) {
  const double* noise = fillNoise(streams::kBaoabNoise, c, t);
  bool finite = true;
  for (const Segment<T>& seg : segments(c)) {
    if (seg.frozen) continue;
    const auto sigma2 = static_cast<T>(seg.sigma * seg.sigma);
    const T* g = current.g + seg.offset;
    const double* xi = noise + seg.offset;
    T* thetaOut = proposal_ + seg.offset;
    T* momentumOut = momentumNext_ + seg.offset;
    for (int64_t k = 0; k < seg.count; ++k) {
      const T theta = seg.theta[k];
      const T kicked = seg.momentum[k] - dyn_.kick * dyn_.drift(g[k], theta, sigma2);
      const T half = theta + dyn_.halfStep * kicked;
      const T p = dyn_.damping * kicked + dyn_.fluctuation * static_cast<T>(xi[k]);
      const T next = half + dyn_.halfStep * p;
      thetaOut[k] = next;
      momentumOut[k] = p;
      finite = finite && std::isfinite(next) && std::isfinite(p);
    }
  }
  return finite;
}

// Step 4: the Metropolis-Hastings test of the proposal in proposal_ (docs/sgld.md). Returns
// whether it was accepted; the caller commits.
// The drift terms are in T, the sums (U and the squares) in double.
template <class T>
bool Runner<T>::metropolis(int64_t c, int64_t t, const Eval& current, double forwardSquares) {
  const int64_t Nd = cfg_.N * cfg_.d;
  const Params here = chainParams(c);
  const Params there = {cfg_.freezeW ? here.W : proposal_, proposal_ + Nd,
                        cfg_.bias ? proposal_ + Nd + cfg_.N : nullptr};
  Eval& next = evals_.back();
  evaluate(there, c, t, next);

  // U(theta), U(theta') (the prior sums start from the E terms, as in the twin) and
  // |theta - theta' + h grad U(theta')|^2.
  double U = cfg_.lossScale * current.E / cfg_.kappa;
  double UNext = cfg_.lossScale * next.E / cfg_.kappa;
  double backwardSquares = 0.0;
  for (const Segment<T>& seg : segments(c)) {
    if (seg.frozen) continue;
    const double sigma2 = seg.sigma * seg.sigma;
    const double twoSigma2 = 2.0 * sigma2;
    const auto sigma2T = static_cast<T>(sigma2);
    const T* g = next.g + seg.offset;
    const T* proposed = proposal_ + seg.offset;
    for (int64_t k = 0; k < seg.count; ++k) {
      const T theta = seg.theta[k];
      const T thetaNext = proposed[k];
      const T drift = dyn_.drift(g[k], thetaNext, sigma2T);
      const T v = theta - thetaNext + dyn_.h * (drift / dyn_.kappa);
      backwardSquares += static_cast<double>(v) * static_cast<double>(v);
      const auto th = static_cast<double>(theta);
      const auto thNext = static_cast<double>(thetaNext);
      U += th * th / twoSigma2;
      UNext += thNext * thNext / twoSigma2;
    }
  }
  const double fourH = 4.0 * (cfg_.eta * cfg_.kappa);
  const double logAlpha = U - UNext - backwardSquares / fourH + forwardSquares / fourH;
  double u = 0.0;
  fillUniform(cfg_.seed, streams::id(streams::kMalaAccept, static_cast<uint64_t>(c)),
              static_cast<uint64_t>(t), &u, 1);
  // u < exp(min(0, log alpha)); a NaN log alpha (non-finite E at the proposal) rejects, as
  // Math.exp(Math.min(0, NaN)) does in the twin.
  const bool accept = logAlpha >= 0.0 || u < std::exp(logAlpha);
  acc_.malaProposed[c] += 1.0;
  if (accept) acc_.malaAccepted[c] += 1.0;
  return accept;
}

template <class T>
void Runner<T>::commit(int64_t c) {
  for (const Segment<T>& seg : segments(c)) {
    if (seg.frozen) continue;
    std::memcpy(seg.theta, proposal_ + seg.offset, static_cast<size_t>(seg.count) * sizeof(T));
    if (seg.momentum != nullptr) {
      std::memcpy(seg.momentum, momentumNext_ + seg.offset,
                  static_cast<size_t>(seg.count) * sizeof(T));
    }
  }
}

template <class T>
bool Runner<T>::step(int64_t c, int64_t t) {
  Eval& current = evals_[cfg_.mala ? static_cast<size_t>(c - chainBegin_) : 0];
  if (!current.valid) evaluate(chainParams(c), c, t, current);
  if (!std::isfinite(current.E)) return false;

  const bool sample = t >= cfg_.burnIn && (t - cfg_.burnIn) % cfg_.thin == 0;
  const bool series = cfg_.observeEvery > 0 && t % cfg_.observeEvery == 0;
  if (sample || series) observe(c, t, current, sample, series);

  if (cfg_.integrator == Integrator::kBaoab) {
    if (!proposeBaoab(c, t, current)) return false;
    commit(c);
    current.valid = false;
    return true;
  }
  double forwardSquares = 0.0;
  if (!propose(c, t, current, &forwardSquares)) return false;
  if (!cfg_.mala) {
    commit(c);
    current.valid = false;
    return true;
  }
  if (metropolis(c, t, current, forwardSquares)) {
    commit(c);
    // The proposal's evaluation becomes the chain's: step t + 1 reuses it as its step 1.
    std::swap(current, evals_.back());
    current.valid = true;
  }
  return true;
}

// ---- threads -------------------------------------------------------------------------------

// Which steps a thread may still start. A divergence at step t stops every thread after step t
// (lower chains on other threads must still do step t: one of them may diverge there too); a
// cancel stops them after the highest step any thread has started, so threads that are behind
// catch up and all chains end at the same step boundary.
class StepGate {
 public:
  StepGate(int64_t stepBegin, int64_t stepEnd) : limit_(stepEnd), frontier_(stepBegin - 1) {}

  bool mayStart(int64_t t, const std::atomic<bool>* cancel) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      limit_ = std::min(limit_, frontier_ + 1);
    }
    if (t >= limit_) return false;
    frontier_ = std::max(frontier_, t);
    return true;
  }

  void diverged(int64_t t) {
    const std::lock_guard<std::mutex> lock(mutex_);
    limit_ = std::min(limit_, t + 1);
  }

  // An exception on one thread: the others stop at their next step.
  void abort() {
    const std::lock_guard<std::mutex> lock(mutex_);
    limit_ = std::numeric_limits<int64_t>::min();
  }

 private:
  std::mutex mutex_;
  int64_t limit_;     // no thread starts a step t >= limit_
  int64_t frontier_;  // the highest step started so far
};

// Where one thread's block of chains stopped.
struct BlockOutcome {
  int64_t stoppedAt = 0;  // the first step not started, when no chain diverged
  int64_t divergedChain = -1;
  int64_t divergedStep = -1;
  std::exception_ptr error;
};

// A chain's progress as one number: 2 (s + 1) after completing step s, 2 s + 1 when it diverged
// at step s (its sample and series entries of s may be recorded, its parameters are those of s).
int64_t completedPosition(int64_t step) { return 2 * (step + 1); }
int64_t divergedPosition(int64_t step) { return 2 * step + 1; }

int64_t positionOf(const BlockOutcome& o, int64_t c) {
  if (o.divergedChain < 0) return completedPosition(o.stoppedAt - 1);
  if (c < o.divergedChain) return completedPosition(o.divergedStep);
  if (c == o.divergedChain) return divergedPosition(o.divergedStep);
  return completedPosition(o.divergedStep - 1);
}

// Sample steps (observe steps) before step t: the index of the first trace entry (series row) a
// step >= t writes.
int64_t samplesBefore(const SgldConfig& c, int64_t t) {
  return t <= c.burnIn ? 0 : std::min(sgldSampleCount(c), (t - c.burnIn - 1) / c.thin + 1);
}

int64_t observationsBefore(const SgldConfig& c, int64_t t) {
  return c.observeEvery > 0
             ? std::min(sgldObserveCount(c), (t + c.observeEvery - 1) / c.observeEvery)
             : 0;
}

// Every chain's state and accumulators as the call found them, so that a chain a thread ran past
// the one-thread run's stopping point can be put back and replayed (only when chains diverge).
// The traces and the series are written once per step, so only their entries for the call's
// steps are kept: the copy is proportional to the call, not to the run.
template <class T>
class ChainSnapshot {
 public:
  ChainSnapshot(const SgldConfig& c, const Working<T>& work, const SgldAccumulators& acc,
                int64_t stepBegin, int64_t stepEnd) {
    const int64_t N = c.N;
    add(params_, work.W, N * c.d, {0, N * c.d}, c.chains);
    add(params_, work.a, N, {0, N}, c.chains);
    if (c.bias) add(params_, work.b, N, {0, N}, c.chains);
    const int64_t nParams = sgldParamCount(c);
    add(params_, work.momentum, nParams, {0, nParams}, c.chains);
    const int64_t S = sgldSampleCount(c);
    const Window samples{samplesBefore(c, stepBegin), samplesBefore(c, stepEnd)};
    const Window rows{3 * observationsBefore(c, stepBegin), 3 * observationsBefore(c, stepEnd)};
    const int64_t hist = kSgldHistGroups * (c.histBins + 2);
    const std::pair<double*, int64_t> sums[] = {
        {acc.nSamples, 1},          {acc.sumFTest, c.PTest},
        {acc.sumFTrain, c.P},       {acc.sumSampleTestMse, 1},
        {acc.sumSampleTrainMse, 1}, {acc.sumQ, c.d},
        {acc.hist, hist},           {acc.moments, kSgldHistGroups * 4},
        {acc.sumSpecialisation, 1}, {acc.malaProposed, 1},
        {acc.malaAccepted, 1}};
    for (const auto& [data, perChain] : sums) add(acc_, data, perChain, {0, perChain}, c.chains);
    add(acc_, acc.traceMS, S, samples, c.chains);
    add(acc_, acc.traceTestMse, S, samples, c.chains);
    add(acc_, acc.series, 3 * sgldObserveCount(c), rows, c.chains);
  }

  void restore(int64_t c) const {
    restoreInto(params_, c);
    restoreInto(acc_, c);
  }

 private:
  // Entries [begin, end) of each chain's stretch of an array.
  struct Window {
    int64_t begin = 0;
    int64_t end = 0;
  };

  template <class U>
  struct Saved {
    U* data = nullptr;
    int64_t perChain = 0;
    Window window;
    std::vector<U> copy;  // chain after chain, window.end - window.begin values each
  };

  template <class U>
  static void add(std::vector<Saved<U>>& into, U* data, int64_t perChain, Window window,
                  int64_t chains) {
    const int64_t length = window.end - window.begin;
    if (data == nullptr || length <= 0) return;
    Saved<U> saved{data, perChain, window, std::vector<U>(static_cast<size_t>(length * chains))};
    for (int64_t c = 0; c < chains; ++c) {
      const U* from = data + c * perChain + window.begin;
      std::copy(from, from + length, saved.copy.data() + c * length);
    }
    into.push_back(std::move(saved));
  }

  template <class U>
  static void restoreInto(const std::vector<Saved<U>>& from, int64_t c) {
    for (const Saved<U>& s : from) {
      const int64_t length = s.window.end - s.window.begin;
      const U* begin = s.copy.data() + c * length;
      std::copy(begin, begin + length, s.data + c * s.perChain + s.window.begin);
    }
  }

  std::vector<Saved<T>> params_;
  std::vector<Saved<double>> acc_;
};

// Runs work(k) for k = 0..count-1 on `count` new threads while the calling thread runs wait();
// joins them whatever happens. work must not throw; wait may (after calling stop()).
template <class Work, class Wait, class Stop>
void onThreads(int64_t count, const Work& work, const Wait& wait, const Stop& stop) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(count));
  std::exception_ptr error;
  try {
    for (int64_t k = 0; k < count; ++k) threads.emplace_back(work, k);
    wait();
  } catch (...) {
    error = std::current_exception();
    stop();
  }
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// The runners (one per thread, each with its own scratch) and what sgldRun does with them.
template <class T>
class ThreadedRun {
 public:
  ThreadedRun(const SgldConfig& config, const SgldData& data, const Working<T>& work,
              const SgldAccumulators& acc, T* scratch, double* randoms)
      : cfg_(config), work_(work), acc_(acc), threads_(threadCount(config)) {
    for (int64_t k = 0; k < threads_; ++k) {
      runners_.push_back(std::make_unique<Runner<T>>(
          config, data, work, acc, chainBlockBegin(config, k),
          scratch + k * runnerScratchSize(config), randoms + k * randomScratchSize(config)));
    }
  }

  SgldResult run(int64_t stepBegin, int64_t stepEnd, const std::atomic<bool>* cancel,
                 const ProgressFn& progress) {
    if (threads_ > 1) {
      snapshot_ = std::make_unique<ChainSnapshot<T>>(cfg_, work_, acc_, stepBegin, stepEnd);
    }
    StepGate gate(stepBegin, stepEnd);
    std::vector<BlockOutcome> outcomes(static_cast<size_t>(threads_));
    ProgressReporter reporter(progress, stepEnd - stepBegin);
    if (threads_ == 1) {
      // The calling thread does the work and reports after each step, as it always has.
      runBlock(0, gate, stepBegin, stepEnd, cancel, outcomes[0],
               [&reporter](int64_t done) { reporter.update(done); });
    } else {
      runParallel(gate, stepBegin, stepEnd, cancel, outcomes, reporter);
    }
    for (const BlockOutcome& o : outcomes) {
      if (o.error) std::rethrow_exception(o.error);
    }
    return settle(outcomes, stepBegin);
  }

 private:
  // Thread k's chains over the steps the gate lets it start, step-major, like the one-thread run
  // restricted to those chains.
  template <class OnStep>
  void runBlock(int64_t k, StepGate& gate, int64_t stepBegin, int64_t stepEnd,
                const std::atomic<bool>* cancel, BlockOutcome& out, const OnStep& onStep) {
    Runner<T>& runner = *runners_[static_cast<size_t>(k)];
    const int64_t chainEnd = chainBlockBegin(cfg_, k + 1);
    int64_t t = stepBegin;
    for (; t < stepEnd; ++t) {
      if (!gate.mayStart(t, cancel)) break;
      for (int64_t c = chainBlockBegin(cfg_, k); c < chainEnd; ++c) {
        if (!runner.step(c, t)) {
          out.divergedChain = c;
          out.divergedStep = t;
          gate.diverged(t);
          return;
        }
      }
      onStep(t + 1 - stepBegin);
    }
    out.stoppedAt = t;
  }

  // T threads run the blocks; the calling thread reports the steps every chain has done.
  void runParallel(StepGate& gate, int64_t stepBegin, int64_t stepEnd,
                   const std::atomic<bool>* cancel, std::vector<BlockOutcome>& outcomes,
                   ProgressReporter& reporter) {
    std::vector<std::atomic<int64_t>> done(static_cast<size_t>(threads_));
    for (auto& d : done) d.store(0);
    std::mutex mutex;
    std::condition_variable finishedCv;
    int64_t finished = 0;
    const auto work = [&](int64_t k) {
      BlockOutcome& out = outcomes[static_cast<size_t>(k)];
      try {
        runBlock(k, gate, stepBegin, stepEnd, cancel, out, [&done, k](int64_t steps) {
          done[static_cast<size_t>(k)].store(steps, std::memory_order_relaxed);
        });
      } catch (...) {
        out.error = std::current_exception();
        gate.abort();
      }
      {
        const std::lock_guard<std::mutex> lock(mutex);
        ++finished;
      }
      finishedCv.notify_all();
    };
    const auto minDone = [&done] {
      int64_t least = std::numeric_limits<int64_t>::max();
      for (const auto& d : done) least = std::min(least, d.load(std::memory_order_relaxed));
      return least;
    };
    const auto wait = [&] {
      std::unique_lock<std::mutex> lock(mutex);
      for (;;) {
        const bool all = finishedCv.wait_for(lock, std::chrono::milliseconds(100),
                                             [&] { return finished == threads_; });
        lock.unlock();
        reporter.update(minDone());
        if (all) return;
        lock.lock();
      }
    };
    onThreads(threads_, work, wait, [&gate] { gate.abort(); });
  }

  // The one-thread run's result; chains a thread ran past its stopping point are put back and
  // replayed to it (in parallel, one thread per block).
  SgldResult settle(const std::vector<BlockOutcome>& outcomes, int64_t stepBegin) {
    SgldResult result;
    for (const BlockOutcome& o : outcomes) {
      if (o.divergedChain < 0) continue;
      if (result.divergedChain < 0 || o.divergedStep < result.divergedStep ||
          (o.divergedStep == result.divergedStep && o.divergedChain < result.divergedChain)) {
        result.divergedChain = o.divergedChain;
        result.divergedStep = o.divergedStep;
      }
    }
    if (result.divergedChain < 0) {
      // Every thread stopped before the same step: the gate's final limit (docs/sgld.md).
      result.stepsDone = outcomes[0].stoppedAt - stepBegin;
      return result;
    }
    result.stepsDone = result.divergedStep - stepBegin;
    if (threads_ == 1) return result;  // one thread stops exactly where it diverged
    const int64_t tStar = result.divergedStep;
    const int64_t cStar = result.divergedChain;
    const auto target = [&](int64_t c) {
      if (c < cStar) return completedPosition(tStar);
      return c == cStar ? divergedPosition(tStar) : completedPosition(tStar - 1);
    };
    std::vector<std::exception_ptr> errors(static_cast<size_t>(threads_));
    const auto replay = [&](int64_t k) {
      try {
        Runner<T>& runner = *runners_[static_cast<size_t>(k)];
        const BlockOutcome& o = outcomes[static_cast<size_t>(k)];
        for (int64_t c = chainBlockBegin(cfg_, k); c < chainBlockBegin(cfg_, k + 1); ++c) {
          if (positionOf(o, c) == target(c)) continue;
          snapshot_->restore(c);
          runner.forget(c);
          const int64_t last = c < cStar ? tStar : tStar - 1;
          for (int64_t t = stepBegin; t <= last; ++t) {
            if (!runner.step(c, t)) throw std::logic_error("sgldRun: a replayed chain diverged");
          }
        }
      } catch (...) {
        errors[static_cast<size_t>(k)] = std::current_exception();
      }
    };
    onThreads(
        threads_, replay, [] {}, [] {});
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    return result;
  }

  const SgldConfig& cfg_;
  Working<T> work_;
  const SgldAccumulators& acc_;
  int64_t threads_;
  std::vector<std::unique_ptr<Runner<T>>> runners_;
  std::unique_ptr<ChainSnapshot<T>> snapshot_;  // threads_ > 1 only
};

}  // namespace

int64_t sgldParamCount(const SgldConfig& c) { return c.N * c.d + c.N + (c.bias ? c.N : 0); }

int64_t sgldSampleCount(const SgldConfig& c) {
  return c.steps > c.burnIn ? (c.steps - c.burnIn - 1) / c.thin + 1 : 0;
}

int64_t sgldObserveCount(const SgldConfig& c) {
  return c.observeEvery > 0 && c.steps > 0 ? (c.steps - 1) / c.observeEvery + 1 : 0;
}

int64_t sgldThreadCount(const SgldConfig& c) { return threadCount(c); }

int64_t sgldWorkspaceSize(const SgldConfig& c) {
  return threadCount(c) * ((isFloat32(c) ? 0 : runnerScratchSize(c)) + randomScratchSize(c));
}

SgldResult sgldRun(const SgldConfig& config, const SgldData& data, SgldState& state,
                   SgldAccumulators& acc, int64_t stepBegin, int64_t stepEnd,
                   const std::atomic<bool>* cancel, const ProgressFn& progress, double* workspace) {
  checkConfig(config);
  checkPointers(config, data, state, acc);
  if (!(stepBegin >= 0 && stepBegin <= stepEnd && stepEnd <= config.steps)) {
    throw std::out_of_range("stepBegin, stepEnd: must satisfy 0 <= stepBegin <= stepEnd <= steps");
  }
  std::vector<double> owned;
  if (workspace == nullptr) {
    owned.resize(static_cast<size_t>(sgldWorkspaceSize(config)));
    workspace = owned.data();
  }
  if (!isFloat32(config)) {
    const Working<double> work{
        data.X, data.y, data.XTest, state.W, state.a, state.b, momentumOf(config, state)};
    ThreadedRun<double> run(config, data, work, acc, workspace,
                            workspace + threadCount(config) * runnerScratchSize(config));
    return run.run(stepBegin, stepEnd, cancel, progress);
  }
  // float32: single-precision copies of the inputs and of every chain's parameters, the Runner's
  // scratch after them; the parameters are written back (exactly) whatever ends the call.
  const int64_t C = config.chains;
  const int64_t N = config.N;
  const int64_t PdLength = config.P * config.d;
  const int64_t testLength = config.PTest * config.d;
  const int64_t WLength = C * N * config.d;
  const int64_t bLength = config.bias ? C * N : 0;
  double* momentum = momentumOf(config, state);
  const int64_t momentumLength = momentum != nullptr ? C * sgldParamCount(config) : 0;
  std::vector<float> block(static_cast<size_t>(PdLength + config.P + testLength + WLength + C * N +
                                               bLength + momentumLength +
                                               threadCount(config) * runnerScratchSize(config)));
  float* next = block.data();
  auto copy = [&next](const double* from, int64_t n) {
    float* to = next;
    for (int64_t i = 0; i < n; ++i) to[i] = static_cast<float>(from[i]);
    next += n;
    return to;
  };
  Working<float> work;
  work.X = copy(data.X, PdLength);
  work.y = copy(data.y, config.P);
  work.XTest = copy(data.XTest, testLength);
  work.W = copy(state.W, WLength);
  work.a = copy(state.a, C * N);
  work.b = config.bias ? copy(state.b, bLength) : nullptr;
  work.momentum = momentum != nullptr ? copy(momentum, momentumLength) : nullptr;
  ThreadedRun<float> run(config, data, work, acc, next, workspace);
  const SgldResult result = run.run(stepBegin, stepEnd, cancel, progress);
  std::copy(work.W, work.W + WLength, state.W);
  std::copy(work.a, work.a + C * N, state.a);
  if (config.bias) std::copy(work.b, work.b + bLength, state.b);
  if (work.momentum != nullptr) {
    std::copy(work.momentum, work.momentum + momentumLength, momentum);
  }
  return result;
}

}  // namespace mfl
