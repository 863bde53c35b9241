// generateTaskRows and its asynchronous, cancellable twin (THEORY.md section 1). The async job
// runs the same core function on a libuv worker thread, a chunk of rows at a time, into its own
// copies of X and y (job.hpp) that go back into the caller's arrays when it settles; only the
// progress and completion callbacks, which run on the main thread, touch JS values.
#include "../core/tasks.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include "args.hpp"
#include "exports.hpp"
#include "job.hpp"

namespace mfl::napi {
namespace {

constexpr int64_t kMaxHermiteDegree = 20;
constexpr double kMaxLabelNoise = 1e150;  // labels and sigma_eps^2 stay finite (src/tasks/spec.ts)
constexpr int64_t kValuesPerChunk = 1 << 16;  // under 1 ms of work: bounds the cancel latency
constexpr int64_t kProgressSteps = 100;       // at most ~100 onProgress calls per job

// A fully checked call: the core parameters and the outputs (the caller's arrays, or the job's
// copies of them).
struct TaskCall {
  TaskParams params;
  bool test = false;
  int64_t rowOffset = 0;
  int64_t n = 0;  // rows, = y.length
  Float64View X;
  Float64View y;
};

TaskParams readTaskParams(const Options& options) {
  TaskParams p;
  p.kind = oneOf(options["kind"], "kind", {"parity", "single-index"}) == 0 ? TaskKind::kParity
                                                                           : TaskKind::kSingleIndex;
  p.d = integerIn(options["d"], "d", 1, kMaxDimension, "an integer in [1, 2^31 - 1]");
  const bool hermite = p.kind == TaskKind::kSingleIndex;
  const int64_t maxK = hermite ? std::min(p.d, kMaxHermiteDegree) : p.d;
  p.k = integerIn(
      options["k"], "k", 0, maxK,
      hermite ? "an integer in [0, min(d, 20)] for single-index (d = " + std::to_string(p.d) + ")"
              : "an integer in [0, d] (d = " + std::to_string(p.d) + ")");
  p.labelNoise =
      numberIn(options["labelNoise"], "labelNoise", 0.0, kMaxLabelNoise, "a number in [0, 1e150]");
  p.seed = safeIndex(options["seed"], "seed");
  return p;
}

// generateTaskRows(options, X, y) / generateTaskRowsAsync(options, X, y, ...): rows
// [rowOffset, rowOffset + y.length) into X (n x d) and y (n). With `owned` (the async job), X and
// y point into its copies, written back when it settles: the rows a cancelled job did not reach
// keep the caller's values, as in place.
TaskCall readTaskCall(const Napi::CallbackInfo& info, JobArrays* owned) {
  const Napi::Env env = info.Env();
  const Options options(info[0], "options",
                        {"kind", "d", "k", "labelNoise", "seed", "test", "rowOffset"});
  TaskCall call;
  call.params = readTaskParams(options);
  call.test = boolean(options["test"], "test");
  const uint64_t rowOffset = safeIndex(options["rowOffset"], "rowOffset");

  // y first: its length is n, which X's expected length depends on.
  const Float64View y = float64Array(info[2], "y", nullptr);
  const auto d = static_cast<uint64_t>(call.params.d);
  const uint64_t nd = checkedProduct(env, y.length, d, "n*d");
  const Expected xLength{
      nd, "n*d = " + std::to_string(y.length) + "*" + std::to_string(d) + " with n = y.length"};
  call.X = float64Array(info[1], "X", &xLength);
  call.y = y;
  requireDisjoint(env, {span(call.X), span(call.y)}, {});

  // Every input value index (rowOffset + n) * d must stay below 2^53.
  const uint64_t lastRow = kTwoPow53 / d;
  if (rowOffset > lastRow || y.length > lastRow - rowOffset) {
    throw rangeError(env, "rowOffset",
                     "an integer with (rowOffset + n)*d <= 2^53 (n = " + std::to_string(y.length) +
                         ", d = " + std::to_string(d) + ")",
                     describe(options["rowOffset"]));
  }
  call.rowOffset = static_cast<int64_t>(rowOffset);
  call.n = static_cast<int64_t>(y.length);
  if (owned != nullptr) {
    call.X.data = owned->add(info[1], call.X, JobArrays::Use::kInOut);
    call.y.data = owned->add(info[2], call.y, JobArrays::Use::kInOut);
  }
  return call;
}

void runRows(const TaskCall& call, int64_t first, int64_t count) {
  generateTaskRows(call.params, call.test, call.rowOffset + first, count,
                   call.X.data + first * call.params.d, call.y.data + first);
}

// The async job: chunks of rows on a worker thread, cancellable between chunks.
class TaskRowsJob : public ProgressJob {
 public:
  // `call` was read with `arrays` as its JobArrays.
  TaskRowsJob(Napi::Env env, TaskCall call, JobArrays arrays, const Napi::Value& onProgress)
      : ProgressJob(env, "mfl.generateTaskRows", onProgress, std::move(arrays)),
        call_(std::move(call)) {}

 protected:
  void Execute(const ExecutionProgress& progress) override {
    const int64_t chunk = chunkRows();
    int64_t reportedStep = -1;
    for (int64_t done = 0; done < call_.n;) {
      if (cancelRequested()) return;
      const int64_t count = std::min(chunk, call_.n - done);
      runRows(call_, done, count);
      done += count;
      const int64_t step = done * kProgressSteps / call_.n;
      if (step != reportedStep) {
        reportedStep = step;
        const JobProgress p{done, call_.n};
        progress.Send(&p, 1);
      }
    }
    completed_ = true;
  }

  void settle(Napi::Env env, const Napi::Promise::Deferred& deferred) override {
    if (completed_) {
      deferred.Resolve(env.Undefined());
    } else {
      deferred.Reject(
          codedError(env, "ERR_MFL_CANCELLED", "generateTaskRows was cancelled").Value());
    }
  }

 private:
  int64_t chunkRows() const {
    const int64_t byValues = std::max<int64_t>(1, kValuesPerChunk / call_.params.d);
    const int64_t byProgress =
        std::max<int64_t>(1, (call_.n + kProgressSteps - 1) / kProgressSteps);
    return std::min(byValues, byProgress);
  }

  TaskCall call_;
  bool completed_ = false;  // written by Execute, read by settle after the thread joined
};

}  // namespace

Napi::Value GenerateTaskRows(const Napi::CallbackInfo& info) {
  const TaskCall call = readTaskCall(info, nullptr);
  runRows(call, 0, call.n);
  return info.Env().Undefined();
}

Napi::Value GenerateTaskRowsAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  JobArrays arrays;
  TaskCall call = readTaskCall(info, &arrays);
  arrays.requireFixedLength();
  checkOnProgress(info[3]);
  arrays.copyIn();
  return ProgressJob::start(env, new TaskRowsJob(env, std::move(call), std::move(arrays), info[3]));
}

}  // namespace mfl::napi
