// Cancellable async jobs that report progress and settle a Promise: the plumbing shared by every
// *Async export. Subclasses implement Execute() (plain C++ on a libuv worker thread, never touching
// Node-API) and settle() (main thread). JS receives {promise, cancel}.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace mfl::napi {

struct JobProgress {
  int64_t done = 0;
  int64_t total = 0;
};

class ProgressJob : public Napi::AsyncProgressWorker<JobProgress> {
 public:
  // `onProgress` must be a function or null (checked by checkOnProgress); `arrays` are the typed
  // arrays the job reads or writes, referenced until it is destroyed so their memory outlives it.
  ProgressJob(Napi::Env env, const char* resourceName, const Napi::Value& onProgress,
              const std::vector<Napi::Value>& arrays);

  // Queues `job` (which then owns itself) and returns the JS handle {promise, cancel}. cancel()
  // after the job finished changes nothing.
  static Napi::Object start(Napi::Env env, ProgressJob* job);

 protected:
  bool cancelRequested() const { return cancel_->load(); }
  const std::atomic<bool>* cancelFlag() const { return cancel_.get(); }

  // Main thread, after Execute() returned, unless the progress callback threw (the promise then
  // rejects with what it threw). Must resolve or reject `deferred`.
  virtual void settle(Napi::Env env, const Napi::Promise::Deferred& deferred) = 0;

 private:
  void OnProgress(const JobProgress* data, size_t count) final;
  void OnOK() final;
  void OnError(const Napi::Error& error) final;
  void reportProgress(const JobProgress& p);

  bool canRunJavaScript();

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference heartbeat_;
  std::vector<Napi::ObjectReference> refs_;
  Napi::FunctionReference onProgress_;
  Napi::ObjectReference progressError_;
};

// A function or null, else a TypeError naming onProgress.
void checkOnProgress(const Napi::Value& value);

}  // namespace mfl::napi
