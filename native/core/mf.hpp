// The Rao-Blackwellised particle solver of plain MF and MF-ARD (THEORY.md sections 6-7), exactly
// as docs/mf.md specifies it step for step (src/backend/js/mf.ts is its TypeScript twin).
#pragma once
#include <atomic>
#include <cstdint>

#include "network.hpp"
#include "progress.hpp"

namespace mfl {

// The residual solve (docs/mf.md, step 4): K_q + ridge I (P x P), or the Woodbury form with the
// M x M matrix ridge I + B B^T.
enum class MfSolve { kCholesky, kWoodbury };

// MF-ARD's precisions (THEORY.md section 7): one rho_j per input coordinate shared by every
// neuron, or one rho_pj per particle and coordinate (neuron-wise, a Student-t prior per weight).
enum class MfArdPrecisions { kCoordinate, kNeuron };

// What the reported predictor time-averages (docs/mf.md, "Two averages"): the kernel K_q, the
// predictor then formed once from its average (the particles of every sample are kept for it), or
// each sample's own predictor (only the step averages).
enum class MfAverage { kKernel, kPredictor };

// The resolved configuration of one branch (MfKernelConfig of src/backend/types.ts).
struct MfConfig {
  int64_t P = 0;      // training rows, >= 1
  int64_t d = 0;      // input dimension
  int64_t PTest = 0;  // test rows, >= 0
  int64_t M = 0;      // particles
  double N = 1.0;     // physical width: a parameter of the potential, any finite N >= 1
  double gamma = 0.5;
  double kappa = 0.0;
  double sigmaW = 1.0;
  double sigmaA = 1.0;
  Activation activation = Activation::kRelu;
  double dt = 0.0;
  uint64_t seed = 0;
  uint64_t branch = 0;  // stream index: 0 prior, 1 aligned
  int64_t steps = 0;    // total steps of the run (sizes the series)
  int64_t burnIn = 0;
  int64_t sampleEvery = 1;
  int64_t observeEvery = 1;
  int64_t batches = 1;    // equal stretches of the sampling window, for the batch means
  int64_t nRelevant = 0;  // leading coordinates in the target set S
  double ardAlpha0 = 1.0;
  double ardBeta0 = 1.0;
  double ardEma = 0.0;  // 0: no rho update (plain MF, bit for bit)
  MfArdPrecisions ardPrecisions = MfArdPrecisions::kCoordinate;
  int64_t histBins = 1;
  double histRange = 1.0;  // histogram half-width in prior standard deviations
  MfSolve solve = MfSolve::kCholesky;
  MfAverage average = MfAverage::kKernel;
  // Threads of the call's particle blocks and kernel tiles, in [1, kMfMaxThreads]; the numbers do
  // not depend on it (docs/mf.md, "Threads").
  int64_t threads = 1;
};

struct MfData {
  const double* X = nullptr;           // P x d
  const double* y = nullptr;           // P
  const double* XTest = nullptr;       // PTest x d
  const double* yTest = nullptr;       // PTest
  const double* targetTest = nullptr;  // PTest, null for custom data
};

struct MfState {
  double* W = nullptr;      // M x d particles
  double* rho = nullptr;    // precisions: d (kCoordinate) or M x d (kNeuron, rho_pj)
  double* rPrev = nullptr;  // P: residual of the last step computed (read when stepBegin > 0)
};

// Accumulators updated in place; sizes as src/methods/mf/layout.ts (O = mfObserveCount,
// G = kMfHistGroups, S = mfSampleCount). The last three are used by average kKernel only (else
// empty, may be null).
struct MfAccumulators {
  double* nSamples = nullptr;           // 1
  double* sumFTest = nullptr;           // PTest
  double* sumFTrain = nullptr;          // P
  double* sumFTrainBatch = nullptr;     // batches x P
  double* batchSums = nullptr;          // batches x 3: (samples, mS, trainMse)
  double* sumQ = nullptr;               // d
  double* sumSpecialisation = nullptr;  // 1
  double* hist = nullptr;               // G x (bins + 2): underflow, bins, overflow
  double* moments = nullptr;            // G x 4: sums of x, x^2, x^3, x^4
  double* counts = nullptr;             // G
  double* sumStepChange = nullptr;      // 1
  double* nStepChange = nullptr;        // 1
  double* series = nullptr;             // O x 4: (step, trainMse, mS, stepChange)
  double* sampleW = nullptr;            // S x M x d: the particles W of sample s
  double* kernelFTrain = nullptr;       // P: fbar of the time-averaged kernel, training rows
  double* kernelFTest = nullptr;        // PTest: the same on the test rows
};

enum class MfFailure { kNone, kNonFinite, kNotPositiveDefinite };

struct MfResult {
  int64_t stepsDone = 0;
  MfFailure failure = MfFailure::kNone;
  int64_t failedStep = -1;  // steps: the factorisation of the time-averaged kernel failed
  int64_t info = 0;         // kNotPositiveDefinite: LAPACK's order of the failing leading minor
};

constexpr int64_t kMfHistGroups = 3;     // relevant w, irrelevant w, a
constexpr int64_t kMfSeriesColumns = 4;  // step, trainMse, mS, stepChange
constexpr int64_t kMfBatchColumns = 3;   // samples, sum of mS, sum of trainMse
constexpr int64_t kMfTestChunk = 512;    // test rows per chunk of the test-set predictor
constexpr int64_t kMfMaxThreads = 256;

// Observe steps t in [0, steps) with t mod observeEvery == 0.
int64_t mfObserveCount(const MfConfig& config);
// Samples whose particles average kKernel keeps: the sample steps t in [burnIn, steps) with
// (t - burnIn) mod sampleEvery == 0; 0 for kPredictor.
int64_t mfSampleCount(const MfConfig& config);
// Length of the state's rho: d, or M d for neuron-wise precisions.
int64_t mfRhoLength(const MfConfig& config);
// Threads a call runs on: min(threads, the most items of a parallel phase).
int64_t mfThreadCount(const MfConfig& config);
// Doubles of scratch mfRun needs (allocated by it when no workspace is passed).
int64_t mfWorkspaceSize(const MfConfig& config);

// Advances one branch over steps [stepBegin, stepEnd), updating state and acc in place. Stops
// early when *cancel becomes true (checked between steps) or a step fails; a failing step t
// leaves the state as before step t (its sample may already be in acc). Nothing but the state is
// kept between calls, so consecutive ranges give bitwise the same result as one call over their
// union. With average kKernel, the call that ends at step `steps` with every step done then forms
// the predictor of the time-averaged kernel from acc.sampleW (docs/mf.md, "Two averages"); its
// factorisation failing is kNotPositiveDefinite with failedStep = steps. `workspace`
// (mfWorkspaceSize doubles) may be null.
MfResult mfRun(const MfConfig& config, const MfData& data, const MfState& state,
               const MfAccumulators& acc, int64_t stepBegin, int64_t stepEnd,
               const std::atomic<bool>* cancel, const ProgressFn& progress,
               double* workspace = nullptr);

}  // namespace mfl
