// Cancellable async jobs that report progress and settle a Promise: the plumbing shared by every
// *Async export. Subclasses implement Execute() (plain C++ on a libuv worker thread, never touching
// Node-API) and settle() (main thread). JS receives {promise, cancel}.
//
// A job never touches JS-owned memory off the main thread. Node-API cannot pin an ArrayBuffer:
// the caller may transfer one away while the job runs (structuredClone with transfer,
// postMessage) and V8 then frees its memory, reference or not. So a job computes on its own
// copies of the caller's typed arrays (JobArrays), taken when it is called and written back into
// the caller's arrays when it settles.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "args.hpp"

namespace mfl::napi {

// The copies of an async job's Float64Array arguments. While the arguments are read, add()
// returns the memory the job computes on instead of the caller's; once every check has passed,
// copyIn() fills it (the entry point calls it before it constructs the job: a constructor that
// throws would leave the worker's thread-safe function to finalize a deleted job). When the job
// settles, writeBack() returns the in-out arrays to the caller: all of them, or none when one was
// detached or resized meanwhile (state and accumulators only make sense together). The copies
// cost the job as much memory again as its arrays; the sync entry points copy nothing.
class JobArrays {
 public:
  enum class Use {
    kIn,     // read only: copied in
    kInOut,  // state, accumulators, outputs: copied in and written back
  };

  // `view` is the checked Float64Array `value` (an argument of the call being read); returns the
  // job's copy of it (null when empty).
  double* add(const Napi::Value& value, const Float64View& view, Use use);

  // requireFixedLength for every array added.
  void requireFixedLength() const;

  // Main thread, in the call, after add(): copies the caller's arrays and references the in-out
  // ones. A TypeError (ERR_MFL_INVALID_TYPE) if one changed since it was checked.
  void copyIn();

  // Main thread, when the job settles. Every in-out array still attached with its length: copies
  // them all back and returns an empty value. Otherwise writes none and returns the error naming
  // the first that is not (TypeError, ERR_MFL_INVALID_TYPE). Runs no JS.
  Napi::Value writeBack(Napi::Env env);

 private:
  struct Entry {
    Napi::Value value;          // the argument, valid until copyIn() (the call's handle scope)
    Napi::ObjectReference ref;  // in-out arrays, from copyIn() on
    const char* field = "";
    size_t length = 0;
    std::unique_ptr<double[]> copy;  // heap, so its address survives moves of the call
    Use use = Use::kIn;
  };

  std::vector<Entry> entries_;
};

struct JobProgress {
  int64_t done = 0;
  int64_t total = 0;
};

class ProgressJob : public Napi::AsyncProgressWorker<JobProgress> {
 public:
  // `onProgress` must be a function or null (checked by checkOnProgress); `arrays` are the copies
  // the job computes on, filled by copyIn(). The in-out arrays are written back before the job
  // settles; when one was detached or resized meanwhile the promise rejects with that error
  // instead (whether the job completed, was cancelled or failed).
  ProgressJob(Napi::Env env, const char* resourceName, const Napi::Value& onProgress,
              JobArrays arrays);

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
  Napi::Value writeBack();

  bool canRunJavaScript();

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference heartbeat_;
  JobArrays arrays_;
  Napi::FunctionReference onProgress_;
  Napi::ObjectReference progressError_;
};

// A function or null, else a TypeError naming onProgress.
void checkOnProgress(const Napi::Value& value);

}  // namespace mfl::napi
