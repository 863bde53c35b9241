// Progress of the long-running kernels (SGLD, mean-field particles): a callback with (steps done,
// steps requested), called from the thread running the kernel.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>

namespace mfl {

// Called with (steps done, steps requested) between steps, at most every ~0.1 s and once at the
// end.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

// Throttles a ProgressFn to that contract.
class ProgressReporter {
 public:
  ProgressReporter(const ProgressFn& fn, int64_t total)
      : fn_(fn), total_(total), last_(std::chrono::steady_clock::now()) {}
  void update(int64_t done) {
    if (!fn_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_ < kInterval) return;
    last_ = now;
    fn_(done, total_);
  }

 private:
  static constexpr auto kInterval = std::chrono::milliseconds(100);
  const ProgressFn& fn_;
  int64_t total_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace mfl
