// The mean-field particle kernel of docs/mf.md. Per step: the features H = W X^T / sqrt(d) (one
// dgemm), K_q = B^T B (one dsyrk; or B B^T, M x M, for the Woodbury form), a Cholesky
// factorisation and solve, beta by dgemv, G = g X / sqrt(d) (one dgemm), and O(M (P + d)) fused
// elementwise passes. All scratch is carved out of one block at the start of a call.
#include "mf.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "activation.hpp"
#include "blas.hpp"
#include "cholesky.hpp"
#include "mf_observables.hpp"
#include "rng.hpp"
#include "streams.hpp"

namespace mfl {
namespace {

using blas::Trans;

constexpr uint64_t kTwoPow53 = uint64_t{1} << 53;
constexpr uint64_t kTwoPow32 = uint64_t{1} << 32;
constexpr int64_t kMaxHistBins = 10000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- checks (the binding validates everything first; these guard direct C++ callers) ----------

void require(bool ok, const char* message) {
  if (!ok) throw std::out_of_range(message);
}

bool positiveFinite(double x) { return x > 0.0 && std::isfinite(x); }

// kappa N^(2 gamma - 1), the ridge of the residual solve.
double ridgeOf(const MfConfig& c) { return c.kappa * std::pow(c.N, 2.0 * c.gamma - 1.0); }

void checkConfig(const MfConfig& c) {
  require(c.P >= 1 && c.d >= 1 && c.M >= 1, "P, d, M: must be integers >= 1");
  require(c.PTest >= 0, "PTest: must be an integer >= 0");
  require(c.N >= 1.0 && std::isfinite(c.N), "N: must be a finite number >= 1");
  require(c.gamma >= 0.5 && c.gamma <= 1.0, "gamma: must be in [0.5, 1]");
  require(positiveFinite(c.kappa) && positiveFinite(c.dt), "kappa, dt: must be finite and > 0");
  require(positiveFinite(c.sigmaW) && positiveFinite(c.sigmaA),
          "sigmaW, sigmaA: must be finite and > 0");
  require(positiveFinite(ridgeOf(c)), "kappa, N, gamma: the ridge must be finite and > 0");
  require(c.seed < kTwoPow53, "seed: must be an integer in [0, 2^53)");
  require(c.branch < kTwoPow32, "branch: must be an integer in [0, 2^32)");
  require(c.burnIn >= 0 && c.burnIn < c.steps, "burnIn: must be an integer in [0, steps)");
  require(c.sampleEvery >= 1 && c.observeEvery >= 1,
          "sampleEvery, observeEvery: must be integers >= 1");
  require(c.nRelevant >= 0 && c.nRelevant <= c.d, "nRelevant: must be an integer in [0, d]");
  require(positiveFinite(c.ardAlpha0) && positiveFinite(c.ardBeta0),
          "ardAlpha0, ardBeta0: must be finite and > 0");
  require(c.ardEma >= 0.0 && c.ardEma <= 1.0, "ardEma: must be in [0, 1]");
  require(c.histBins >= 1 && c.histBins <= kMaxHistBins, "histBins: must be in [1, 10000]");
  require(positiveFinite(c.histRange), "histRange: must be finite and > 0");
  // Every noise index t M d + p d + j must stay below 2^53.
  const auto Md = static_cast<uint64_t>(c.M) * static_cast<uint64_t>(c.d);
  require(static_cast<uint64_t>(c.steps) <= kTwoPow53 / Md, "steps: steps * M * d must be <= 2^53");
}

void checkPointers(const MfConfig& c, const MfData& data, const MfState& state,
                   const MfAccumulators& acc) {
  const bool inputs = data.X != nullptr && data.y != nullptr &&
                      (c.PTest == 0 || (data.XTest != nullptr && data.yTest != nullptr));
  const bool particles = state.W != nullptr && state.rho != nullptr && state.rPrev != nullptr;
  const bool outputs = acc.nSamples != nullptr && acc.sumFTrain != nullptr &&
                       acc.sumFTrainHalf != nullptr && acc.nHalf != nullptr &&
                       acc.sumQ != nullptr && acc.sumSpecialisation != nullptr &&
                       acc.hist != nullptr && acc.moments != nullptr && acc.counts != nullptr &&
                       acc.sumStepChange != nullptr && acc.nStepChange != nullptr &&
                       acc.series != nullptr && (c.PTest == 0 || acc.sumFTest != nullptr);
  if (!inputs || !particles || !outputs) throw std::invalid_argument("mfRun: null array");
}

int64_t solveOrder(const MfConfig& c) { return c.solve == MfSolve::kWoodbury ? c.M : c.P; }

int64_t testChunkRows(const MfConfig& c) { return std::min(c.PTest, kMfTestChunk); }

struct StepOutcome {
  MfFailure failure = MfFailure::kNone;
  int64_t info = 0;
};

class Runner {
 public:
  // `scratch`: mfWorkspaceSize(config) doubles.
  Runner(const MfConfig& config, const MfData& data, const MfState& state,
         const MfAccumulators& acc, double* scratch);

  StepOutcome step(int64_t t);

 private:
  void features(const double* Xs, int64_t n, double* Hs, double* Phis) const;
  void kernelFactors();
  int64_t residualCholesky();
  int64_t residualWoodbury();
  void observe(int64_t t, bool isSample, bool isSeries, double stepChange);
  void predictTest();
  void sample(int64_t t);
  void gradientFactors();
  bool langevin(int64_t t);
  void updatePrecisions();
  void updateNeuronPrecisions();

  const MfConfig& cfg_;
  const MfData& data_;
  const MfState& state_;
  const MfAccumulators& acc_;
  double c_;         // self-interaction N^(-2 gamma) / kappa
  double e_;         // tilt N^(-gamma) / kappa
  double ridge_;     // kappa N^(2 gamma - 1)
  double invSqrtD_;  // 1 / sqrt(d)
  double yNorm_;     // |y| (1 when y = 0)
  uint64_t noiseStream_;

  double* H_;       // M x P pre-activations
  double* Phi_;     // M x P phi(H)
  double* B_;       // M x P: Phi / sqrt(M Lambda), then the gradient factors g
  double* K_;       // P x P or M x M: the matrix of the residual solve
  double* z_;       // M: B y, then (ridge I + B B^T)^-1 B y (Woodbury)
  double* r_;       // P: the residual of this step
  double* Lambda_;  // M
  double* beta_;    // M
  double* coef_;    // M: predictor coefficients N^(1-gamma) m_p / M
  double* G_;       // M x d: data part of grad U
  double* Wnext_;   // M x d: the step's Gaussians, then the updated particles
  double* HTest_;   // M x min(PTest, kMfTestChunk)
  double* fTest_;   // PTest
};

Runner::Runner(const MfConfig& config, const MfData& data, const MfState& state,
               const MfAccumulators& acc, double* scratch)
    : cfg_(config),
      data_(data),
      state_(state),
      acc_(acc),
      c_(std::pow(config.N, -2.0 * config.gamma) / config.kappa),
      e_(std::pow(config.N, -config.gamma) / config.kappa),
      ridge_(ridgeOf(config)),
      invSqrtD_(1.0 / std::sqrt(static_cast<double>(config.d))),
      noiseStream_(streams::id(streams::kMfNoise, config.branch)) {
  double yy = 0.0;
  for (int64_t mu = 0; mu < config.P; ++mu) yy += data.y[mu] * data.y[mu];
  yNorm_ = yy > 0.0 ? std::sqrt(yy) : 1.0;
  double* next = scratch;
  auto take = [&next](int64_t n) {
    double* p = next;
    next += n;
    return p;
  };
  const int64_t MP = config.M * config.P;
  const int64_t order = solveOrder(config);
  H_ = take(MP);
  Phi_ = take(MP);
  B_ = take(MP);
  K_ = take(order * order);
  z_ = take(config.M);
  r_ = take(config.P);
  Lambda_ = take(config.M);
  beta_ = take(config.M);
  coef_ = take(config.M);
  G_ = take(config.M * config.d);
  Wnext_ = take(config.M * config.d);
  HTest_ = take(config.M * testChunkRows(config));
  fTest_ = take(config.PTest);
}

// Step 1 on rows Xs (n x d): Hs = W Xs^T / sqrt(d) (M x n), Phis = phi(Hs); Phis may be Hs.
void Runner::features(const double* Xs, int64_t n, double* Hs, double* Phis) const {
  const int64_t cells = cfg_.M * n;
  blas::gemm(Trans::kNo, Trans::kYes, cfg_.M, n, cfg_.d, invSqrtD_, state_.W, cfg_.d, Xs, cfg_.d,
             0.0, Hs, n);
  activation::dispatch(cfg_.activation, [&](auto phi) {
    using PhiT = decltype(phi);
    for (int64_t i = 0; i < cells; ++i) Phis[i] = PhiT::value(Hs[i]);
  });
}

// Steps 2-3: Lambda_p = 1/sigma_a^2 + c sum_mu Phi^2 and B = Phi / sqrt(M Lambda_p).
void Runner::kernelFactors() {
  const int64_t P = cfg_.P;
  const double prior = 1.0 / (cfg_.sigmaA * cfg_.sigmaA);
  const auto particles = static_cast<double>(cfg_.M);
  for (int64_t p = 0; p < cfg_.M; ++p) {
    const double* phi = Phi_ + p * P;
    double s2 = 0.0;
    for (int64_t mu = 0; mu < P; ++mu) s2 += phi[mu] * phi[mu];
    const double lambda = prior + c_ * s2;
    Lambda_[p] = lambda;
    const double scale = 1.0 / std::sqrt(particles * lambda);
    double* b = B_ + p * P;
    for (int64_t mu = 0; mu < P; ++mu) b[mu] = phi[mu] * scale;
  }
}

// Step 4, P x P: r = ridge (K_q + ridge I)^-1 y with K_q = B^T B. Returns LAPACK's info.
int64_t Runner::residualCholesky() {
  const int64_t P = cfg_.P;
  blas::syrkLowerTransposed(P, cfg_.M, 1.0, B_, P, 0.0, K_, P);
  const int64_t info = cholesky(K_, P, ridge_);
  if (info != 0) return info;
  for (int64_t mu = 0; mu < P; ++mu) r_[mu] = ridge_ * data_.y[mu];
  choleskySolve(K_, P, r_, 1);
  return 0;
}

// Step 4, M x M (Woodbury): with B' = B^T, ridge (K_q + ridge I)^-1 y = y - B' (ridge I +
// B'^T B')^-1 B'^T y and B'^T B' = B B^T, so no P x P matrix is formed. Returns LAPACK's info.
int64_t Runner::residualWoodbury() {
  const int64_t M = cfg_.M;
  const int64_t P = cfg_.P;
  blas::syrkLower(M, P, 1.0, B_, P, 0.0, K_, M);
  const int64_t info = cholesky(K_, M, ridge_);
  if (info != 0) return info;
  blas::gemv(Trans::kNo, M, P, 1.0, B_, P, data_.y, 0.0, z_);
  choleskySolve(K_, M, z_, 1);
  std::copy(data_.y, data_.y + P, r_);
  blas::gemv(Trans::kYes, M, P, -1.0, B_, P, z_, 1.0, r_);
  return 0;
}

// Step 7: g = phi'(H) [c (1/Lambda + m^2) Phi - e m r] into B (no longer needed), then
// G = g X / sqrt(d).
void Runner::gradientFactors() {
  const int64_t P = cfg_.P;
  double* g = B_;
  activation::dispatch(cfg_.activation, [&](auto phi) {
    using PhiT = decltype(phi);
    for (int64_t p = 0; p < cfg_.M; ++p) {
      const double lambda = Lambda_[p];
      const double m = beta_[p] / lambda;
      const double self = c_ * (1.0 / lambda + m * m);
      const double tilt = e_ * m;
      const int64_t row = p * P;
      for (int64_t mu = 0; mu < P; ++mu) {
        const int64_t i = row + mu;
        g[i] = PhiT::derivative(H_[i]) * (self * Phi_[i] - tilt * r_[mu]);
      }
    }
  });
  blas::gemm(Trans::kNo, Trans::kNo, cfg_.M, cfg_.d, P, invSqrtD_, g, P, data_.X, cfg_.d, 0.0, G_,
             cfg_.d);
}

// Step 8 into Wnext: W - dt (rho W + G) + sqrt(2 dt) xi, rho_j or rho_pj; false when a value is
// not finite.
bool Runner::langevin(int64_t t) {
  const int64_t d = cfg_.d;
  const int64_t Md = cfg_.M * d;
  fillGaussian(cfg_.seed, noiseStream_, static_cast<uint64_t>(t) * static_cast<uint64_t>(Md),
               Wnext_, Md);
  const double dt = cfg_.dt;
  const double noise = std::sqrt(2.0 * dt);
  const double* W = state_.W;
  // Particle p's precisions: rho + p * rhoStride (coordinate-wise: the same d for every p).
  const int64_t rhoStride = cfg_.ardPrecisions == MfArdPrecisions::kNeuron ? d : 0;
  bool finite = true;
  for (int64_t p = 0; p < cfg_.M; ++p) {
    const double* rho = state_.rho + p * rhoStride;
    for (int64_t j = 0; j < d; ++j) {
      const int64_t i = p * d + j;
      const double next = W[i] - dt * (rho[j] * W[i] + G_[i]) + noise * Wnext_[i];
      Wnext_[i] = next;
      finite = finite && std::isfinite(next);
    }
  }
  return finite;
}

// Step 9 (MF-ARD): rho_j <- (1 - ema) rho_j + ema (alpha0 + N/2) / (beta0 + (N/2) m2_j).
void Runner::updatePrecisions() {
  const int64_t d = cfg_.d;
  const double halfN = cfg_.N / 2.0;
  for (int64_t j = 0; j < d; ++j) {
    double m2 = 0.0;
    for (int64_t p = 0; p < cfg_.M; ++p) m2 += state_.W[p * d + j] * state_.W[p * d + j];
    m2 /= static_cast<double>(cfg_.M);
    const double target = (cfg_.ardAlpha0 + halfN) / (cfg_.ardBeta0 + halfN * m2);
    state_.rho[j] = (1.0 - cfg_.ardEma) * state_.rho[j] + cfg_.ardEma * target;
  }
}

// Step 9 (MF-ARD, neuron-wise): rho_pj <- (1 - ema) rho_pj + ema (alpha0 + 1/2) /
// (beta0 + w_pj^2 / 2), the conditional mean of rho given the particle's own weight.
void Runner::updateNeuronPrecisions() {
  const int64_t Md = cfg_.M * cfg_.d;
  const double shape = cfg_.ardAlpha0 + 0.5;
  for (int64_t i = 0; i < Md; ++i) {
    const double w = state_.W[i];
    const double target = shape / (cfg_.ardBeta0 + 0.5 * (w * w));
    state_.rho[i] = (1.0 - cfg_.ardEma) * state_.rho[i] + cfg_.ardEma * target;
  }
}

// fbar on the test rows, kMfTestChunk rows at a time: Phi_test^T coef.
void Runner::predictTest() {
  const int64_t M = cfg_.M;
  const double scale = std::pow(cfg_.N, 1.0 - cfg_.gamma) / static_cast<double>(M);
  for (int64_t p = 0; p < M; ++p) coef_[p] = scale * beta_[p] / Lambda_[p];
  for (int64_t start = 0; start < cfg_.PTest; start += kMfTestChunk) {
    const int64_t n = std::min(kMfTestChunk, cfg_.PTest - start);
    features(data_.XTest + start * cfg_.d, n, HTest_, HTest_);
    blas::gemv(Trans::kYes, M, n, 1.0, HTest_, n, coef_, 0.0, fTest_ + start);
  }
}

// A sample (docs/mf.md, "Samples"): time averages and the particle observables.
void Runner::sample(int64_t t) {
  const int64_t P = cfg_.P;
  acc_.nSamples[0] += 1.0;
  for (int64_t i = 0; i < cfg_.PTest; ++i) acc_.sumFTest[i] += fTest_[i];
  const double middle =
      static_cast<double>(cfg_.burnIn) + static_cast<double>(cfg_.steps - cfg_.burnIn) / 2.0;
  const int64_t half = static_cast<double>(t) < middle ? 0 : 1;
  acc_.nHalf[half] += 1.0;
  double* sumHalf = acc_.sumFTrainHalf + half * P;
  for (int64_t mu = 0; mu < P; ++mu) {
    const double fbar = data_.y[mu] - r_[mu];
    acc_.sumFTrain[mu] += fbar;
    sumHalf[mu] += fbar;
  }
  mf::addParticleSample(cfg_, state_.W, acc_);
  mf::addSecondLayerSample(cfg_, Lambda_, beta_, acc_);
}

// Step 6: sample and/or series row of the state before the update.
void Runner::observe(int64_t t, bool isSample, bool isSeries, double stepChange) {
  const int64_t PTest = cfg_.PTest;
  const double* target = data_.targetTest;
  if (PTest > 0 && (isSample || target != nullptr)) predictTest();
  if (isSample) sample(t);
  if (!isSeries) return;
  double trainSquares = 0.0;
  for (int64_t mu = 0; mu < cfg_.P; ++mu) trainSquares += r_[mu] * r_[mu];
  double mS = kNaN;
  if (target != nullptr && PTest > 0) {
    double sum = 0.0;
    for (int64_t i = 0; i < PTest; ++i) sum += fTest_[i] * target[i];
    mS = sum / static_cast<double>(PTest);
  }
  double* row = acc_.series + (t / cfg_.observeEvery) * kMfSeriesColumns;
  row[0] = static_cast<double>(t);
  row[1] = trainSquares / static_cast<double>(cfg_.P);
  row[2] = mS;
  row[3] = stepChange;
}

StepOutcome Runner::step(int64_t t) {
  features(data_.X, cfg_.P, H_, Phi_);
  kernelFactors();
  const int64_t info = cfg_.solve == MfSolve::kWoodbury ? residualWoodbury() : residualCholesky();
  if (info != 0) return {MfFailure::kNotPositiveDefinite, info};
  // Step 5: beta = e Phi r.
  blas::gemv(Trans::kNo, cfg_.M, cfg_.P, e_, Phi_, cfg_.P, r_, 0.0, beta_);

  double stepChange = kNaN;
  if (t > 0) {
    double squares = 0.0;
    for (int64_t mu = 0; mu < cfg_.P; ++mu) {
      squares += (r_[mu] - state_.rPrev[mu]) * (r_[mu] - state_.rPrev[mu]);
    }
    stepChange = std::sqrt(squares) / yNorm_;
    if (t >= cfg_.burnIn) {
      acc_.sumStepChange[0] += stepChange;
      acc_.nStepChange[0] += 1.0;
    }
  }
  const bool isSample = t >= cfg_.burnIn && (t - cfg_.burnIn) % cfg_.sampleEvery == 0;
  const bool isSeries = t % cfg_.observeEvery == 0;
  if (isSample || isSeries) observe(t, isSample, isSeries, stepChange);

  gradientFactors();
  if (!langevin(t)) return {MfFailure::kNonFinite, 0};
  std::copy(Wnext_, Wnext_ + cfg_.M * cfg_.d, state_.W);
  if (cfg_.ardEma > 0.0) {
    if (cfg_.ardPrecisions == MfArdPrecisions::kNeuron) {
      updateNeuronPrecisions();
    } else {
      updatePrecisions();
    }
  }
  std::copy(r_, r_ + cfg_.P, state_.rPrev);
  return {};
}

MfResult runSteps(Runner& runner, int64_t stepBegin, int64_t stepEnd,
                  const std::atomic<bool>* cancel, const ProgressFn& progress) {
  ProgressReporter reporter(progress, stepEnd - stepBegin);
  MfResult result;
  for (int64_t t = stepBegin; t < stepEnd; ++t) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    const StepOutcome outcome = runner.step(t);
    if (outcome.failure != MfFailure::kNone) {
      result.failure = outcome.failure;
      result.failedStep = t;
      result.info = outcome.info;
      return result;
    }
    result.stepsDone = t + 1 - stepBegin;
    reporter.update(result.stepsDone);
  }
  return result;
}

}  // namespace

int64_t mfObserveCount(const MfConfig& c) {
  return c.steps > 0 ? (c.steps - 1) / c.observeEvery + 1 : 0;
}

int64_t mfRhoLength(const MfConfig& c) {
  return c.ardPrecisions == MfArdPrecisions::kNeuron ? c.M * c.d : c.d;
}

int64_t mfWorkspaceSize(const MfConfig& c) {
  const int64_t order = solveOrder(c);
  return 3 * c.M * c.P + order * order + 4 * c.M + c.P + 2 * c.M * c.d + c.M * testChunkRows(c) +
         c.PTest;
}

MfResult mfRun(const MfConfig& config, const MfData& data, const MfState& state,
               const MfAccumulators& acc, int64_t stepBegin, int64_t stepEnd,
               const std::atomic<bool>* cancel, const ProgressFn& progress, double* workspace) {
  checkConfig(config);
  checkPointers(config, data, state, acc);
  if (!(stepBegin >= 0 && stepBegin <= stepEnd && stepEnd <= config.steps)) {
    throw std::out_of_range("stepBegin, stepEnd: must satisfy 0 <= stepBegin <= stepEnd <= steps");
  }
  std::vector<double> owned;
  if (workspace == nullptr) {
    owned.resize(static_cast<size_t>(mfWorkspaceSize(config)));
    workspace = owned.data();
  }
  Runner runner(config, data, state, acc, workspace);
  return runSteps(runner, stepBegin, stepEnd, cancel, progress);
}

}  // namespace mfl
