// The mean-field particle kernel of docs/mf.md. Per step: the features H = W X^T / sqrt(d), K_q =
// B^T B (one dsyrk; or B B^T, M x M, for the Woodbury form), a Cholesky factorisation and solve,
// G = g X / sqrt(d), and O(M d) work for the update. The elementwise work on the M x P arrays is
// fused into two passes over blocks of particle rows, as the SGLD kernel's row blocks
// (network.cpp): the features dgemm of a block, then phi, Lambda, B (and B y for Woodbury) while
// the block is in cache; after the solve, beta, the gradient factors g and the dgemm g X of a
// block. So H is written once and read once, B written once and read by the solve, and g never
// leaves the cache. All scratch is carved out of one block at the start of a call.
//
// Threads (docs/mf.md, "Threads"): both passes run their blocks on a pool of threads, and K is
// formed as two half sums (or, when K is large, tiles of its lower triangle) on whichever thread
// is free; only the factorisation and the solve stay on the calling thread. Blocks, halves and
// tiles depend on the shape alone and every number is computed by one item (the halves added in a
// fixed order), so the results are bitwise those of one thread.
//
// Average kKernel (docs/mf.md, "Two averages"): each sample's particles are copied into
// acc.sampleW; after the last step the same factor pass (kernelFactors) runs on every stored
// sample, the time-averaged kernel is summed by one dsyrk per sample (on the calling thread, a few
// percent of a run), factorised once, and the test rows get each sample's features again.
#include "mf.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "activation.hpp"
#include "blas.hpp"
#include "cholesky.hpp"
#include "mf_observables.hpp"
#include "pool.hpp"
#include "rng.hpp"
#include "streams.hpp"

namespace mfl {
namespace {

using blas::Trans;

constexpr uint64_t kTwoPow53 = uint64_t{1} << 53;
constexpr uint64_t kTwoPow32 = uint64_t{1} << 32;
constexpr int64_t kMaxHistBins = 10000;
constexpr int64_t kMaxBatches = 10000;
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
  require(c.batches >= 1 && c.batches <= kMaxBatches, "batches: must be in [1, 10000]");
  // The batch of a sample, (t - burnIn) batches / (steps - burnIn), is exact below 2^53.
  require(static_cast<uint64_t>(c.steps) <= kTwoPow53 / static_cast<uint64_t>(c.batches),
          "batches: steps * batches must be <= 2^53");
  require(c.nRelevant >= 0 && c.nRelevant <= c.d, "nRelevant: must be an integer in [0, d]");
  require(positiveFinite(c.ardAlpha0) && positiveFinite(c.ardBeta0),
          "ardAlpha0, ardBeta0: must be finite and > 0");
  require(c.ardEma >= 0.0 && c.ardEma <= 1.0, "ardEma: must be in [0, 1]");
  require(c.histBins >= 1 && c.histBins <= kMaxHistBins, "histBins: must be in [1, 10000]");
  require(positiveFinite(c.histRange), "histRange: must be finite and > 0");
  require(c.threads >= 1 && c.threads <= kMfMaxThreads, "threads: must be an integer in [1, 256]");
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
                       acc.sumFTrainBatch != nullptr && acc.batchSums != nullptr &&
                       acc.sumQ != nullptr && acc.sumSpecialisation != nullptr &&
                       acc.hist != nullptr && acc.moments != nullptr && acc.counts != nullptr &&
                       acc.sumStepChange != nullptr && acc.nStepChange != nullptr &&
                       acc.series != nullptr && (c.PTest == 0 || acc.sumFTest != nullptr);
  const bool averages =
      c.average != MfAverage::kKernel || (acc.sampleW != nullptr && acc.kernelFTrain != nullptr &&
                                          (c.PTest == 0 || acc.kernelFTest != nullptr));
  if (!inputs || !particles || !outputs || !averages) {
    throw std::invalid_argument("mfRun: null array");
  }
}

int64_t solveOrder(const MfConfig& c) { return c.solve == MfSolve::kWoodbury ? c.M : c.P; }

int64_t testChunkRows(const MfConfig& c) { return std::min(c.PTest, kMfTestChunk); }

// Doubles of the P x P time-averaged kernel when the residual solve's matrix cannot hold it
// (Woodbury with M != P); else K is reused, free after the last step.
int64_t averagedKernelSize(const MfConfig& c) {
  return c.average == MfAverage::kKernel && solveOrder(c) != c.P ? c.P * c.P : 0;
}

// Bytes of an M x P array per block of particle rows (at most 163 rows at P = 400): the block, the
// row being worked on and the dgemm panels fit in a 1-2 MiB L2, as the SGLD kernel's blocks.
constexpr int64_t kBlockBytes = 512 * 1024;

// Blocks of particles at least (when M >= 64), so that threads have blocks to share.
constexpr int64_t kMinBlocks = 8;

// Particle rows per block: at most kBlockBytes of P doubles and M / kMinBlocks rows (at least 8
// rows), the blocks of equal size but the last. The shape alone sets it, never the threads.
int64_t blockRows(const MfConfig& c) {
  const int64_t spread = (c.M + kMinBlocks - 1) / kMinBlocks;
  const int64_t cap = std::max<int64_t>(std::min(kBlockBytes / (8 * c.P), spread), 8);
  const int64_t blocks = (c.M + cap - 1) / cap;
  return (c.M + blocks - 1) / blocks;
}

int64_t blockCount(const MfConfig& c) {
  const int64_t rows = blockRows(c);
  return (c.M + rows - 1) / rows;
}

// How K (n x n: P x P, a sum over the M particles; or M x M for Woodbury, a sum over the P rows)
// is split into items for the threads, from the shape alone (docs/mf.md, "Threads"). A dsyrk
// packs its operand once; cutting K into tiles packs each panel once per tile it meets, measured
// 14-37% on the step at tiles of 100-128 (one thread). So while a second n x n matrix fits
// kPartialDoubles, the sum is cut in two halves instead: one dsyrk each into its own matrix, added
// in a fixed order (first half + second half). Beyond that, tiles of at most kTileMax rows of the
// lower triangle, each one dgemm (dsyrk on the diagonal) over the whole sum.
constexpr int64_t kPartialDoubles = int64_t{8} << 20;  // 64 MiB: n <= 2896
constexpr int64_t kTileMax = 512;

struct KernelSplit {
  int64_t halves;  // 2: two half sums into K and a partial matrix; 1: tiles
  int64_t tile;    // tile rows (n when halves = 2)
  int64_t side;    // tiles a side
  int64_t items() const { return halves * side * (side + 1) / 2; }
};

KernelSplit kernelSplit(const MfConfig& c) {
  const int64_t n = solveOrder(c);
  const int64_t inner = c.solve == MfSolve::kWoodbury ? c.P : c.M;
  if (n * n <= kPartialDoubles && inner >= 2) return {2, n, 1};
  const int64_t side = (n + kTileMax - 1) / kTileMax;
  const int64_t tile = (n + side - 1) / side;
  return {1, tile, (n + tile - 1) / tile};
}

// Doubles of the partial matrix of the second half sum.
int64_t partialSize(const MfConfig& c) {
  return kernelSplit(c).halves == 2 ? solveOrder(c) * solveOrder(c) : 0;
}

// The items of kernelSplit: (half, i, j) with j <= i, the tiles off the diagonal first (whole
// dgemms), then the diagonal's (dsyrk, half the work), so that the last items a thread picks up
// are the small ones.
std::vector<std::array<int64_t, 3>> kernelItems(const KernelSplit& split) {
  std::vector<std::array<int64_t, 3>> items;
  for (int64_t h = 0; h < split.halves; ++h) {
    for (int64_t i = 0; i < split.side; ++i) {
      for (int64_t j = 0; j < i; ++j) items.push_back({h, i, j});
    }
  }
  for (int64_t h = 0; h < split.halves; ++h) {
    for (int64_t i = 0; i < split.side; ++i) items.push_back({h, i, i});
  }
  return items;
}

// Whether phi(H) is kept (M x P) between the passes: recomputing a cheap phi beats storing and
// reloading it.
bool keepsPhi(const MfConfig& c) {
  bool cheap = false;
  activation::dispatch(c.activation, [&](auto phi) { cheap = decltype(phi)::kCheap; });
  return !cheap;
}

// Independent partial sums: a single running sum is a dependency chain that neither vectorises
// nor pipelines (no -ffast-math here); eight lanes do both (as network.cpp's row sums).
constexpr int64_t kLanes = 8;

// sum_i term(i) for i in [0, n), in kLanes interleaved partial sums.
template <class Term>
double laneSum(int64_t n, Term&& term) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) acc[k] += term(i + k);
  }
  double tail = 0.0;
  for (; i < n; ++i) tail += term(i);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// phi'(h) given phi = phi(h) as well: tanh's from phi (1 - phi^2, what Phi::derivative computes
// from its own tanh(h), so bit for bit the same), the others' from h.
template <class PhiT>
double derivativeAt(double h, double phi) {
  if constexpr (std::is_same_v<PhiT, activation::Phi<Activation::kTanh>>) {
    return 1.0 - phi * phi;
  } else {
    return PhiT::derivative(h);
  }
}

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
  // "Two averages", steps 2-4: the predictor of the time-averaged kernel into acc.kernelFTrain
  // and acc.kernelFTest. Returns LAPACK's info.
  int64_t kernelAverage();

 private:
  void features(const double* W, const double* Xs, int64_t n, double* Hs, double* Phis) const;
  // kernelFactors of the particles W (M x d) across the pool; B y into z only `withBy`.
  void factors(const double* W, bool withBy);
  template <class PhiT>
  void kernelFactors(const double* W, int64_t first, int64_t n, bool withBy);
  // phi_mu(w_p) for the training rows mu, from H (cheap phi) or the kept Phi.
  template <class PhiT>
  auto phiRow(int64_t p) const;
  int64_t storedSamples() const;
  void kernelTest(int64_t samples, const double* v);
  void testRows(const double* W, double beta, double* out);
  void kernelMatrix();
  template <class PhiT>
  void gradientFactors(int64_t first, int64_t n, double* g);
  int64_t residualCholesky();
  int64_t residualWoodbury();
  void observe(int64_t t, bool isSample, bool isSeries, double stepChange);
  void predictTest();
  void sample(int64_t t, double trainMse, double mS);
  bool langevin(int64_t t, int64_t first, int64_t n);
  // Runs work(first, n, thread) on every block of particle rows across the pool.
  template <class Work>
  void eachBlock(const Work& work);
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
  int64_t rows_;  // particle rows per block of the fused passes
  int64_t blocks_;
  KernelSplit split_;
  std::vector<std::array<int64_t, 3>> kernelItems_;  // of split_
  WorkerPool pool_;
  std::vector<char> blockFinite_;  // per block: its updated particles are finite

  double* H_;         // M x P pre-activations
  double* Phi_;       // M x P phi(H) when keepsPhi, else null (recomputed from H)
  double* B_;         // M x P: Phi / sqrt(M Lambda); after the solve, its first rows_ rows hold the
                      // gradient factors g of one block at a time (of the calling thread's blocks)
  double* gSlots_;    // (threads - 1) x rows_ x P: the other threads' g
  double* Kpartial_;  // n x n: the second half sum of K (split_.halves = 2)
  double* K_;         // P x P or M x M: the matrix of the residual solve
  double* Kbar_;      // P x P: the time-averaged kernel (K_ itself when it is P x P)
  double* z_;         // M: B y, then (ridge I + B B^T)^-1 B y (Woodbury)
  double* r_;         // P: the residual of this step
  double* Lambda_;    // M
  double* beta_;      // M
  double* coef_;      // M: predictor coefficients N^(1-gamma) m_p / M
  double* G_;         // M x d: data part of grad U
  double* Wnext_;     // M x d: the step's Gaussians, then the updated particles
  double* HTest_;     // M x min(PTest, kMfTestChunk)
  double* fTest_;     // PTest
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
      noiseStream_(streams::id(streams::kMfNoise, config.branch)),
      rows_(blockRows(config)),
      blocks_(blockCount(config)),
      split_(kernelSplit(config)),
      kernelItems_(kernelItems(split_)),
      pool_(mfThreadCount(config)),
      blockFinite_(static_cast<size_t>(blocks_)) {
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
  Phi_ = keepsPhi(config) ? take(MP) : nullptr;
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
  gSlots_ = take((pool_.size() - 1) * rows_ * config.P);
  Kpartial_ = take(partialSize(config));
  Kbar_ = averagedKernelSize(config) > 0 ? take(averagedKernelSize(config)) : K_;
}

template <class Work>
void Runner::eachBlock(const Work& work) {
  pool_.forEach(blocks_, [&](int64_t block, int64_t thread) {
    const int64_t first = block * rows_;
    work(first, std::min(rows_, cfg_.M - first), thread);
  });
}

// Step 1 on rows Xs (n x d) for the particles W (M x d): Hs = W Xs^T / sqrt(d) (M x n), Phis =
// phi(Hs); Phis may be Hs.
void Runner::features(const double* W, const double* Xs, int64_t n, double* Hs,
                      double* Phis) const {
  const int64_t cells = cfg_.M * n;
  blas::gemm(Trans::kNo, Trans::kYes, cfg_.M, n, cfg_.d, invSqrtD_, W, cfg_.d, Xs, cfg_.d, 0.0, Hs,
             n);
  activation::dispatch(cfg_.activation, [&](auto phi) {
    using PhiT = decltype(phi);
    for (int64_t i = 0; i < cells; ++i) Phis[i] = PhiT::value(Hs[i]);
  });
}

void Runner::factors(const double* W, bool withBy) {
  activation::dispatch(cfg_.activation, [&](auto phi) {
    eachBlock([&](int64_t first, int64_t n, int64_t) {
      kernelFactors<decltype(phi)>(W, first, n, withBy);
    });
  });
}

// Steps 1-3 (and B y for the Woodbury solve, `withBy`) on the block of particles
// [first, first + n) of W: H = W X^T / sqrt(d) for them (one dgemm), then per particle, while its
// row is in cache, phi (kept in Phi only when not cheap), Lambda_p = 1/sigma_a^2 + c sum_mu phi^2
// and B = phi / sqrt(M Lambda_p).
template <class PhiT>
void Runner::kernelFactors(const double* W, int64_t first, int64_t n, bool withBy) {
  const int64_t P = cfg_.P;
  const int64_t d = cfg_.d;
  const double prior = 1.0 / (cfg_.sigmaA * cfg_.sigmaA);
  const auto particles = static_cast<double>(cfg_.M);
  const double* y = data_.y;
  blas::gemm(Trans::kNo, Trans::kYes, n, P, d, invSqrtD_, W + first * d, d, data_.X, d, 0.0,
             H_ + first * P, P);
  for (int64_t p = first; p < first + n; ++p) {
    const double* h = H_ + p * P;
    double* b = B_ + p * P;
    double s2 = 0.0;
    if constexpr (PhiT::kCheap) {
      s2 = laneSum(P, [h](int64_t mu) {
        const double phi = PhiT::value(h[mu]);
        return phi * phi;
      });
    } else {
      double* phi = Phi_ + p * P;
      for (int64_t mu = 0; mu < P; ++mu) phi[mu] = PhiT::value(h[mu]);
      s2 = laneSum(P, [phi](int64_t mu) { return phi[mu] * phi[mu]; });
    }
    const double lambda = prior + c_ * s2;
    Lambda_[p] = lambda;
    const double scale = 1.0 / std::sqrt(particles * lambda);
    if constexpr (PhiT::kCheap) {
      for (int64_t mu = 0; mu < P; ++mu) b[mu] = PhiT::value(h[mu]) * scale;
    } else {
      const double* phi = Phi_ + p * P;
      for (int64_t mu = 0; mu < P; ++mu) b[mu] = phi[mu] * scale;
    }
    if (withBy) z_[p] = laneSum(P, [b, y](int64_t mu) { return b[mu] * y[mu]; });
  }
}

// Step 3 (or its Woodbury form) across the pool, as kernelSplit cuts it: K_q = B^T B (P x P) or
// B B^T (M x M), lower triangle.
void Runner::kernelMatrix() {
  const int64_t P = cfg_.P;
  const bool woodbury = cfg_.solve == MfSolve::kWoodbury;
  const int64_t n = solveOrder(cfg_);
  const int64_t inner = woodbury ? P : cfg_.M;
  const int64_t size = split_.tile;
  pool_.forEach(static_cast<int64_t>(kernelItems_.size()), [&](int64_t item, int64_t) {
    const auto [h, i, j] = kernelItems_[static_cast<size_t>(item)];
    // The half's range of the sum: [k0, k0 + kn) of the particles (rows of B) or training rows
    // (its columns).
    const int64_t k0 = inner * h / split_.halves;
    const int64_t kn = inner * (h + 1) / split_.halves - k0;
    const int64_t r0 = i * size;
    const int64_t c0 = j * size;
    const int64_t rn = std::min(size, n - r0);
    const int64_t cn = std::min(size, n - c0);
    double* out = (h == 0 ? K_ : Kpartial_) + r0 * n + c0;
    if (woodbury) {
      const double* rows = B_ + r0 * P + k0;
      if (i == j) {
        blas::syrkLower(rn, kn, 1.0, rows, P, 0.0, out, n);
      } else {
        blas::gemm(Trans::kNo, Trans::kYes, rn, cn, kn, 1.0, rows, P, B_ + c0 * P + k0, P, 0.0, out,
                   n);
      }
    } else {
      const double* columns = B_ + k0 * P + r0;
      if (i == j) {
        blas::syrkLowerTransposed(rn, kn, 1.0, columns, P, 0.0, out, n);
      } else {
        blas::gemm(Trans::kYes, Trans::kNo, rn, cn, kn, 1.0, columns, P, B_ + k0 * P + c0, P, 0.0,
                   out, n);
      }
    }
  });
  if (split_.halves == 1) return;
  // K = first half + second half, entry by entry (rows in chunks across the pool).
  const int64_t chunk = 64;
  pool_.forEach((n + chunk - 1) / chunk, [&](int64_t item, int64_t) {
    for (int64_t row = item * chunk; row < std::min(n, (item + 1) * chunk); ++row) {
      double* k = K_ + row * n;
      const double* partial = Kpartial_ + row * n;
      for (int64_t col = 0; col <= row; ++col) k[col] += partial[col];
    }
  });
}

// Step 4, P x P: r = ridge (K_q + ridge I)^-1 y with K_q from kernelMatrix. Returns LAPACK's info.
int64_t Runner::residualCholesky() {
  const int64_t P = cfg_.P;
  const int64_t info = cholesky(K_, P, ridge_);
  if (info != 0) return info;
  for (int64_t mu = 0; mu < P; ++mu) r_[mu] = ridge_ * data_.y[mu];
  choleskySolve(K_, P, r_, 1);
  return 0;
}

// Step 4, M x M (Woodbury): with B' = B^T, ridge (K_q + ridge I)^-1 y = y - B' (ridge I +
// B'^T B')^-1 B'^T y and B'^T B' = B B^T, so no P x P matrix is formed; z = B y comes from
// kernelFactors and B B^T from kernelMatrix. Returns LAPACK's info.
int64_t Runner::residualWoodbury() {
  const int64_t M = cfg_.M;
  const int64_t P = cfg_.P;
  const int64_t info = cholesky(K_, M, ridge_);
  if (info != 0) return info;
  choleskySolve(K_, M, z_, 1);
  std::copy(data_.y, data_.y + P, r_);
  blas::gemv(Trans::kYes, M, P, -1.0, B_, P, z_, 1.0, r_);
  return 0;
}

template <class PhiT>
auto Runner::phiRow(int64_t p) const {
  const double* h = H_ + p * cfg_.P;
  const double* kept = Phi_ != nullptr ? Phi_ + p * cfg_.P : nullptr;
  return [h, kept](int64_t mu) {
    if constexpr (PhiT::kCheap) {
      return PhiT::value(h[mu]);
    } else {
      return kept[mu];
    }
  };
}

// Steps 5 and 7 on the block of particles [first, first + n): per particle, while its row is in
// cache, beta_p = e sum_mu phi_mu r_mu, m = beta / Lambda and g = phi'(H) [c (1/Lambda + m^2) phi
// - e m r] into g (n x P, the thread's: B's first rows_ rows, which B no longer needs after the
// solve, or a slot of its own; either stays in cache); then G = g X / sqrt(d) for the block's
// particles (one dgemm).
template <class PhiT>
void Runner::gradientFactors(int64_t first, int64_t n, double* g) {
  const int64_t P = cfg_.P;
  const int64_t d = cfg_.d;
  const double* r = r_;
  for (int64_t p = first; p < first + n; ++p) {
    const double* h = H_ + p * P;
    const auto phiAt = phiRow<PhiT>(p);
    const double beta = e_ * laneSum(P, [&phiAt, r](int64_t mu) { return phiAt(mu) * r[mu]; });
    beta_[p] = beta;
    const double lambda = Lambda_[p];
    const double m = beta / lambda;
    const double self = c_ * (1.0 / lambda + m * m);
    const double tilt = e_ * m;
    double* gp = g + (p - first) * P;
    for (int64_t mu = 0; mu < P; ++mu) {
      const double phi = phiAt(mu);
      gp[mu] = derivativeAt<PhiT>(h[mu], phi) * (self * phi - tilt * r[mu]);
    }
  }
  blas::gemm(Trans::kNo, Trans::kNo, n, d, P, invSqrtD_, g, P, data_.X, d, 0.0, G_ + first * d, d);
}

// Step 8 into Wnext for the particles [first, first + n): W - dt (rho W + G) + sqrt(2 dt) xi,
// rho_j or rho_pj; false when a value is not finite.
bool Runner::langevin(int64_t t, int64_t first, int64_t n) {
  const int64_t d = cfg_.d;
  const auto Md = static_cast<uint64_t>(cfg_.M * d);
  fillGaussian(cfg_.seed, noiseStream_,
               static_cast<uint64_t>(t) * Md + static_cast<uint64_t>(first * d), Wnext_ + first * d,
               n * d);
  const double dt = cfg_.dt;
  const double noise = std::sqrt(2.0 * dt);
  const double* W = state_.W;
  // Particle p's precisions: rho + p * rhoStride (coordinate-wise: the same d for every p).
  const int64_t rhoStride = cfg_.ardPrecisions == MfArdPrecisions::kNeuron ? d : 0;
  bool finite = true;
  for (int64_t p = first; p < first + n; ++p) {
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
  testRows(state_.W, 0.0, fTest_);
}

// out = Phi_test^T coef + beta out on the test rows, kMfTestChunk rows at a time, Phi_test the
// features of the particles W.
void Runner::testRows(const double* W, double beta, double* out) {
  for (int64_t start = 0; start < cfg_.PTest; start += kMfTestChunk) {
    const int64_t n = std::min(kMfTestChunk, cfg_.PTest - start);
    features(W, data_.XTest + start * cfg_.d, n, HTest_, HTest_);
    blas::gemv(Trans::kYes, cfg_.M, n, 1.0, HTest_, n, coef_, beta, out + start);
  }
}

// A sample (docs/mf.md, "Samples"): time averages, batch sums and the particle observables, with
// trainMse and mS (NaN without a target) of the instantaneous predictor.
void Runner::sample(int64_t t, double trainMse, double mS) {
  const int64_t P = cfg_.P;
  acc_.nSamples[0] += 1.0;
  for (int64_t i = 0; i < cfg_.PTest; ++i) acc_.sumFTest[i] += fTest_[i];
  // Batch b covers steps [burnIn + b W / batches, burnIn + (b + 1) W / batches), W = steps -
  // burnIn.
  const int64_t batch = (t - cfg_.burnIn) * cfg_.batches / (cfg_.steps - cfg_.burnIn);
  double* sumBatch = acc_.sumFTrainBatch + batch * P;
  for (int64_t mu = 0; mu < P; ++mu) {
    const double fbar = data_.y[mu] - r_[mu];
    acc_.sumFTrain[mu] += fbar;
    sumBatch[mu] += fbar;
  }
  double* sums = acc_.batchSums + batch * kMfBatchColumns;
  sums[0] += 1.0;
  if (!std::isnan(mS)) sums[1] += mS;
  sums[2] += trainMse;
  mf::addParticleSample(cfg_, state_.W, acc_);
  mf::addSecondLayerSample(cfg_, Lambda_, beta_, acc_);
  if (cfg_.average == MfAverage::kKernel) {
    const int64_t Md = cfg_.M * cfg_.d;
    std::copy(state_.W, state_.W + Md, acc_.sampleW + (t - cfg_.burnIn) / cfg_.sampleEvery * Md);
  }
}

// Step 6: sample and/or series row of the state before the update.
void Runner::observe(int64_t t, bool isSample, bool isSeries, double stepChange) {
  const int64_t PTest = cfg_.PTest;
  const double* target = data_.targetTest;
  if (PTest > 0 && (isSample || target != nullptr)) predictTest();
  double trainSquares = 0.0;
  for (int64_t mu = 0; mu < cfg_.P; ++mu) trainSquares += r_[mu] * r_[mu];
  const double trainMse = trainSquares / static_cast<double>(cfg_.P);
  double mS = kNaN;
  if (target != nullptr && PTest > 0) {
    double sum = 0.0;
    for (int64_t i = 0; i < PTest; ++i) sum += fTest_[i] * target[i];
    mS = sum / static_cast<double>(PTest);
  }
  if (isSample) sample(t, trainMse, mS);
  if (!isSeries) return;
  double* row = acc_.series + (t / cfg_.observeEvery) * kMfSeriesColumns;
  row[0] = static_cast<double>(t);
  row[1] = trainMse;
  row[2] = mS;
  row[3] = stepChange;
}

StepOutcome Runner::step(int64_t t) {
  factors(state_.W, cfg_.solve == MfSolve::kWoodbury);
  kernelMatrix();
  const int64_t info = cfg_.solve == MfSolve::kWoodbury ? residualWoodbury() : residualCholesky();
  if (info != 0) return {MfFailure::kNotPositiveDefinite, info};
  // Steps 5, 7 and 8 in one pass; the observation (step 6) reads only W, r, beta and Lambda, which
  // the pass leaves as they are (the update goes to Wnext), so it follows the pass.
  activation::dispatch(cfg_.activation, [&](auto phi) {
    eachBlock([&](int64_t first, int64_t n, int64_t thread) {
      double* g = thread == 0 ? B_ : gSlots_ + (thread - 1) * rows_ * cfg_.P;
      gradientFactors<decltype(phi)>(first, n, g);
      blockFinite_[static_cast<size_t>(first / rows_)] = langevin(t, first, n) ? 1 : 0;
    });
  });

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

  for (const char finite : blockFinite_) {
    if (finite == 0) return {MfFailure::kNonFinite, 0};
  }
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

// The samples the average reads: nSamples, within what acc.sampleW holds (a caller's accumulators
// may start anywhere; a whole run stores exactly nSamples).
int64_t Runner::storedSamples() const {
  const double n = acc_.nSamples[0];
  const auto most = static_cast<double>(mfSampleCount(cfg_));
  return n >= 1.0 ? static_cast<int64_t>(std::min(n, most)) : 0;
}

int64_t Runner::kernelAverage() {
  const int64_t samples = storedSamples();
  if (samples == 0) return 0;  // nothing to average (a whole run has a sample at burnIn)
  const int64_t P = cfg_.P;
  const int64_t Md = cfg_.M * cfg_.d;
  // Step 2: Kbar = (1/S) sum_s B_s^T B_s, lower triangle.
  std::fill(Kbar_, Kbar_ + P * P, 0.0);
  for (int64_t s = 0; s < samples; ++s) {
    factors(acc_.sampleW + s * Md, false);
    blas::syrkLowerTransposed(P, cfg_.M, 1.0, B_, P, 1.0, Kbar_, P);
  }
  const auto S = static_cast<double>(samples);
  for (int64_t row = 0; row < P; ++row) {
    for (int64_t col = 0; col <= row; ++col) Kbar_[row * P + col] /= S;
  }
  // Step 3: v = (Kbar + ridge I)^-1 y (in r, free after the last step), Kbar v = y - ridge v.
  const int64_t info = cholesky(Kbar_, P, ridge_);
  if (info != 0) return info;
  double* v = r_;
  std::copy(data_.y, data_.y + P, v);
  choleskySolve(Kbar_, P, v, 1);
  for (int64_t mu = 0; mu < P; ++mu) acc_.kernelFTrain[mu] = data_.y[mu] - ridge_ * v[mu];
  kernelTest(samples, v);
  return 0;
}

// Step 4: kernelFTest = (1/S) sum_s Phi_test,s^T u_s, u_p = (sum_mu Phi[p, mu] v_mu) / (M Lambda_p)
// of each stored sample (= Kbar(x, X) v).
void Runner::kernelTest(int64_t samples, const double* v) {
  const int64_t M = cfg_.M;
  const int64_t PTest = cfg_.PTest;
  if (PTest == 0) return;
  const auto particles = static_cast<double>(M);
  double* out = acc_.kernelFTest;
  std::fill(out, out + PTest, 0.0);
  for (int64_t s = 0; s < samples; ++s) {
    const double* W = acc_.sampleW + s * M * cfg_.d;
    activation::dispatch(cfg_.activation, [&](auto phi) {
      using PhiT = decltype(phi);
      eachBlock([&](int64_t first, int64_t n, int64_t) {
        kernelFactors<PhiT>(W, first, n, false);
        for (int64_t p = first; p < first + n; ++p) {
          const auto phiAt = phiRow<PhiT>(p);
          const double dot = laneSum(cfg_.P, [&phiAt, v](int64_t mu) { return phiAt(mu) * v[mu]; });
          coef_[p] = dot / (particles * Lambda_[p]);
        }
      });
    });
    testRows(W, 1.0, out);
  }
  const auto S = static_cast<double>(samples);
  for (int64_t i = 0; i < PTest; ++i) out[i] /= S;
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

int64_t mfSampleCount(const MfConfig& c) {
  if (c.average != MfAverage::kKernel || c.steps <= c.burnIn) return 0;
  return (c.steps - 1 - c.burnIn) / c.sampleEvery + 1;
}

int64_t mfRhoLength(const MfConfig& c) {
  return c.ardPrecisions == MfArdPrecisions::kNeuron ? c.M * c.d : c.d;
}

int64_t mfThreadCount(const MfConfig& c) {
  return std::max<int64_t>(1, std::min(c.threads, std::max(blockCount(c), kernelSplit(c).items())));
}

int64_t mfWorkspaceSize(const MfConfig& c) {
  const int64_t order = solveOrder(c);
  const int64_t arrays = keepsPhi(c) ? 3 : 2;  // H, B and, when kept, Phi
  return arrays * c.M * c.P + order * order + 4 * c.M + c.P + 2 * c.M * c.d +
         c.M * testChunkRows(c) + c.PTest + (mfThreadCount(c) - 1) * blockRows(c) * c.P +
         partialSize(c) + averagedKernelSize(c);
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
  MfResult result = runSteps(runner, stepBegin, stepEnd, cancel, progress);
  const bool complete = result.failure == MfFailure::kNone &&
                        result.stepsDone == stepEnd - stepBegin && stepEnd == config.steps;
  if (config.average == MfAverage::kKernel && complete) {
    const int64_t info = runner.kernelAverage();
    if (info != 0) {
      result.failure = MfFailure::kNotPositiveDefinite;
      result.failedStep = config.steps;
      result.info = info;
    }
  }
  return result;
}

}  // namespace mfl
