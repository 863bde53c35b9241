#include "scratch.hpp"

#include <cstdio>
#include <new>

#include "args.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace mfl::napi {
namespace {

uint64_t physicalMemoryBytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long pageSize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && pageSize > 0) {
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
  }
#endif
  return uint64_t{1} << 40;
}

std::string gib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / 1073741824.0);
  return text;
}

}  // namespace

ScratchPool::ScratchPool() : physicalBytes_(physicalMemoryBytes()) {}

double* ScratchPool::acquire(Napi::Env env, uint64_t count, const std::string& field) {
  if (count <= capacity_) return block_.get();
  if (count > physicalBytes_ / sizeof(double)) {
    throw rangeError(
        env, field,
        "small enough for the workspace to fit in physical memory (" + gib(physicalBytes_) + ")",
        gib(count * sizeof(double)) + " of workspace");
  }
  block_.reset();  // release the old buffer first: the peak is the new size, not the sum
  capacity_ = 0;
  block_.reset(new (std::nothrow) double[count]);
  if (!block_) {
    throw rangeError(env, field, "small enough for the workspace to be allocated",
                     gib(count * sizeof(double)) + " of workspace");
  }
  capacity_ = count;
  return block_.get();
}

void ScratchPool::trim() {
  if (capacity_ * sizeof(double) > kRetainBytes) {
    block_.reset();
    capacity_ = 0;
  }
}

void initAddonData(Napi::Env env) { env.SetInstanceData(new AddonData()); }

AddonData& addonData(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) throw std::logic_error("mfl: addon data missing (module not initialised)");
  return *data;
}

}  // namespace mfl::napi
