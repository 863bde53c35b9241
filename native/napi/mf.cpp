// mfRun and its asynchronous, cancellable twin (docs/mf.md, "Kernel contract"). Every field of
// config, data, state and acc is checked here; mfRun then runs the kernel on the caller's typed
// arrays in place. The async job runs the same core call on a libuv worker thread over its own
// copies of the arrays (job.hpp); only the progress and completion callbacks, on the main thread,
// touch JS values.
#include "../core/mf.hpp"

#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "exports.hpp"
#include "job.hpp"
#include "scratch.hpp"
#include "step_job.hpp"

namespace mfl::napi {
namespace {

constexpr int64_t kMaxCount = (int64_t{1} << 53) - 1;
constexpr int64_t kMaxHistBins = 10000;
constexpr int64_t kMaxBatches = 10000;
constexpr double kTwoPow32 = 4294967296.0;

// A fully checked call: the core structs over the caller's typed arrays (sync) or the job's
// copies of them (async).
struct MfCall {
  MfConfig config;
  MfData data;
  MfState state;
  MfAccumulators acc;
  int64_t stepBegin = 0;
  int64_t stepEnd = 0;
};

double positive(const Napi::Value& value, const char* field) {
  return numberIn(value, field, std::numeric_limits<double>::denorm_min(),
                  std::numeric_limits<double>::max(), "a finite number > 0");
}

uint64_t u64(int64_t x) { return static_cast<uint64_t>(x); }

std::string named(const char* name, int64_t x) {
  return std::string(name) + " = " + std::to_string(x);
}

std::string times(const char* name, int64_t x, int64_t y) {
  return std::string(name) + " = " + std::to_string(x) + "*" + std::to_string(y);
}

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

MfConfig readConfig(const Napi::Value& value) {
  const Options o(
      value, "config",
      {"P",        "d",           "PTest",        "M",         "N",         "gamma",    "kappa",
       "sigmaW",   "sigmaA",      "activation",   "dt",        "seed",      "branch",   "steps",
       "burnIn",   "sampleEvery", "observeEvery", "nRelevant", "ardAlpha0", "ardBeta0", "ardEma",
       "histBins", "histRange",   "solve",        "batches"});
  const std::string dims = "an integer in [1, 2^31 - 1]";
  MfConfig c;
  c.P = integerIn(o["P"], "P", 1, kMaxDimension, dims);
  c.d = integerIn(o["d"], "d", 1, kMaxDimension, dims);
  c.PTest = integerIn(o["PTest"], "PTest", 0, kMaxDimension, "an integer in [0, 2^31 - 1]");
  c.M = integerIn(o["M"], "M", 1, kMaxDimension, dims);
  readNumbers(o, c);
  static constexpr Activation kActivations[] = {Activation::kRelu, Activation::kErf,
                                                Activation::kTanh, Activation::kLinear};
  c.activation =
      kActivations[oneOf(o["activation"], "activation", {"relu", "erf", "tanh", "linear"})];
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
  const double ridge = c.kappa * std::pow(c.N, 2.0 * c.gamma - 1.0);
  if (!(ridge > 0.0 && std::isfinite(ridge))) {
    throw rangeError(value.Env(), "kappa",
                     "such that the ridge kappa N^(2 gamma - 1) is finite and > 0",
                     std::to_string(c.kappa) + " (ridge " + std::to_string(ridge) + ")");
  }
  return c;
}

// Lengths of every array, with the overflow checks that make them, the scratch and the noise
// indices representable (all at most 2^53).
struct Lengths {
  uint64_t Pd, PTestd, Md, batchP, batchSums, hist, series, workspace;
};

Lengths lengthsOf(Napi::Env env, const MfConfig& c) {
  Lengths n{};
  n.Pd = checkedProduct(env, u64(c.P), u64(c.d), "P*d");
  n.PTestd = checkedProduct(env, u64(c.PTest), u64(c.d), "PTest*d");
  n.Md = checkedProduct(env, u64(c.M), u64(c.d), "M*d");
  checkedProduct(env, u64(c.steps), n.Md, "steps*M*d");
  checkedProduct(env, u64(c.steps), u64(c.batches), "steps*batches");
  n.batchP = checkedProduct(env, u64(c.batches), u64(c.P), "batches*P");
  n.batchSums = u64(c.batches) * u64(kMfBatchColumns);
  n.hist = checkedProduct(env, u64(kMfHistGroups), u64(c.histBins + 2), "3*(histBins+2)");
  n.series = checkedProduct(env, u64(mfObserveCount(c)), u64(kMfSeriesColumns), "O*4");
  // The scratch: three M x P matrices and the P x P or M x M matrix dominate.
  const uint64_t MP = checkedProduct(env, u64(c.M), u64(c.P), "M*P");
  const uint64_t order = c.solve == MfSolve::kWoodbury ? u64(c.M) : u64(c.P);
  checkedProduct(env, order, order, c.solve == MfSolve::kWoodbury ? "M*M" : "P*P");
  checkedProduct(env, 4, MP, "4*M*P");
  n.workspace = u64(mfWorkspaceSize(c));
  return n;
}

// Reads the typed arrays of a call from data, state and acc, checking lengths. With `owned`
// (an async job), returns the job's copies: data is read only, state and acc (after
// startInOut()) are written back when the job settles.
class ArrayReader {
 public:
  explicit ArrayReader(JobArrays* owned) : owned_(owned) {}

  void startInOut() { use_ = JobArrays::Use::kInOut; }

  double* read(const Options& from, const char* key, const char* field, uint64_t length,
               const std::string& formula) {
    const Napi::Value value = from[key];
    const Expected expected{length, formula};
    const Float64View view = float64Array(value, field, &expected);
    views_.push_back(view);
    return owned_ != nullptr ? owned_->add(value, view, use_) : view.data;
  }

  // null, or an array of exactly `length`.
  double* readNullable(const Options& from, const char* key, const char* field, uint64_t length,
                       const std::string& formula) {
    if (from[key].IsNull()) return nullptr;
    return read(from, key, field, length, formula);
  }

  const std::vector<Float64View>& views() const { return views_; }

 private:
  JobArrays* owned_;
  JobArrays::Use use_ = JobArrays::Use::kIn;
  std::vector<Float64View> views_;
};

// data: X, y, XTest, yTest and targetTest (null for custom data), all finite.
MfData readData(const Options& o, const MfConfig& c, const Lengths& n, ArrayReader& reader) {
  const std::string PTest = named("PTest", c.PTest);
  MfData data;
  data.X = reader.read(o, "X", "data.X", n.Pd, times("P*d", c.P, c.d));
  data.y = reader.read(o, "y", "data.y", u64(c.P), named("P", c.P));
  data.XTest = reader.read(o, "XTest", "data.XTest", n.PTestd, times("PTest*d", c.PTest, c.d));
  data.yTest = reader.read(o, "yTest", "data.yTest", u64(c.PTest), PTest);
  data.targetTest = reader.readNullable(o, "targetTest", "data.targetTest", u64(c.PTest), PTest);
  return data;
}

// state: W, rho, rPrev, all finite (a non-finite particle would only resurface as a failure).
MfState readState(const Options& o, const MfConfig& c, const Lengths& n, ArrayReader& reader) {
  MfState state;
  state.W = reader.read(o, "W", "state.W", n.Md, times("M*d", c.M, c.d));
  state.rho = reader.read(o, "rho", "state.rho", u64(c.d), named("d", c.d));
  state.rPrev = reader.read(o, "rPrev", "state.rPrev", u64(c.P), named("P", c.P));
  return state;
}

// acc: the accumulators, sized as src/methods/mf/layout.ts.
MfAccumulators readAccumulators(const Options& o, const MfConfig& c, const Lengths& n,
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
  return a;
}

// mfRun(config, data, state, acc, stepBegin, stepEnd[, onProgress]); `owned` as ArrayReader.
MfCall readMfCall(const Napi::CallbackInfo& info, JobArrays* owned) {
  const Napi::Env env = info.Env();
  MfCall call;
  call.config = readConfig(info[0]);
  const MfConfig& c = call.config;
  const Lengths n = lengthsOf(env, c);
  // Every property is read before the first typed array is viewed (see Options).
  const Options data(info[1], "data", {"X", "y", "XTest", "yTest", "targetTest"});
  const Options state(info[2], "state", {"W", "rho", "rPrev"});
  const Options acc(
      info[3], "acc",
      {"nSamples", "sumFTest", "sumFTrain", "sumFTrainBatch", "batchSums", "sumQ",
       "sumSpecialisation", "hist", "moments", "counts", "sumStepChange", "nStepChange", "series"});
  ArrayReader reader(owned);
  call.data = readData(data, c, n, reader);
  const size_t inputCount = reader.views().size();
  reader.startInOut();
  call.state = readState(state, c, n, reader);
  const size_t stateEnd = reader.views().size();
  call.acc = readAccumulators(acc, c, n, reader);

  const std::vector<Float64View>& views = reader.views();
  for (size_t i = 0; i < stateEnd; ++i) requireFinite(env, views[i]);
  // Outputs (state and accumulators) overlap neither each other nor any input.
  for (size_t i = inputCount; i < views.size(); ++i) {
    for (size_t j = 0; j < views.size(); ++j) {
      if (j != i) requireDisjoint(env, {span(views[i])}, {span(views[j])});
    }
  }

  const std::string steps = std::to_string(c.steps);
  call.stepBegin = integerIn(info[4], "stepBegin", 0, c.steps,
                             "an integer in [0, steps] (steps = " + steps + ")");
  call.stepEnd =
      integerIn(info[5], "stepEnd", call.stepBegin, c.steps,
                "an integer in [stepBegin, steps] (stepBegin = " + std::to_string(call.stepBegin) +
                    ", steps = " + steps + ")");
  return call;
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

struct MfKernel {
  using Call = MfCall;
  using Result = MfResult;
  static constexpr const char* kName = "mfRun";
  static Result run(Call& call, const std::atomic<bool>* cancel, const ProgressFn& progress,
                    double* workspace) {
    return mfRun(call.config, call.data, call.state, call.acc, call.stepBegin, call.stepEnd, cancel,
                 progress, workspace);
  }
  static bool failed(const Result& r) { return r.failure != MfFailure::kNone; }
  static int64_t stepsDone(const Result& r) { return r.stepsDone; }
  static Napi::Object toJs(Napi::Env env, const Result& r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("stepsDone", Napi::Number::New(env, static_cast<double>(r.stepsDone)));
    out.Set("failure", Napi::String::New(env, failureName(r.failure)));
    out.Set("failedStep", Napi::Number::New(env, static_cast<double>(r.failedStep)));
    out.Set("info", Napi::Number::New(env, static_cast<double>(r.info)));
    return out;
  }
};

}  // namespace

Napi::Value MfRun(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  MfCall call = readMfCall(info, nullptr);
  ScratchLease lease(env);
  double* workspace = lease.acquire(env, lengthsOf(env, call.config).workspace, "mf workspace");
  return MfKernel::toJs(env, MfKernel::run(call, nullptr, nullptr, workspace));
}

Napi::Value MfRunAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  JobArrays arrays;
  MfCall call = readMfCall(info, &arrays);
  arrays.requireFixedLength();
  checkOnProgress(info[6]);
  arrays.copyIn();
  return ProgressJob::start(
      env, new StepLoopJob<MfKernel>(env, std::move(call), std::move(arrays), info[6]));
}

}  // namespace mfl::napi
