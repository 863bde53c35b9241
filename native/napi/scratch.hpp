// Per-environment state of the addon (Node-API instance data): every JS environment that loads
// the addon (main thread, each worker thread) gets its own, so nothing is global or shared.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>

namespace mfl::napi {

// Scratch memory for the synchronous calls. They run on their environment's JS thread and never
// call back into JS while computing, so one buffer is never in use twice. Reusing it saves an
// allocation and fresh page faults per call, which dominate small and medium network calls.
class ScratchPool {
 public:
  ScratchPool();

  // At least `count` uninitialised doubles, valid until the next acquire or trim. A RangeError
  // naming `field` when the request exceeds physical memory or cannot be allocated.
  double* acquire(Napi::Env env, uint64_t count, const std::string& field);

  // Frees the buffer if it is larger than kRetainBytes, so one huge call does not pin memory.
  void trim();

 private:
  static constexpr uint64_t kRetainBytes = uint64_t{64} << 20;
  std::unique_ptr<double[]> block_;
  uint64_t capacity_ = 0;
  uint64_t physicalBytes_ = 0;
};

struct AddonData {
  ScratchPool scratch;
  // ArrayBuffer.prototype's `resizable` getter as it was when the addon loaded (args.hpp,
  // requireFixedLength); empty on an engine without resizable buffers.
  Napi::FunctionReference resizableGetter;
};

// Creates the environment's AddonData (module initialisation) / returns it.
void initAddonData(Napi::Env env);
AddonData& addonData(Napi::Env env);

// Holds the pool for one call and trims it afterwards, whatever the call throws.
class ScratchLease {
 public:
  explicit ScratchLease(Napi::Env env) : pool_(addonData(env).scratch) {}
  ~ScratchLease() { pool_.trim(); }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  double* acquire(Napi::Env env, uint64_t count, const std::string& field) {
    return pool_.acquire(env, count, field);
  }

 private:
  ScratchPool& pool_;
};

}  // namespace mfl::napi
