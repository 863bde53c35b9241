// The async job of a step-loop kernel (SGLD, mean-field particles): Execute() runs the kernel on
// a libuv worker thread with the job's cancel flag and progress, settle() resolves with the
// kernel's result, or rejects with ERR_MFL_CANCELLED when it stopped early without a numerical
// failure, or with the translated exception. Execute() passes no workspace: the kernel allocates
// its own (the environment's scratch pool belongs to the JS thread). The call's arrays point into
// the job's copies (JobArrays), never into JS memory; the state and accumulators are written back
// when the job settles, so after a cancel the caller holds the state of the step where the job
// stopped (the state is consistent at every step boundary), as after a synchronous run.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "../core/progress.hpp"
#include "args.hpp"
#include "job.hpp"

namespace mfl::napi {

// Kernel: a struct with
//   using Call = ...;  // stepBegin, stepEnd; pointers into the job's JobArrays
//   using Result = ...;
//   static constexpr const char* kName;  // "sgldRun"
//   static Result run(Call&, const std::atomic<bool>* cancel, const ProgressFn&,
//                     double* workspace);
//   static bool failed(const Result&);  // stopped by a numerical failure
//   static int64_t stepsDone(const Result&);
//   static Napi::Object toJs(Napi::Env, const Result&);
template <typename Kernel>
class StepLoopJob : public ProgressJob {
 public:
  // `call` was read with `arrays` as its JobArrays.
  StepLoopJob(Napi::Env env, typename Kernel::Call call, JobArrays arrays,
              const Napi::Value& onProgress)
      : ProgressJob(env, resourceName(), onProgress, std::move(arrays)), call_(std::move(call)) {}

 protected:
  void Execute(const ExecutionProgress& progress) override {
    try {
      const ProgressFn report = [&progress](int64_t done, int64_t total) {
        const JobProgress p{done, total};
        progress.Send(&p, 1);
      };
      result_ = Kernel::run(call_, cancelFlag(), report, nullptr);
      cancelled_ =
          !Kernel::failed(result_) && Kernel::stepsDone(result_) < call_.stepEnd - call_.stepBegin;
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void settle(Napi::Env env, const Napi::Promise::Deferred& deferred) override {
    if (error_) {
      try {
        std::rethrow_exception(error_);
      } catch (...) {
        deferred.Reject(translateCurrentException(env).Value());
      }
    } else if (cancelled_) {
      deferred.Reject(
          codedError(env, "ERR_MFL_CANCELLED", std::string(Kernel::kName) + " was cancelled")
              .Value());
    } else {
      deferred.Resolve(Kernel::toJs(env, result_));
    }
  }

 private:
  static const char* resourceName() {
    static const std::string name = std::string("mfl.") + Kernel::kName;
    return name.c_str();
  }

  typename Kernel::Call call_;
  typename Kernel::Result result_;  // written by Execute, read by settle after the thread joined
  bool cancelled_ = false;          // likewise
  std::exception_ptr error_;        // likewise
};

}  // namespace mfl::napi
