// sgldRun and its asynchronous, cancellable twin (docs/sgld.md, "Kernel contract"). Every field
// of config, data, state and acc is checked here; the shape of the call, the data, the entry
// points and the async job are the step-loop glue shared with mfRun (step_call.hpp).
#include "../core/sgld.hpp"

#include <atomic>
#include <string>

#include "args.hpp"
#include "exports.hpp"
#include "step_call.hpp"

namespace mfl::napi {
namespace {

uint64_t u64(int64_t x) { return static_cast<uint64_t>(x); }

std::string ofP(int64_t P) { return " (P = " + std::to_string(P) + ")"; }

// Lengths of every array, with the overflow checks that make them and the random-value indices
// representable (all products at most 2^53).
struct SgldLengths {
  uint64_t Pd, PTestd, Nd, CNd, CN, CP, CPTest, Cd, CS, CO3, CHist, CMoments, nParams, CnParams;
};

// The SGLD kernel for the step-loop glue (step_call.hpp, step_job.hpp).
struct SgldKernel : StepKernelBase<SgldConfig, SgldData, SgldState, SgldAccumulators, SgldLengths,
                                   &mfl::sgldRun> {
  static constexpr const char* kName = "sgldRun";
  static constexpr const char* kWorkspaceName = "sgld workspace";
  // A chain's state is not checked: a diverged chain is a result, reported as such.
  static constexpr bool kFiniteState = false;

  static SgldConfig readConfig(const Napi::Value& value);
  static Lengths lengthsOf(Napi::Env env, const SgldConfig& c);
  static uint64_t workspaceSize(Napi::Env, const SgldConfig& c, const Lengths&) {
    return static_cast<uint64_t>(sgldWorkspaceSize(c));
  }
  static Options stateOptions(const Napi::Value& value) {
    return Options(value, "state", {"W", "a", "b", "momentum"});
  }
  static Options accOptions(const Napi::Value& value) {
    return Options(value, "acc",
                   {"nSamples", "sumFTest", "sumFTrain", "sumSampleTestMse", "sumSampleTrainMse",
                    "traceMS", "traceTestMse", "sumQ", "hist", "moments", "sumSpecialisation",
                    "series", "malaProposed", "malaAccepted"});
  }
  static SgldState readState(const Options& o, const SgldConfig& c, const Lengths& n,
                             ArrayReader& reader);
  static SgldAccumulators readAccumulators(const Options& o, const SgldConfig& c, const Lengths& n,
                                           ArrayReader& reader);

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

// integrator: "euler" (also when undefined, as before it existed) or "baoab"; friction: a finite
// number > 0 with BAOAB, undefined or null with Euler (which has no friction).
void readIntegrator(const Options& o, SgldConfig& c) {
  const Napi::Value integrator = o["integrator"];
  if (!integrator.IsUndefined()) {
    static constexpr Integrator kIntegrators[] = {Integrator::kEuler, Integrator::kBaoab};
    c.integrator = kIntegrators[oneOf(integrator, "integrator", {"euler", "baoab"})];
  }
  const Napi::Value friction = o["friction"];
  if (c.integrator == Integrator::kEuler) {
    if (!friction.IsUndefined() && !friction.IsNull()) {
      throw typeError(friction.Env(), "friction", "undefined or null with integrator \"euler\"",
                      describe(friction));
    }
    return;
  }
  c.friction = positive(friction, "friction");
  if (c.mala) {
    throw rangeError(o["mala"].Env(), "mala", "false with integrator \"baoab\"", "true");
  }
}

SgldConfig SgldKernel::readConfig(const Napi::Value& value) {
  const Options o(value, "config",
                  {"P",          "d",         "N",         "PTest",        "chains",    "gamma",
                   "activation", "bias",      "kappa",     "eta",          "lossScale", "sigmaW",
                   "sigmaA",     "sigmaB",    "batchSize", "freezeW",      "mala",      "seed",
                   "steps",      "burnIn",    "thin",      "observeEvery", "nRelevant", "histBins",
                   "histRange",  "precision", "threads",   "integrator",   "friction"});
  const std::string dims = "an integer in [1, 2^31 - 1]";
  SgldConfig c;
  c.P = integerIn(o["P"], "P", 1, kMaxDimension, dims);
  c.d = integerIn(o["d"], "d", 1, kMaxDimension, dims);
  c.N = integerIn(o["N"], "N", 1, kMaxDimension, dims);
  c.PTest = integerIn(o["PTest"], "PTest", 0, kMaxDimension, "an integer in [0, 2^31 - 1]");
  c.chains = integerIn(o["chains"], "chains", 1, kMaxDimension, dims);
  c.gamma = numberIn(o["gamma"], "gamma", 0.5, 1.0, "a number in [0.5, 1]");
  c.activation = readActivation(o["activation"]);
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
  readIntegrator(o, c);
  return c;
}

SgldLengths SgldKernel::lengthsOf(Napi::Env env, const SgldConfig& c) {
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
  n.CnParams = checkedProduct(env, u(c.chains), n.nParams, "chains*nParams");
  checkedProduct(env, u(c.steps), u(c.batchSize), "steps*batchSize");
  n.CS = checkedProduct(env, u(c.chains), u(sgldSampleCount(c)), "chains*S");
  n.CO3 = checkedProduct(env, checkedProduct(env, u(c.chains), u(sgldObserveCount(c)), "chains*O"),
                         3, "chains*O*3");
  n.CHist = checkedProduct(env, u(c.chains), u(kSgldHistGroups * (c.histBins + 2)),
                           "chains*3*(histBins+2)");
  n.CMoments = u(c.chains) * u(kSgldHistGroups * 4);
  return n;
}

std::string chainsTimes(int64_t chains, const std::string& what, int64_t x) {
  return "chains*" + what + " = " + std::to_string(chains) + "*" + std::to_string(x);
}

// state: W, a (, b), all chains one after another.
SgldState SgldKernel::readState(const Options& o, const SgldConfig& c, const Lengths& n,
                                ArrayReader& reader) {
  const std::string cN = chainsTimes(c.chains, "N", c.N);
  SgldState state;
  state.W = reader.read(o, "W", "state.W", n.CNd, chainsTimes(c.chains, "N*d", c.N * c.d));
  state.a = reader.read(o, "a", "state.a", n.CN, cN);
  state.b = reader.readOptional(o, "b", "state.b", c.bias, "bias is false", n.CN, cN);
  const bool baoab = c.integrator == Integrator::kBaoab;
  if (baoab || !o["momentum"].IsUndefined()) {
    state.momentum = reader.readOptional(
        o, "momentum", "state.momentum", baoab, "integrator is \"euler\"", n.CnParams,
        chainsTimes(c.chains, "nParams", static_cast<int64_t>(n.nParams)));
  }
  return state;
}

// acc: the accumulators, sized as src/methods/sgld/layout.ts.
SgldAccumulators SgldKernel::readAccumulators(const Options& o, const SgldConfig& c,
                                              const Lengths& n, ArrayReader& reader) {
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

}  // namespace

Napi::Value SgldRun(const Napi::CallbackInfo& info) { return runStepKernel<SgldKernel>(info); }

Napi::Value SgldRunAsync(const Napi::CallbackInfo& info) {
  return startStepKernel<SgldKernel>(info);
}

}  // namespace mfl::napi
