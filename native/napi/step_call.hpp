// The binding glue of the step-loop kernels (sgldRun, mfRun): both take
// (config, data, state, acc, stepBegin, stepEnd[, onProgress]) and run synchronously on the
// caller's typed arrays, or as an async job on its own copies of them (job.hpp, step_job.hpp).
// What differs, the config and the state and accumulator arrays, each kernel's Kernel struct
// reads; everything else (the data, the order of the checks, aliasing, the step range, the two
// entry points) is here, once.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "args.hpp"
#include "job.hpp"
#include "scratch.hpp"
#include "step_job.hpp"

namespace mfl::napi {

constexpr int64_t kMaxCount = (int64_t{1} << 53) - 1;
constexpr int64_t kMaxHistBins = 10000;

// "name = x" and "name = x*y", the formulas of expected lengths.
std::string named(const char* name, int64_t x);
std::string times(const char* name, int64_t x, int64_t y);

// Reads the typed arrays of a call from data, state and acc, checking lengths. With `owned`
// (an async job), returns the job's copies: data is read only, state and acc (after
// startInOut()) are written back when the job settles.
class ArrayReader {
 public:
  explicit ArrayReader(JobArrays* owned) : owned_(owned) {}

  void startInOut() { use_ = JobArrays::Use::kInOut; }

  double* read(const Options& from, const char* key, const char* field, uint64_t length,
               const std::string& formula);
  // null, or an array of exactly `length`.
  double* readNullable(const Options& from, const char* key, const char* field, uint64_t length,
                       const std::string& formula);
  // null when not `wanted` (whyNull says why), else an array of exactly `length`.
  double* readOptional(const Options& from, const char* key, const char* field, bool wanted,
                       const char* whyNull, uint64_t length, const std::string& formula);

  const std::vector<Float64View>& views() const { return views_; }

 private:
  double* keep(const Napi::Value& value, const Float64View& view);

  JobArrays* owned_;
  JobArrays::Use use_ = JobArrays::Use::kIn;
  std::vector<Float64View> views_;
};

// The data arrays every step-loop kernel takes, shaped by P, d and PTest.
struct DataArrays {
  const double* X = nullptr;
  const double* y = nullptr;
  const double* XTest = nullptr;
  const double* yTest = nullptr;
  const double* targetTest = nullptr;
};

// data: X (P x d), y (P), XTest (PTest x d), yTest (PTest), targetTest (PTest, or null for custom
// data); Pd and PTestd are the products, checked by the caller.
DataArrays readDataArrays(const Options& o, int64_t P, int64_t d, int64_t PTest, uint64_t Pd,
                          uint64_t PTestd, ArrayReader& reader);

// Each view from `firstOutput` on (state and accumulators) overlaps no other view.
void requireOutputsDisjoint(Napi::Env env, const std::vector<Float64View>& views,
                            size_t firstOutput);

// stepBegin (info[4]) in [0, steps] and stepEnd (info[5]) in [stepBegin, steps].
std::pair<int64_t, int64_t> readStepRange(const Napi::CallbackInfo& info, int64_t steps);

// A fully checked call: the core structs over the caller's typed arrays (sync) or the job's
// copies of them (async).
template <class Config, class Data, class State, class Accumulators>
struct StepCall {
  Config config;
  Data data;
  State state;
  Accumulators acc;
  int64_t stepBegin = 0;
  int64_t stepEnd = 0;
};

// The types of a step-loop kernel and its run (StepLoopJob's Call, Result and run()) around its
// core function `CoreRun` (sgldRun, mfRun); `LengthsT` holds the checked array lengths of a
// config, with members Pd and PTestd.
template <class ConfigT, class Data, class State, class Accumulators, class LengthsT, auto CoreRun>
struct StepKernelBase {
  using Config = ConfigT;
  using Call = StepCall<ConfigT, Data, State, Accumulators>;
  using Lengths = LengthsT;
  using Result = decltype(CoreRun(std::declval<const ConfigT&>(), std::declval<const Data&>(),
                                  std::declval<State&>(), std::declval<Accumulators&>(), int64_t{},
                                  int64_t{}, nullptr, std::declval<const ProgressFn&>(), nullptr));

  static Result run(Call& call, const std::atomic<bool>* cancel, const ProgressFn& progress,
                    double* workspace) {
    return CoreRun(call.config, call.data, call.state, call.acc, call.stepBegin, call.stepEnd,
                   cancel, progress, workspace);
  }
};

// Kernel: a StepKernelBase with the rest of StepLoopJob's requirements (step_job.hpp), and
//   static constexpr const char* kWorkspaceName;  // "mf workspace"
//   static constexpr bool kFiniteState;  // the state must be finite too
//   static Config readConfig(const Napi::Value&);
//   static Lengths lengthsOf(Napi::Env, const Config&);
//   static uint64_t workspaceSize(Napi::Env, const Config&, const Lengths&);
//   static Options stateOptions(const Napi::Value&);  // Options(value, "state", {...keys})
//   static Options accOptions(const Napi::Value&);
//   static State readState(const Options&, const Config&, const Lengths&, ArrayReader&);
//   static Accumulators readAccumulators(const Options&, const Config&, const Lengths&,
//                                        ArrayReader&);
//
// readStepCall reads (config, data, state, acc, stepBegin, stepEnd); `owned` as ArrayReader.
template <class Kernel>
typename Kernel::Call readStepCall(const Napi::CallbackInfo& info, JobArrays* owned) {
  const Napi::Env env = info.Env();
  typename Kernel::Call call;
  call.config = Kernel::readConfig(info[0]);
  const auto& c = call.config;
  const typename Kernel::Lengths n = Kernel::lengthsOf(env, c);
  // Every property is read before the first typed array is viewed (see Options).
  const Options data(info[1], "data", {"X", "y", "XTest", "yTest", "targetTest"});
  const Options state = Kernel::stateOptions(info[2]);
  const Options acc = Kernel::accOptions(info[3]);
  ArrayReader reader(owned);
  const DataArrays arrays = readDataArrays(data, c.P, c.d, c.PTest, n.Pd, n.PTestd, reader);
  call.data.X = arrays.X;
  call.data.y = arrays.y;
  call.data.XTest = arrays.XTest;
  call.data.yTest = arrays.yTest;
  call.data.targetTest = arrays.targetTest;
  const size_t inputCount = reader.views().size();
  for (const Float64View& v : reader.views()) requireFinite(env, v);
  reader.startInOut();
  call.state = Kernel::readState(state, c, n, reader);
  if (Kernel::kFiniteState) {
    for (size_t i = inputCount; i < reader.views().size(); ++i)
      requireFinite(env, reader.views()[i]);
  }
  call.acc = Kernel::readAccumulators(acc, c, n, reader);
  // Outputs (state and accumulators) overlap neither each other nor any input.
  requireOutputsDisjoint(env, reader.views(), inputCount);
  std::tie(call.stepBegin, call.stepEnd) = readStepRange(info, c.steps);
  return call;
}

// kernel(config, data, state, acc, stepBegin, stepEnd): the run on the caller's arrays, with a
// workspace from the environment's scratch pool.
template <class Kernel>
Napi::Value runStepKernel(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  typename Kernel::Call call = readStepCall<Kernel>(info, nullptr);
  const uint64_t size =
      Kernel::workspaceSize(env, call.config, Kernel::lengthsOf(env, call.config));
  ScratchLease lease(env);
  double* workspace = lease.acquire(env, size, Kernel::kWorkspaceName);
  return Kernel::toJs(env, Kernel::run(call, nullptr, nullptr, workspace));
}

// kernelAsync(..., onProgress): the same run as a cancellable job on copies of the arrays.
template <class Kernel>
Napi::Value startStepKernel(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  JobArrays arrays;
  typename Kernel::Call call = readStepCall<Kernel>(info, &arrays);
  arrays.requireFixedLength();
  checkOnProgress(info[6]);
  arrays.copyIn();
  return ProgressJob::start(
      env, new StepLoopJob<Kernel>(env, std::move(call), std::move(arrays), info[6]));
}

}  // namespace mfl::napi
