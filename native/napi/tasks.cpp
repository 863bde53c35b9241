// generateTaskRows and its asynchronous, cancellable twin (THEORY.md section 1). The async job
// runs the same core function on a libuv worker thread, a chunk of rows at a time; only the
// progress and completion callbacks, which run on the main thread, touch JS values.
#include "../core/tasks.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <string>

#include "args.hpp"
#include "exports.hpp"

namespace mfl::napi {
namespace {

constexpr int64_t kMaxHermiteDegree = 20;
constexpr int64_t kValuesPerChunk = 1 << 16;  // under 1 ms of work: bounds the cancel latency
constexpr int64_t kProgressSteps = 100;       // at most ~100 onProgress calls per job

// A fully checked call: the core parameters and the output views.
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
  p.labelNoise = numberIn(options["labelNoise"], "labelNoise", 0.0,
                          std::numeric_limits<double>::max(), "a finite number >= 0");
  p.seed = safeIndex(options["seed"], "seed");
  return p;
}

// generateTaskRows(options, X, y) / generateTaskRowsAsync(options, X, y, ...): rows
// [rowOffset, rowOffset + y.length) into X (n x d) and y (n).
TaskCall readTaskCall(const Napi::CallbackInfo& info) {
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
  return call;
}

void runRows(const TaskCall& call, int64_t first, int64_t count) {
  generateTaskRows(call.params, call.test, call.rowOffset + first, count,
                   call.X.data + first * call.params.d, call.y.data + first);
}

struct Progress {
  int64_t done = 0;
  int64_t total = 0;
};

Napi::Error cancelledError(Napi::Env env) {
  return codedError(env, "ERR_MFL_CANCELLED", "generateTaskRows was cancelled");
}

// The async job. Execute() is plain C++ on a worker thread; OnProgress/OnOK/OnError run on the
// main thread. The typed arrays are held by references until the job is destroyed, so their
// memory outlives the writes (a buffer detached mid-job by transfer is the caller's bug).
class TaskRowsWorker : public Napi::AsyncProgressWorker<Progress> {
 public:
  TaskRowsWorker(Napi::Env env, TaskCall call, const Napi::CallbackInfo& info,
                 std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressWorker<Progress>(env, "mfl.generateTaskRows"),
        call_(std::move(call)),
        deferred_(Napi::Promise::Deferred::New(env)),
        cancel_(std::move(cancel)) {
    xRef_ = Napi::Persistent(info[1].As<Napi::Object>());
    yRef_ = Napi::Persistent(info[2].As<Napi::Object>());
    if (info[3].IsFunction()) onProgress_ = Napi::Persistent(info[3].As<Napi::Function>());
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    const int64_t chunk = chunkRows();
    int64_t reportedStep = -1;
    for (int64_t done = 0; done < call_.n;) {
      if (cancel_->load()) return;
      const int64_t count = std::min(chunk, call_.n - done);
      runRows(call_, done, count);
      done += count;
      const int64_t step = done * kProgressSteps / call_.n;
      if (step != reportedStep) {
        reportedStep = step;
        const Progress p{done, call_.n};
        progress.Send(&p, 1);
      }
    }
    completed_ = true;
  }

  // The main-thread callbacks below must not throw: they are entered from libuv, where an
  // escaping exception would terminate the process. Node-API calls fail only while the
  // environment is being torn down (a worker thread terminated mid-job); then there is nobody
  // left to notify, so the job just stops.
  void OnProgress(const Progress* data, size_t count) override {
    if (data == nullptr || count == 0 || onProgress_.IsEmpty() || !progressError_.IsEmpty()) {
      return;
    }
    try {
      reportProgress(data[count - 1]);
    } catch (...) {
      cancel_->store(true);
    }
  }

  void OnOK() override {
    try {
      settle();
    } catch (...) {  // environment shutting down
    }
  }

  void OnError(const Napi::Error& error) override {
    try {
      deferred_.Reject(error.Value());
    } catch (...) {  // environment shutting down
    }
  }

 private:
  void reportProgress(const Progress& p) {
    const Napi::Env env = Env();
    try {
      onProgress_.Call({Napi::Number::New(env, static_cast<double>(p.done)),
                        Napi::Number::New(env, static_cast<double>(p.total))});
    } catch (const Napi::Error& e) {
      // A throwing progress callback ends the job; the promise rejects with what it threw. The
      // thrown value may be a primitive, which Node-API 8 cannot reference directly: box it.
      cancel_->store(true);
      Napi::Object box = Napi::Object::New(env);
      box.Set("thrown", e.Value());
      progressError_ = Napi::Persistent(box);
    }
  }

  void settle() {
    const Napi::Env env = Env();
    if (!progressError_.IsEmpty()) {
      deferred_.Reject(progressError_.Value().Get("thrown"));
    } else if (completed_) {
      deferred_.Resolve(env.Undefined());
    } else {
      deferred_.Reject(cancelledError(env).Value());
    }
  }

  int64_t chunkRows() const {
    const int64_t byValues = std::max<int64_t>(1, kValuesPerChunk / call_.params.d);
    const int64_t byProgress =
        std::max<int64_t>(1, (call_.n + kProgressSteps - 1) / kProgressSteps);
    return std::min(byValues, byProgress);
  }

  TaskCall call_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::ObjectReference xRef_;
  Napi::ObjectReference yRef_;
  Napi::FunctionReference onProgress_;
  Napi::ObjectReference progressError_;
  bool completed_ = false;  // written by Execute, read by OnOK after the thread joined
};

}  // namespace

Napi::Value GenerateTaskRows(const Napi::CallbackInfo& info) {
  const TaskCall call = readTaskCall(info);
  runRows(call, 0, call.n);
  return info.Env().Undefined();
}

Napi::Value GenerateTaskRowsAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  TaskCall call = readTaskCall(info);
  requireFixedLength(info[1], "X");
  requireFixedLength(info[2], "y");
  if (!info[3].IsFunction() && !info[3].IsNull()) {
    throw typeError(env, "onProgress", "a function or null", describe(info[3]));
  }
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* worker = new TaskRowsWorker(env, std::move(call), info, cancel);
  const Napi::Promise promise = worker->promise();
  worker->Queue();

  Napi::Object job = Napi::Object::New(env);
  job.Set("promise", promise);
  // Setting the flag after the job finished changes nothing, so cancel() is then a no-op.
  job.Set("cancel", Napi::Function::New(
                        env,
                        [cancel](const Napi::CallbackInfo& cbInfo) {
                          cancel->store(true);
                          return cbInfo.Env().Undefined();
                        },
                        "cancel"));
  return job;
}

}  // namespace mfl::napi
