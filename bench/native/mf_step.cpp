// The MF particle step against its GEMMs in C++, without Node (bench/mf-native.mjs builds and
// runs this). The config is the benchmark's (bench/mfStep.ts: plain MF, relu, kappa 0.01, N 512,
// dt 0.0025, prior particles, solve as `auto` picks it).
//   mf_step step P d M    one untimed step, then kMeasuredSteps steps inside measured()
//   mf_step gemms P d M   the step's products (W X^T, the kernel SYRK, g X) kMeasuredSteps times
//                         inside measured(): for callgrind --toggle-collect=*measured*
//   mf_step time P d M R  R rounds of: one step, W X^T + g X, the GEMM of the SYRK's shape, the
//                         SYRK and the Cholesky factorisation (with its copy) each timed in thread
//                         CPU time (insensitive to the time the scheduler gives other processes);
//                         prints the medians (and minima) in ms.
//   mf_step potrf n R     R factorisations of an n x n SPD matrix with LAPACK's dpotrf on each
//                         triangle (column-major 'U', which mfl's row-major lower storage uses,
//                         and 'L'), alternating; prints the medians in ms.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "../../native/core/blas.hpp"
#include "../../native/core/mf.hpp"
#include "../../native/core/rng.hpp"

extern "C" void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info,
                        size_t uploLength);

namespace {

constexpr int64_t kMeasuredSteps = 3;

struct Problem {
  mfl::MfConfig config;
  std::vector<double> X, y, W, rho, rPrev;
};

Problem problem(int64_t P, int64_t d, int64_t M) {
  Problem p;
  mfl::MfConfig& c = p.config;
  c.P = P;
  c.d = d;
  c.PTest = 0;
  c.M = M;
  c.N = 512;
  c.gamma = 0.5;
  c.kappa = 0.01;
  c.dt = 0.0025;
  c.seed = 1;
  c.steps = 1 << 20;
  c.burnIn = c.steps - 1;
  c.observeEvery = c.steps;
  c.nRelevant = 4;
  c.histBins = 60;
  c.histRange = 6;
  c.solve = P > M ? mfl::MfSolve::kWoodbury : mfl::MfSolve::kCholesky;
  p.X.resize(static_cast<size_t>(P * d));
  mfl::fillGaussian(3, 1, 0, p.X.data(), P * d);
  for (double& x : p.X) x = x < 0.0 ? -1.0 : 1.0;  // parity inputs: +-1
  p.y.resize(static_cast<size_t>(P));
  for (int64_t mu = 0; mu < P; ++mu) {
    double s = 1.0;
    for (int64_t j = 0; j < 4; ++j) s *= p.X[static_cast<size_t>(mu * d + j)];
    p.y[static_cast<size_t>(mu)] = s;
  }
  p.W.resize(static_cast<size_t>(M * d));
  mfl::fillGaussian(1, 2, 0, p.W.data(), M * d);
  p.rho.assign(static_cast<size_t>(d), 1.0);
  p.rPrev.assign(static_cast<size_t>(P), 0.0);
  return p;
}

struct Accumulators {
  std::vector<double> scalars, sumFTrain, sumFTrainBatch, batchSums, sumQ, hist, moments, counts,
      series;
  mfl::MfAccumulators acc;
  explicit Accumulators(const mfl::MfConfig& c)
      : scalars(8, 0.0),
        sumFTrain(static_cast<size_t>(c.P)),
        sumFTrainBatch(static_cast<size_t>(c.batches * c.P)),
        batchSums(static_cast<size_t>(c.batches * mfl::kMfBatchColumns)),
        sumQ(static_cast<size_t>(c.d)),
        hist(static_cast<size_t>(mfl::kMfHistGroups * (c.histBins + 2))),
        moments(static_cast<size_t>(mfl::kMfHistGroups * 4)),
        counts(static_cast<size_t>(mfl::kMfHistGroups)),
        series(static_cast<size_t>(mfl::mfObserveCount(c) * mfl::kMfSeriesColumns)) {
    acc.nSamples = &scalars[0];
    acc.sumSpecialisation = &scalars[3];
    acc.sumStepChange = &scalars[4];
    acc.nStepChange = &scalars[5];
    acc.sumFTrain = sumFTrain.data();
    acc.sumFTrainBatch = sumFTrainBatch.data();
    acc.batchSums = batchSums.data();
    acc.sumQ = sumQ.data();
    acc.hist = hist.data();
    acc.moments = moments.data();
    acc.counts = counts.data();
    acc.series = series.data();
  }
};

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <class Fn>
double timed(Fn&& fn) {
  const double start = cpuSeconds();
  fn();
  return cpuSeconds() - start;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// The region callgrind counts (--toggle-collect=*measured*).
__attribute__((noinline)) void measured(void (*fn)(void*), void* arg) { fn(arg); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::string(argv[1]) != "potrf" && argc < 5)) {
    std::fprintf(stderr, "usage: mf_step step|gemms|time P d M [rounds] | potrf n [rounds]\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "potrf") {
    const int n = std::atoi(argv[2]);
    const int64_t rounds = argc > 3 ? std::atoll(argv[3]) : 40;
    std::vector<double> A(static_cast<size_t>(n) * static_cast<size_t>(2 * n));
    mfl::fillGaussian(5, 1, 0, A.data(), static_cast<int64_t>(A.size()));
    std::vector<double> K(static_cast<size_t>(n) * static_cast<size_t>(n)), L(K.size());
    mfl::blas::gemm(mfl::blas::Trans::kNo, mfl::blas::Trans::kYes, n, n, 2 * n, 1.0 / (2 * n),
                    A.data(), 2 * n, A.data(), 2 * n, 0.0, K.data(), n);  // full symmetric
    for (int i = 0; i < n; ++i) K[static_cast<size_t>(i) * n + i] += 0.01;
    std::vector<double> upper, lower;
    for (int64_t r = 0; r < rounds; ++r) {
      for (const char uplo : {'U', 'L'}) {
        L = K;
        int info = 0;
        const double t = timed([&] { dpotrf_(&uplo, &n, L.data(), &n, &info, 1); });
        if (info != 0) std::abort();
        (uplo == 'U' ? upper : lower).push_back(t);
      }
    }
    std::printf("{\"upper\": %.6f, \"lower\": %.6f}\n", 1e3 * median(upper), 1e3 * median(lower));
    return 0;
  }
  Problem p = problem(std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]));
  const mfl::MfConfig& c = p.config;
  if (mode == "step") {
    Accumulators a(c);
    const mfl::MfData data{p.X.data(), p.y.data(), nullptr, nullptr, nullptr};
    const mfl::MfState state{p.W.data(), p.rho.data(), p.rPrev.data()};
    std::vector<double> workspace(static_cast<size_t>(mfl::mfWorkspaceSize(c)));
    struct Call {
      const mfl::MfConfig* c;
      const mfl::MfData* data;
      const mfl::MfState* state;
      const mfl::MfAccumulators* acc;
      double* workspace;
      int64_t begin, end;
    };
    auto run = [](void* arg) {
      auto* k = static_cast<Call*>(arg);
      const mfl::MfResult r = mfl::mfRun(*k->c, *k->data, *k->state, *k->acc, k->begin, k->end,
                                         nullptr, nullptr, k->workspace);
      if (r.failure != mfl::MfFailure::kNone) std::abort();
    };
    Call warm{&c, &data, &state, &a.acc, workspace.data(), 0, 1};
    run(&warm);
    Call call{&c, &data, &state, &a.acc, workspace.data(), 1, 1 + kMeasuredSteps};
    measured(run, &call);
    std::printf("step: W[0] = %.17g\n", p.W[0]);
    return 0;
  }
  if (mode == "gemms") {
    const int64_t P = c.P, d = c.d, M = c.M;
    std::vector<double> H(static_cast<size_t>(M * P), 0.5),
        K(static_cast<size_t>(P > M ? M * M : P * P));
    std::vector<double> G(static_cast<size_t>(M * d));
    struct Call {
      Problem* p;
      double *H, *K, *G;
    } call{&p, H.data(), K.data(), G.data()};
    auto run = [](void* arg) {
      auto* k = static_cast<Call*>(arg);
      const mfl::MfConfig& c = k->p->config;
      const int64_t P = c.P, d = c.d, M = c.M;
      using mfl::blas::Trans;
      for (int64_t s = 0; s < kMeasuredSteps; ++s) {
        mfl::blas::gemm(Trans::kNo, Trans::kYes, M, P, d, 1.0, k->p->W.data(), d, k->p->X.data(), d,
                        0.0, k->H, P);
        if (c.solve == mfl::MfSolve::kWoodbury) {
          mfl::blas::syrkLower(M, P, 1.0, k->H, P, 0.0, k->K, M);
        } else {
          mfl::blas::syrkLowerTransposed(P, M, 1.0, k->H, P, 0.0, k->K, P);
        }
        mfl::blas::gemm(Trans::kNo, Trans::kNo, M, d, P, 1.0, k->H, P, k->p->X.data(), d, 0.0, k->G,
                        d);
      }
    };
    measured(run, &call);
    std::printf("gemms: G[0] = %.17g\n", G[0]);
    return 0;
  }
  if (mode == "time") {
    const int64_t rounds = argc > 5 ? std::atoll(argv[5]) : 50;
    const int64_t P = c.P, d = c.d, M = c.M;
    const bool woodbury = c.solve == mfl::MfSolve::kWoodbury;
    Accumulators a(c);
    const mfl::MfData data{p.X.data(), p.y.data(), nullptr, nullptr, nullptr};
    const mfl::MfState state{p.W.data(), p.rho.data(), p.rPrev.data()};
    std::vector<double> workspace(static_cast<size_t>(mfl::mfWorkspaceSize(c)));
    std::vector<double> H(static_cast<size_t>(M * P), 0.5),
        K(static_cast<size_t>(woodbury ? M * M : P * P));
    std::vector<double> G(static_cast<size_t>(M * d)), W(p.W);
    using mfl::blas::Trans;
    int64_t t = 0;
    auto step = [&] {
      const mfl::MfResult r =
          mfl::mfRun(c, data, state, a.acc, t, t + 1, nullptr, nullptr, workspace.data());
      if (r.failure != mfl::MfFailure::kNone) std::abort();
      ++t;
    };
    auto products = [&] {
      mfl::blas::gemm(Trans::kNo, Trans::kYes, M, P, d, 1.0, W.data(), d, p.X.data(), d, 0.0,
                      H.data(), P);
      mfl::blas::gemm(Trans::kNo, Trans::kNo, M, d, P, 1.0, H.data(), P, p.X.data(), d, 0.0,
                      G.data(), d);
    };
    // The SYRK as the GEMM of its shape (counted at half), as bench/mfStep.ts times it.
    auto kernel = [&] {
      if (woodbury) {
        mfl::blas::gemm(Trans::kNo, Trans::kYes, M, M, P, 1.0, H.data(), P, H.data(), P, 0.0,
                        K.data(), M);
      } else {
        mfl::blas::gemm(Trans::kYes, Trans::kNo, P, P, M, 1.0, H.data(), P, H.data(), P, 0.0,
                        K.data(), P);
      }
    };
    // The SYRK as called, and the factorisation of the solve's matrix (K_q + ridge I).
    const int64_t order = woodbury ? M : P;
    std::vector<double> L(K.size());
    auto syrk = [&] {
      if (woodbury) {
        mfl::blas::syrkLower(M, P, 1.0 / static_cast<double>(P), H.data(), P, 0.0, K.data(), M);
      } else {
        mfl::blas::syrkLowerTransposed(P, M, 1.0 / static_cast<double>(M), H.data(), P, 0.0,
                                       K.data(), P);
      }
    };
    auto factor = [&] {
      std::copy(K.begin(), K.end(), L.begin());
      for (int64_t i = 0; i < order; ++i) L[static_cast<size_t>(i * order + i)] += 1.0;
      if (mfl::blas::potrfLower(order, L.data(), order) != 0) std::abort();
    };
    step();
    products();
    kernel();
    syrk();
    factor();
    std::vector<double> steps, prods, kernels, syrks, factors;
    for (int64_t k = 0; k < rounds; ++k) {
      steps.push_back(timed(step));
      prods.push_back(timed(products));
      kernels.push_back(timed(kernel));
      syrks.push_back(timed(syrk));
      factors.push_back(timed(factor));
    }
    const double gemmsMedian = median(prods) + 0.5 * median(kernels);
    const double gemmsMin = minimum(prods) + 0.5 * minimum(kernels);
    std::printf(
        "{\"step\": [%.6f, %.6f], \"gemms\": [%.6f, %.6f], \"ratio\": [%.4f, %.4f], "
        "\"products\": %.6f, \"kernel\": %.6f, \"syrk\": %.6f, \"potrf\": %.6f, "
        "\"rounds\": %lld}\n",
        1e3 * median(steps), 1e3 * minimum(steps), 1e3 * gemmsMedian, 1e3 * gemmsMin,
        median(steps) / gemmsMedian, minimum(steps) / gemmsMin, 1e3 * median(prods),
        1e3 * median(kernels), 1e3 * median(syrks), 1e3 * median(factors),
        static_cast<long long>(rounds));
    return 0;
  }
  std::fprintf(stderr, "mode: step, gemms, time or potrf\n");
  return 2;
}
