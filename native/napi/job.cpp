#include "job.hpp"

#include "args.hpp"

namespace mfl::napi {

ProgressJob::ProgressJob(Napi::Env env, const char* resourceName, const Napi::Value& onProgress,
                         const std::vector<Napi::Value>& arrays)
    : Napi::AsyncProgressWorker<JobProgress>(env, resourceName),
      deferred_(Napi::Promise::Deferred::New(env)),
      cancel_(std::make_shared<std::atomic<bool>>(false)),
      heartbeat_(Napi::Persistent(Napi::Function::New(
          env, [](const Napi::CallbackInfo& info) { return info.Env().Undefined(); },
          "heartbeat"))) {
  for (const Napi::Value& array : arrays)
    refs_.push_back(Napi::Persistent(array.As<Napi::Object>()));
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

void ProgressJob::OnOK() {
  try {
    if (!progressError_.IsEmpty()) {
      deferred_.Reject(progressError_.Value().Get("thrown"));
    } else {
      settle(Env(), deferred_);
    }
  } catch (...) {  // environment shutting down
  }
}

void ProgressJob::OnError(const Napi::Error& error) {
  try {
    deferred_.Reject(error.Value());
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
