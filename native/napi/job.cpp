#include "job.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "args.hpp"

namespace mfl::napi {

double* JobArrays::add(const Napi::Value& value, const Float64View& view, Use use) {
  Entry entry;
  entry.value = value;
  entry.field = view.field;
  entry.length = view.length;
  if (view.length > 0) entry.copy.reset(new double[view.length]);  // filled by copyIn()
  entry.use = use;
  entries_.push_back(std::move(entry));
  return entries_.back().copy.get();
}

void JobArrays::requireFixedLength() const {
  for (const Entry& e : entries_) mfl::napi::requireFixedLength(e.value, e.field);
}

void JobArrays::copyIn() {
  for (Entry& e : entries_) {
    double* data = nullptr;
    if (!float64ArrayStill(e.value, e.length, &data)) {
      throw typeError(e.value.Env(), e.field, "the Float64Array checked a moment earlier",
                      describe(e.value));
    }
    if (e.length > 0) std::copy(data, data + e.length, e.copy.get());
    if (e.use == Use::kInOut) e.ref = Napi::Persistent(e.value.As<Napi::Object>());
    e.value = Napi::Value();
  }
}

Napi::Value JobArrays::writeBack(Napi::Env env) {
  std::vector<double*> targets;
  for (const Entry& e : entries_) {
    if (e.use != Use::kInOut) continue;
    double* data = nullptr;
    if (!float64ArrayStill(e.ref.Value(), e.length, &data)) {
      Napi::Error error = Napi::TypeError::New(
          env,
          std::string(e.field) + ": the ArrayBuffer was detached or resized while the job ran");
      error.Set("code", Napi::String::New(env, "ERR_MFL_INVALID_TYPE"));
      return error.Value();
    }
    targets.push_back(data);
  }
  size_t next = 0;
  for (const Entry& e : entries_) {
    if (e.use != Use::kInOut) continue;
    if (e.length > 0) std::copy(e.copy.get(), e.copy.get() + e.length, targets[next]);
    ++next;
  }
  return Napi::Value();
}

ProgressJob::ProgressJob(Napi::Env env, const char* resourceName, const Napi::Value& onProgress,
                         JobArrays arrays)
    : Napi::AsyncProgressWorker<JobProgress>(env, resourceName),
      deferred_(Napi::Promise::Deferred::New(env)),
      cancel_(std::make_shared<std::atomic<bool>>(false)),
      heartbeat_(Napi::Persistent(Napi::Function::New(
          env, [](const Napi::CallbackInfo& info) { return info.Env().Undefined(); },
          "heartbeat"))),
      arrays_(std::move(arrays)) {
  if (onProgress.IsFunction()) onProgress_ = Napi::Persistent(onProgress.As<Napi::Function>());
}

Napi::Object ProgressJob::start(Napi::Env env, ProgressJob* job) {
  const std::shared_ptr<std::atomic<bool>> cancel = job->cancel_;
  const Napi::Promise promise = job->deferred_.Promise();
  job->Queue();
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(
                           env,
                           [cancel](const Napi::CallbackInfo& info) {
                             cancel->store(true);
                             return info.Env().Undefined();
                           },
                           "cancel"));
  return handle;
}

// The main-thread callbacks below must not throw: they are entered from libuv, where an escaping
// exception would terminate the process. Node-API calls fail only while the environment is being
// torn down (a worker thread terminated mid-job); then there is nobody left to notify.
void ProgressJob::OnProgress(const JobProgress* data, size_t count) {
  // A terminated worker thread's environment waits for its running jobs before it goes: stop at
  // the next step instead of running to the last one for nobody.
  if (!canRunJavaScript()) {
    cancel_->store(true);
    return;
  }
  if (data == nullptr || count == 0 || onProgress_.IsEmpty() || !progressError_.IsEmpty()) return;
  try {
    reportProgress(data[count - 1]);
  } catch (...) {
    cancel_->store(true);
  }
}

// The job's copies go back first: if an in-out array went away, that is what the caller must
// hear, whatever else happened (its other arrays are then left as they were at the call). An
// environment being torn down gets nothing written back: nobody is left to read it.
Napi::Value ProgressJob::writeBack() {
  return canRunJavaScript() ? arrays_.writeBack(Env()) : Napi::Value();
}

void ProgressJob::OnOK() {
  try {
    const Napi::Value lost = writeBack();
    if (!lost.IsEmpty()) {
      deferred_.Reject(lost);
    } else if (!progressError_.IsEmpty()) {
      deferred_.Reject(progressError_.Value().Get("thrown"));
    } else {
      settle(Env(), deferred_);
    }
  } catch (...) {  // environment shutting down
  }
}

void ProgressJob::OnError(const Napi::Error& error) {
  try {
    const Napi::Value lost = writeBack();
    deferred_.Reject(lost.IsEmpty() ? error.Value() : lost);
  } catch (...) {  // environment shutting down
  }
}

// Calls a no-op function: Node-API refuses once the environment is terminating.
bool ProgressJob::canRunJavaScript() {
  const napi_env env = Env();
  napi_value global = nullptr;
  napi_value result = nullptr;
  if (napi_get_global(env, &global) != napi_ok) return false;
  return napi_call_function(env, global, heartbeat_.Value(), 0, nullptr, &result) == napi_ok;
}

void ProgressJob::reportProgress(const JobProgress& p) {
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

void checkOnProgress(const Napi::Value& value) {
  if (!value.IsFunction() && !value.IsNull()) {
    throw typeError(value.Env(), "onProgress", "a function or null", describe(value));
  }
}

}  // namespace mfl::napi
