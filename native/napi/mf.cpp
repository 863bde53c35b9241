// mfRun and its asynchronous, cancellable twin (docs/mf.md, "Kernel contract"). Every field of
// config, data, state and acc is checked here; the shape of the call, the data, the entry points
// and the async job are the step-loop glue shared with sgldRun (step_call.hpp).
#include "../core/mf.hpp"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>

#include "args.hpp"
#include "exports.hpp"
#include "step_call.hpp"

namespace mfl::napi {
namespace {

constexpr int64_t kMaxBatches = 10000;
constexpr double kTwoPow32 = 4294967296.0;

uint64_t u64(int64_t x) { return static_cast<uint64_t>(x); }

// Lengths of every array, with the overflow checks that make them, the scratch and the noise
// indices representable (all at most 2^53).
struct MfLengths {
  uint64_t Pd, PTestd, Md, rho, batchP, batchSums, hist, series, sampleW, workspace;
};

// The mean-field kernel for the step-loop glue (step_call.hpp, step_job.hpp).
struct MfKernel
    : StepKernelBase<MfConfig, MfData, MfState, MfAccumulators, MfLengths, &mfl::mfRun> {
  static constexpr const char* kName = "mfRun";
  static constexpr const char* kWorkspaceName = "mf workspace";
  // A non-finite particle would only resurface as a failure.
  static constexpr bool kFiniteState = true;

  static MfConfig readConfig(const Napi::Value& value);
  static Lengths lengthsOf(Napi::Env env, const MfConfig& c);
  static uint64_t workspaceSize(Napi::Env, const MfConfig&, const Lengths& n) {
    return n.workspace;
  }
  static Options stateOptions(const Napi::Value& value) {
    return Options(value, "state", {"W", "rho", "rPrev"});
  }
  static Options accOptions(const Napi::Value& value) {
    return Options(value, "acc",
                   {"nSamples", "sumFTest", "sumFTrain", "sumFTrainBatch", "batchSums", "sumQ",
                    "sumSpecialisation", "hist", "moments", "counts", "sumStepChange",
                    "nStepChange", "series", "sampleW", "kernelFTrain", "kernelFTest"});
  }
  static MfState readState(const Options& o, const MfConfig& c, const Lengths& n,
                           ArrayReader& reader);
  static MfAccumulators readAccumulators(const Options& o, const MfConfig& c, const Lengths& n,
                                         ArrayReader& reader);

  static bool failed(const Result& r) { return r.failure != MfFailure::kNone; }
  static int64_t stepsDone(const Result& r) { return r.stepsDone; }
  static Napi::Object toJs(Napi::Env env, const Result& r);
};

void readNumbers(const Options& o, MfConfig& c) {
  c.N = numberIn(o["N"], "N", 1.0, std::numeric_limits<double>::max(), "a finite number >= 1");
  c.gamma = numberIn(o["gamma"], "gamma", 0.5, 1.0, "a number in [0.5, 1]");
  c.kappa = positive(o["kappa"], "kappa");
  c.sigmaW = positive(o["sigmaW"], "sigmaW");
  c.sigmaA = positive(o["sigmaA"], "sigmaA");
  c.dt = positive(o["dt"], "dt");
  c.ardAlpha0 = positive(o["ardAlpha0"], "ardAlpha0");
  c.ardBeta0 = positive(o["ardBeta0"], "ardBeta0");
  c.ardEma = numberIn(o["ardEma"], "ardEma", 0.0, 1.0, "a number in [0, 1]");
  c.histRange = positive(o["histRange"], "histRange");
}

void readSchedule(const Options& o, MfConfig& c) {
  c.steps = integerIn(o["steps"], "steps", 1, kMaxCount, "an integer in [1, 2^53)");
  c.burnIn = integerIn(o["burnIn"], "burnIn", 0, c.steps - 1,
                       "an integer in [0, steps) (" + named("steps", c.steps) + ")");
  c.sampleEvery =
      integerIn(o["sampleEvery"], "sampleEvery", 1, kMaxCount, "an integer in [1, 2^53)");
  c.observeEvery =
      integerIn(o["observeEvery"], "observeEvery", 1, kMaxCount, "an integer in [1, 2^53)");
  c.batches = integerIn(o["batches"], "batches", 1, kMaxBatches, "an integer in [1, 10000]");
}

MfConfig MfKernel::readConfig(const Napi::Value& value) {
  const Options o(value, "config",
                  {"P",
                   "d",
                   "PTest",
                   "M",
                   "N",
                   "gamma",
                   "kappa",
                   "sigmaW",
                   "sigmaA",
                   "activation",
                   "dt",
                   "seed",
                   "branch",
                   "steps",
                   "burnIn",
                   "sampleEvery",
                   "observeEvery",
                   "nRelevant",
                   "ardAlpha0",
                   "ardBeta0",
                   "ardEma",
                   "ardPrecisions",
                   "batches",
                   "histBins",
                   "histRange",
                   "solve",
                   "average",
                   "threads"});
  const std::string dims = "an integer in [1, 2^31 - 1]";
  MfConfig c;
  c.P = integerIn(o["P"], "P", 1, kMaxDimension, dims);
  c.d = integerIn(o["d"], "d", 1, kMaxDimension, dims);
  c.PTest = integerIn(o["PTest"], "PTest", 0, kMaxDimension, "an integer in [0, 2^31 - 1]");
  c.M = integerIn(o["M"], "M", 1, kMaxDimension, dims);
  readNumbers(o, c);
  c.activation = readActivation(o["activation"]);
  c.seed = safeIndex(o["seed"], "seed");
  c.branch =
      static_cast<uint64_t>(integerIn(o["branch"], "branch", 0, static_cast<int64_t>(kTwoPow32) - 1,
                                      "an integer in [0, 2^32) (0 prior, 1 aligned)"));
  readSchedule(o, c);
  c.nRelevant = integerIn(o["nRelevant"], "nRelevant", 0, c.d,
                          "an integer in [0, d] (" + named("d", c.d) + ")");
  c.histBins = integerIn(o["histBins"], "histBins", 1, kMaxHistBins, "an integer in [1, 10000]");
  static constexpr MfSolve kSolves[] = {MfSolve::kCholesky, MfSolve::kWoodbury};
  c.solve = kSolves[oneOf(o["solve"], "solve", {"cholesky", "woodbury"})];
  static constexpr MfArdPrecisions kPrecisions[] = {MfArdPrecisions::kCoordinate,
                                                    MfArdPrecisions::kNeuron};
  c.ardPrecisions =
      kPrecisions[oneOf(o["ardPrecisions"], "ardPrecisions", {"coordinate", "neuron"})];
  static constexpr MfAverage kAverages[] = {MfAverage::kKernel, MfAverage::kPredictor};
  c.average = kAverages[oneOf(o["average"], "average", {"kernel", "predictor"})];
  c.threads = integerIn(o["threads"], "threads", 1, kMfMaxThreads, "an integer in [1, 256]");
  const double ridge = c.kappa * std::pow(c.N, 2.0 * c.gamma - 1.0);
  if (!(ridge > 0.0 && std::isfinite(ridge))) {
    throw rangeError(value.Env(), "kappa",
                     "such that the ridge kappa N^(2 gamma - 1) is finite and > 0",
                     std::to_string(c.kappa) + " (ridge " + std::to_string(ridge) + ")");
  }
  return c;
}

MfLengths MfKernel::lengthsOf(Napi::Env env, const MfConfig& c) {
  Lengths n{};
  n.Pd = checkedProduct(env, u64(c.P), u64(c.d), "P*d");
  n.PTestd = checkedProduct(env, u64(c.PTest), u64(c.d), "PTest*d");
  n.Md = checkedProduct(env, u64(c.M), u64(c.d), "M*d");
  checkedProduct(env, u64(c.steps), n.Md, "steps*M*d");
  n.rho = c.ardPrecisions == MfArdPrecisions::kNeuron ? n.Md : u64(c.d);
  checkedProduct(env, u64(c.steps), u64(c.batches), "steps*batches");
  n.batchP = checkedProduct(env, u64(c.batches), u64(c.P), "batches*P");
  n.batchSums = u64(c.batches) * u64(kMfBatchColumns);
  n.hist = checkedProduct(env, u64(kMfHistGroups), u64(c.histBins + 2), "3*(histBins+2)");
  n.series = checkedProduct(env, u64(mfObserveCount(c)), u64(kMfSeriesColumns), "O*4");
  n.sampleW = checkedProduct(env, u64(mfSampleCount(c)), n.Md, "S*M*d");
  // The scratch: three M x P matrices and the P x P or M x M matrix dominate.
  const uint64_t MP = checkedProduct(env, u64(c.M), u64(c.P), "M*P");
  const uint64_t order = c.solve == MfSolve::kWoodbury ? u64(c.M) : u64(c.P);
  checkedProduct(env, order, order, c.solve == MfSolve::kWoodbury ? "M*M" : "P*P");
  // The time-averaged kernel is P x P whatever the solve.
  if (c.average == MfAverage::kKernel) checkedProduct(env, u64(c.P), u64(c.P), "P*P");
  checkedProduct(env, 4, MP, "4*M*P");
  n.workspace = u64(mfWorkspaceSize(c));
  return n;
}

// state: W, rho, rPrev, all finite (a non-finite particle would only resurface as a failure).
MfState MfKernel::readState(const Options& o, const MfConfig& c, const Lengths& n,
                            ArrayReader& reader) {
  MfState state;
  state.W = reader.read(o, "W", "state.W", n.Md, times("M*d", c.M, c.d));
  state.rho = reader.read(o, "rho", "state.rho", n.rho,
                          c.ardPrecisions == MfArdPrecisions::kNeuron
                              ? times("M*d", c.M, c.d) + " (ardPrecisions \"neuron\")"
                              : named("d", c.d));
  state.rPrev = reader.read(o, "rPrev", "state.rPrev", u64(c.P), named("P", c.P));
  return state;
}

// acc: the accumulators, sized as src/methods/mf/layout.ts.
MfAccumulators MfKernel::readAccumulators(const Options& o, const MfConfig& c, const Lengths& n,
                                          ArrayReader& reader) {
  const std::string one = "one value";
  MfAccumulators a;
  a.nSamples = reader.read(o, "nSamples", "acc.nSamples", 1, one);
  a.sumFTest = reader.read(o, "sumFTest", "acc.sumFTest", u64(c.PTest), named("PTest", c.PTest));
  a.sumFTrain = reader.read(o, "sumFTrain", "acc.sumFTrain", u64(c.P), named("P", c.P));
  a.sumFTrainBatch = reader.read(o, "sumFTrainBatch", "acc.sumFTrainBatch", n.batchP,
                                 times("batches*P", c.batches, c.P));
  a.batchSums = reader.read(o, "batchSums", "acc.batchSums", n.batchSums,
                            times("batches*3", c.batches, kMfBatchColumns));
  a.sumQ = reader.read(o, "sumQ", "acc.sumQ", u64(c.d), named("d", c.d));
  a.sumSpecialisation = reader.read(o, "sumSpecialisation", "acc.sumSpecialisation", 1, one);
  a.hist = reader.read(o, "hist", "acc.hist", n.hist, times("3*(histBins+2)", 3, c.histBins + 2));
  a.moments = reader.read(o, "moments", "acc.moments", u64(kMfHistGroups * 4), "3*4");
  a.counts = reader.read(o, "counts", "acc.counts", u64(kMfHistGroups), "one per group");
  a.sumStepChange = reader.read(o, "sumStepChange", "acc.sumStepChange", 1, one);
  a.nStepChange = reader.read(o, "nStepChange", "acc.nStepChange", 1, one);
  a.series = reader.read(o, "series", "acc.series", n.series,
                         times("O*4", mfObserveCount(c), kMfSeriesColumns));
  // Average "kernel" only; empty for "predictor".
  const bool kernel = c.average == MfAverage::kKernel;
  const std::string predictor = "average \"predictor\"";
  a.sampleW = reader.read(
      o, "sampleW", "acc.sampleW", n.sampleW,
      kernel ? times("S*M*d", mfSampleCount(c), c.M) + "*" + std::to_string(c.d) : predictor);
  a.kernelFTrain = reader.read(o, "kernelFTrain", "acc.kernelFTrain", kernel ? u64(c.P) : 0,
                               kernel ? named("P", c.P) : predictor);
  a.kernelFTest = reader.read(o, "kernelFTest", "acc.kernelFTest", kernel ? u64(c.PTest) : 0,
                              kernel ? named("PTest", c.PTest) : predictor);
  return a;
}

const char* failureName(MfFailure failure) {
  switch (failure) {
    case MfFailure::kNonFinite:
      return "nonFinite";
    case MfFailure::kNotPositiveDefinite:
      return "notPositiveDefinite";
    case MfFailure::kNone:
      break;
  }
  return "none";
}

Napi::Object MfKernel::toJs(Napi::Env env, const Result& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("stepsDone", Napi::Number::New(env, static_cast<double>(r.stepsDone)));
  out.Set("failure", Napi::String::New(env, failureName(r.failure)));
  out.Set("failedStep", Napi::Number::New(env, static_cast<double>(r.failedStep)));
  out.Set("info", Napi::Number::New(env, static_cast<double>(r.info)));
  return out;
}

}  // namespace

Napi::Value MfRun(const Napi::CallbackInfo& info) { return runStepKernel<MfKernel>(info); }

Napi::Value MfRunAsync(const Napi::CallbackInfo& info) { return startStepKernel<MfKernel>(info); }

}  // namespace mfl::napi
