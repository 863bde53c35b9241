// The SGLD sampler of THEORY.md section 3 with the observables of section 4, exactly as
// docs/sgld.md specifies it step for step (src/backend/js/sgld.ts is its TypeScript twin).
#pragma once
#include <atomic>
#include <cstdint>

#include "network.hpp"
#include "progress.hpp"

namespace mfl {

// Working precision of the kernel. float32: the data and parameters are copied to float once per
// call, the GEMMs (sgemm) and elementwise work run in float, the Gaussians (doubles) are rounded
// to float as they are applied, observables and E are summed in double, and the parameters are
// written back to the (double) state at the end of the call, exactly.
enum class Precision { kFloat64, kFloat32 };

// The update of docs/sgld.md: kEuler, the SGLD (overdamped Langevin) step; kBaoab, the BAOAB
// splitting of underdamped Langevin dynamics, with a momentum per parameter in the state.
enum class Integrator { kEuler, kBaoab };

// The resolved configuration (SgldConfig of src/backend/types.ts).
struct SgldConfig {
  int64_t P = 0;      // training rows, >= 1
  int64_t d = 0;      // input dimension
  int64_t N = 0;      // width
  int64_t PTest = 0;  // test rows, >= 0
  int64_t chains = 0;
  double gamma = 0.5;
  Activation activation = Activation::kRelu;
  bool bias = false;
  double kappa = 0.0;
  double eta = 0.0;
  double lossScale = 1.0;  // 1 (loss 'sum') or 1/P (loss 'mean')
  double sigmaW = 1.0;
  double sigmaA = 1.0;
  double sigmaB = 1.0;
  int64_t batchSize = 0;  // B in [1, P]; B = P is full batch
  bool freezeW = false;
  bool mala = false;  // full batch only
  uint64_t seed = 0;
  int64_t steps = 0;  // total steps of the run (sizes the traces)
  int64_t burnIn = 0;
  int64_t thin = 1;
  int64_t observeEvery = 0;  // 0: no time series
  int64_t nRelevant = 0;     // leading coordinates in the target set S
  int64_t histBins = 1;
  double histRange = 1.0;  // histogram half-width in prior standard deviations
  Precision precision = Precision::kFloat64;
  Integrator integrator = Integrator::kEuler;
  double friction = 0.0;  // BAOAB's friction (finite > 0); unused by Euler
  // Chains run on min(threads, chains) threads, each owning a contiguous block of chains; the
  // results are bitwise those of threads = 1 (chains share nothing inside a step).
  int64_t threads = 1;
};

struct SgldData {
  const double* X = nullptr;           // P x d
  const double* y = nullptr;           // P
  const double* XTest = nullptr;       // PTest x d
  const double* yTest = nullptr;       // PTest
  const double* targetTest = nullptr;  // PTest, null for custom data
};

// All chains' parameters, chain after chain: W (C N d), a (C N), b (C N, null without bias).
struct SgldState {
  double* W = nullptr;
  double* a = nullptr;
  double* b = nullptr;
  // BAOAB only (else null): C x nParams, each chain's momentum before the final half kick of its
  // last step, in parameter order (docs/sgld.md, "BAOAB").
  double* momentum = nullptr;
};

// Accumulators updated in place; sizes as src/methods/sgld/layout.ts (S = sgldSampleCount,
// O = sgldObserveCount, G = kSgldHistGroups).
struct SgldAccumulators {
  double* nSamples = nullptr;           // C
  double* sumFTest = nullptr;           // C x PTest
  double* sumFTrain = nullptr;          // C x P
  double* sumSampleTestMse = nullptr;   // C
  double* sumSampleTrainMse = nullptr;  // C
  double* traceMS = nullptr;            // C x S
  double* traceTestMse = nullptr;       // C x S
  double* sumQ = nullptr;               // C x d
  double* hist = nullptr;               // C x G x (bins + 2): underflow, bins, overflow
  double* moments = nullptr;            // C x G x 4: sums of x, x^2, x^3, x^4
  double* sumSpecialisation = nullptr;  // C
  double* series = nullptr;             // C x O x 3: (step, trainMse, mS)
  double* malaProposed = nullptr;       // C
  double* malaAccepted = nullptr;       // C
};

struct SgldResult {
  int64_t stepsDone = 0;  // steps completed by every chain
  int64_t divergedChain = -1;
  int64_t divergedStep = -1;
};

constexpr int64_t kSgldHistGroups = 3;  // relevant W, irrelevant W, a

// Parameters per chain: N d + N (+ N with bias).
int64_t sgldParamCount(const SgldConfig& config);
// Sample steps t in [burnIn, steps) with (t - burnIn) mod thin == 0.
int64_t sgldSampleCount(const SgldConfig& config);
// Observe steps t in [0, steps) with t mod observeEvery == 0 (none when observeEvery = 0).
int64_t sgldObserveCount(const SgldConfig& config);
// Largest `threads` of a config.
constexpr int64_t kSgldMaxThreads = 256;
// Threads sgldRun runs the chains on: min(threads, chains).
int64_t sgldThreadCount(const SgldConfig& config);
// Doubles of scratch sgldRun needs (allocated by it when no workspace is passed), one share per
// thread. With float32 this covers only the random values; the single-precision working copies
// are allocated by sgldRun.
int64_t sgldWorkspaceSize(const SgldConfig& config);

// Advances every chain over steps [stepBegin, stepEnd), updating state and acc in place. Each of
// sgldThreadCount threads advances its block of chains step-major; since no chain reads another's
// state, the result is bitwise that of one thread advancing all chains step-major. Stops early
// when *cancel becomes true (checked by each thread between steps; threads that are behind first
// catch up, so every chain stops after the same step) or a chain diverges: the result and every
// chain's state and accumulators are then exactly those of the one-thread run (earliest step,
// lowest chain at that step; chains a thread ran past that point are put back and replayed from
// a copy taken at the start of the call). Progress (min over threads of steps done) is reported
// from the calling thread. Nothing is kept between calls, so consecutive ranges give bitwise the
// same result as one call over their union. `workspace` (sgldWorkspaceSize doubles) may be null.
SgldResult sgldRun(const SgldConfig& config, const SgldData& data, SgldState& state,
                   SgldAccumulators& acc, int64_t stepBegin, int64_t stepEnd,
                   const std::atomic<bool>* cancel, const ProgressFn& progress,
                   double* workspace = nullptr);

}  // namespace mfl
