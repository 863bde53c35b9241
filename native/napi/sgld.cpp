// sgldRun and its asynchronous, cancellable twin (docs/sgld.md, "Kernel contract"). Every field
// of config, data, state and acc is checked here; sgldRun then runs the kernel on the caller's
// typed arrays in place. The async job runs the same core call on a libuv worker thread over its
// own copies of the arrays (job.hpp); only the progress and completion callbacks, on the main
// thread, touch JS values.
#include "../core/sgld.hpp"

#include <atomic>
#include <exception>
#include <limits>
#include <memory>
#include <string>
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

// A fully checked call: the core structs over the caller's typed arrays (sync) or the job's
// copies of them (async).
struct SgldCall {
  SgldConfig config;
  SgldData data;
  SgldState state;
  SgldAccumulators acc;
  int64_t stepBegin = 0;
  int64_t stepEnd = 0;
};

double positive(const Napi::Value& value, const char* field) {
  return numberIn(value, field, std::numeric_limits<double>::denorm_min(),
                  std::numeric_limits<double>::max(), "a finite number > 0");
}

uint64_t u64(int64_t x) { return static_cast<uint64_t>(x); }

std::string ofP(int64_t P) { return " (P = " + std::to_string(P) + ")"; }

SgldConfig readConfig(const Napi::Value& value) {
  const Options o(value, "config",
                  {"P",          "d",         "N",         "PTest",        "chains",    "gamma",
                   "activation", "bias",      "kappa",     "eta",          "lossScale", "sigmaW",
                   "sigmaA",     "sigmaB",    "batchSize", "freezeW",      "mala",      "seed",
                   "steps",      "burnIn",    "thin",      "observeEvery", "nRelevant", "histBins",
                   "histRange",  "precision", "threads"});
  const std::string dims = "an integer in [1, 2^31 - 1]";
  SgldConfig c;
  c.P = integerIn(o["P"], "P", 1, kMaxDimension, dims);
  c.d = integerIn(o["d"], "d", 1, kMaxDimension, dims);
  c.N = integerIn(o["N"], "N", 1, kMaxDimension, dims);
  c.PTest = integerIn(o["PTest"], "PTest", 0, kMaxDimension, "an integer in [0, 2^31 - 1]");
  c.chains = integerIn(o["chains"], "chains", 1, kMaxDimension, dims);
  c.gamma = numberIn(o["gamma"], "gamma", 0.5, 1.0, "a number in [0.5, 1]");
  static constexpr Activation kActivations[] = {Activation::kRelu, Activation::kErf,
                                                Activation::kTanh, Activation::kLinear};
  c.activation =
      kActivations[oneOf(o["activation"], "activation", {"relu", "erf", "tanh", "linear"})];
  c.bias = boolean(o["bias"], "bias");
  c.kappa = positive(o["kappa"], "kappa");
  c.eta = positive(o["eta"], "eta");
  c.lossScale = positive(o["lossScale"], "lossScale");
  c.sigmaW = positive(o["sigmaW"], "sigmaW");
  c.sigmaA = positive(o["sigmaA"], "sigmaA");
  c.sigmaB = positive(o["sigmaB"], "sigmaB");
  c.batchSize = integerIn(o["batchSize"], "batchSize", 1, c.P, "an integer in [1, P]" + ofP(c.P));
  c.freezeW = boolean(o["freezeW"], "freezeW");
  c.mala = boolean(o["mala"], "mala");
  if (c.mala && c.batchSize != c.P) {
    throw rangeError(value.Env(), "mala", "false with a minibatch (MALA needs batchSize = P)",
                     "true");
  }
  c.seed = safeIndex(o["seed"], "seed");
  c.steps = integerIn(o["steps"], "steps", 1, kMaxCount, "an integer in [1, 2^53)");
  c.burnIn = integerIn(o["burnIn"], "burnIn", 0, c.steps - 1,
                       "an integer in [0, steps) (steps = " + std::to_string(c.steps) + ")");
  c.thin = integerIn(o["thin"], "thin", 1, kMaxCount, "an integer in [1, 2^53)");
  c.observeEvery =
      integerIn(o["observeEvery"], "observeEvery", 0, kMaxCount, "an integer in [0, 2^53)");
  c.nRelevant = integerIn(o["nRelevant"], "nRelevant", 0, c.d,
                          "an integer in [0, d] (d = " + std::to_string(c.d) + ")");
  c.histBins = integerIn(o["histBins"], "histBins", 1, kMaxHistBins, "an integer in [1, 10000]");
  c.histRange = positive(o["histRange"], "histRange");
  static constexpr Precision kPrecisions[] = {Precision::kFloat64, Precision::kFloat32};
  c.precision = kPrecisions[oneOf(o["precision"], "precision", {"float64", "float32"})];
  c.threads = integerIn(o["threads"], "threads", 1, kSgldMaxThreads, "an integer in [1, 256]");
  return c;
}

// Lengths of every array, with the overflow checks that make them and the random-value indices
// representable (all products at most 2^53).
struct Lengths {
  uint64_t Pd, PTestd, Nd, CNd, CN, CP, CPTest, Cd, CS, CO3, CHist, CMoments, nParams;
};

Lengths lengthsOf(Napi::Env env, const SgldConfig& c) {
  const auto u = [](int64_t x) { return static_cast<uint64_t>(x); };
  Lengths n{};
  n.Pd = checkedProduct(env, u(c.P), u(c.d), "P*d");
  n.PTestd = checkedProduct(env, u(c.PTest), u(c.d), "PTest*d");
  n.Nd = checkedProduct(env, u(c.N), u(c.d), "N*d");
  n.CNd = checkedProduct(env, u(c.chains), n.Nd, "chains*N*d");
  n.CN = checkedProduct(env, u(c.chains), u(c.N), "chains*N");
  n.CP = checkedProduct(env, u(c.chains), u(c.P), "chains*P");
  n.CPTest = checkedProduct(env, u(c.chains), u(c.PTest), "chains*PTest");
  n.Cd = checkedProduct(env, u(c.chains), u(c.d), "chains*d");
  n.nParams = n.Nd + u(c.N) * (c.bias ? 2 : 1);
  checkedProduct(env, u(c.steps), n.nParams, "steps*nParams");
  checkedProduct(env, u(c.steps), u(c.batchSize), "steps*batchSize");
  n.CS = checkedProduct(env, u(c.chains), u(sgldSampleCount(c)), "chains*S");
  n.CO3 = checkedProduct(env, checkedProduct(env, u(c.chains), u(sgldObserveCount(c)), "chains*O"),
                         3, "chains*O*3");
  n.CHist = checkedProduct(env, u(c.chains), u(kSgldHistGroups * (c.histBins + 2)),
                           "chains*3*(histBins+2)");
  n.CMoments = u(c.chains) * u(kSgldHistGroups * 4);
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
    return keep(value, view);
  }

  // null, or an array of exactly `length`.
  double* readNullable(const Options& from, const char* key, const char* field, uint64_t length,
                       const std::string& formula) {
    const Napi::Value value = from[key];
    if (value.IsNull()) return nullptr;
    return read(from, key, field, length, formula);
  }

  double* readOptional(const Options& from, const char* key, const char* field, bool wanted,
                       const char* whyNull, uint64_t length, const std::string& formula) {
    const Napi::Value value = from[key];
    const Float64View view = optionalFloat64Array(value, field, wanted, whyNull, {length, formula});
    return view.present ? keep(value, view) : nullptr;
  }

  const std::vector<Float64View>& views() const { return views_; }

 private:
  double* keep(const Napi::Value& value, const Float64View& view) {
    views_.push_back(view);
    return owned_ != nullptr ? owned_->add(value, view, use_) : view.data;
  }

  JobArrays* owned_;
  JobArrays::Use use_ = JobArrays::Use::kIn;
  std::vector<Float64View> views_;
};

std::string times(const char* name, int64_t x, int64_t y) {
  return std::string(name) + " = " + std::to_string(x) + "*" + std::to_string(y);
}

std::string chainsTimes(int64_t chains, const std::string& what, int64_t x) {
  return "chains*" + what + " = " + std::to_string(chains) + "*" + std::to_string(x);
}

// data: X, y, XTest, yTest (finite, read only) and targetTest (null for custom data).
SgldData readData(const Options& o, const SgldConfig& c, const Lengths& n, ArrayReader& reader) {
  const std::string P = "P = " + std::to_string(c.P);
  const std::string PTest = "PTest = " + std::to_string(c.PTest);
  SgldData data;
  data.X = reader.read(o, "X", "data.X", n.Pd, times("P*d", c.P, c.d));
  data.y = reader.read(o, "y", "data.y", u64(c.P), P);
  data.XTest = reader.read(o, "XTest", "data.XTest", n.PTestd, times("PTest*d", c.PTest, c.d));
  data.yTest = reader.read(o, "yTest", "data.yTest", u64(c.PTest), PTest);
  data.targetTest = reader.readNullable(o, "targetTest", "data.targetTest", u64(c.PTest), PTest);
  return data;
}

// state: W, a (, b), all chains one after another.
SgldState readState(const Options& o, const SgldConfig& c, const Lengths& n, ArrayReader& reader) {
  const std::string cN = chainsTimes(c.chains, "N", c.N);
  SgldState state;
  state.W = reader.read(o, "W", "state.W", n.CNd, chainsTimes(c.chains, "N*d", c.N * c.d));
  state.a = reader.read(o, "a", "state.a", n.CN, cN);
  state.b = reader.readOptional(o, "b", "state.b", c.bias, "bias is false", n.CN, cN);
  return state;
}

// acc: the accumulators, sized as src/methods/sgld/layout.ts.
SgldAccumulators readAccumulators(const Options& o, const SgldConfig& c, const Lengths& n,
                                  ArrayReader& reader) {
  const uint64_t C = u64(c.chains);
  const std::string perChain = "chains = " + std::to_string(c.chains);
  const std::string cS = chainsTimes(c.chains, "S", sgldSampleCount(c));
  SgldAccumulators a;
  a.nSamples = reader.read(o, "nSamples", "acc.nSamples", C, perChain);
  a.sumFTest =
      reader.read(o, "sumFTest", "acc.sumFTest", n.CPTest, chainsTimes(c.chains, "PTest", c.PTest));
  a.sumFTrain = reader.read(o, "sumFTrain", "acc.sumFTrain", n.CP, chainsTimes(c.chains, "P", c.P));
  a.sumSampleTestMse = reader.read(o, "sumSampleTestMse", "acc.sumSampleTestMse", C, perChain);
  a.sumSampleTrainMse = reader.read(o, "sumSampleTrainMse", "acc.sumSampleTrainMse", C, perChain);
  a.traceMS = reader.read(o, "traceMS", "acc.traceMS", n.CS, cS);
  a.traceTestMse = reader.read(o, "traceTestMse", "acc.traceTestMse", n.CS, cS);
  a.sumQ = reader.read(o, "sumQ", "acc.sumQ", n.Cd, chainsTimes(c.chains, "d", c.d));
  a.hist = reader.read(o, "hist", "acc.hist", n.CHist,
                       chainsTimes(c.chains, "3*(histBins+2)", 3 * (c.histBins + 2)));
  a.moments =
      reader.read(o, "moments", "acc.moments", n.CMoments, chainsTimes(c.chains, "3*4", 12));
  a.sumSpecialisation = reader.read(o, "sumSpecialisation", "acc.sumSpecialisation", C, perChain);
  a.series = reader.read(o, "series", "acc.series", n.CO3,
                         chainsTimes(c.chains, "O*3", 3 * sgldObserveCount(c)));
  a.malaProposed = reader.read(o, "malaProposed", "acc.malaProposed", C, perChain);
  a.malaAccepted = reader.read(o, "malaAccepted", "acc.malaAccepted", C, perChain);
  return a;
}

// sgldRun(config, data, state, acc, stepBegin, stepEnd[, onProgress]); `owned` as ArrayReader.
SgldCall readSgldCall(const Napi::CallbackInfo& info, JobArrays* owned) {
  const Napi::Env env = info.Env();
  SgldCall call;
  call.config = readConfig(info[0]);
  const SgldConfig& c = call.config;
  const Lengths n = lengthsOf(env, c);
  // Every property is read before the first typed array is viewed (see Options).
  const Options data(info[1], "data", {"X", "y", "XTest", "yTest", "targetTest"});
  const Options state(info[2], "state", {"W", "a", "b"});
  const Options acc(info[3], "acc",
                    {"nSamples", "sumFTest", "sumFTrain", "sumSampleTestMse", "sumSampleTrainMse",
                     "traceMS", "traceTestMse", "sumQ", "hist", "moments", "sumSpecialisation",
                     "series", "malaProposed", "malaAccepted"});
  ArrayReader reader(owned);
  call.data = readData(data, c, n, reader);
  const size_t inputCount = reader.views().size();
  for (const Float64View& v : reader.views()) requireFinite(env, v);
  reader.startInOut();
  call.state = readState(state, c, n, reader);
  call.acc = readAccumulators(acc, c, n, reader);

  // Outputs (state and accumulators) overlap neither each other nor any input.
  const std::vector<Float64View>& views = reader.views();
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

struct SgldKernel {
  using Call = SgldCall;
  using Result = SgldResult;
  static constexpr const char* kName = "sgldRun";
  static Result run(Call& call, const std::atomic<bool>* cancel, const ProgressFn& progress,
                    double* workspace) {
    return sgldRun(call.config, call.data, call.state, call.acc, call.stepBegin, call.stepEnd,
                   cancel, progress, workspace);
  }
  static bool failed(const Result& r) { return r.divergedChain >= 0; }
  static int64_t stepsDone(const Result& r) { return r.stepsDone; }
  static Napi::Object toJs(Napi::Env env, const Result& r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("stepsDone", Napi::Number::New(env, static_cast<double>(r.stepsDone)));
    out.Set("divergedChain", Napi::Number::New(env, static_cast<double>(r.divergedChain)));
    out.Set("divergedStep", Napi::Number::New(env, static_cast<double>(r.divergedStep)));
    return out;
  }
};

}  // namespace

Napi::Value SgldRun(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  SgldCall call = readSgldCall(info, nullptr);
  ScratchLease lease(env);
  double* workspace =
      lease.acquire(env, static_cast<uint64_t>(sgldWorkspaceSize(call.config)), "sgld workspace");
  return SgldKernel::toJs(env, SgldKernel::run(call, nullptr, nullptr, workspace));
}

Napi::Value SgldRunAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  JobArrays arrays;
  SgldCall call = readSgldCall(info, &arrays);
  arrays.requireFixedLength();
  checkOnProgress(info[6]);
  arrays.copyIn();
  return ProgressJob::start(
      env, new StepLoopJob<SgldKernel>(env, std::move(call), std::move(arrays), info[6]));
}

}  // namespace mfl::napi
