// A small pool of threads kept for the length of one kernel call: the calling thread and
// size() - 1 workers share the items of each forEach, so a step's phases (several per step, each a
// few milliseconds) do not pay for starting threads. Which thread runs an item is not fixed; a
// kernel that wants numbers independent of the thread count makes every item's arithmetic its own
// (docs/mf.md, "Threads").
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mfl {

class WorkerPool {
 public:
  // `threads` >= 1 in all, the calling thread included. A thread that cannot be started throws
  // (std::system_error) after the ones already started are joined: a joinable std::thread left
  // to the vector's destructor would call std::terminate.
  explicit WorkerPool(int64_t threads) {
    try {
      for (int64_t k = 1; k < threads; ++k) workers_.emplace_back([this, k] { serve(k); });
    } catch (...) {
      stop();
      throw;
    }
  }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  ~WorkerPool() { stop(); }

  int64_t size() const { return static_cast<int64_t>(workers_.size()) + 1; }

  // Runs work(item, thread) for every item in [0, count), items taken in increasing order by
  // whichever thread is free; `thread` in [0, size()) names the thread (0: the caller), for
  // per-thread scratch. Returns when every item is done; rethrows the first exception thrown.
  void forEach(int64_t count, const std::function<void(int64_t, int64_t)>& work) {
    if (workers_.empty() || count <= 1) {
      for (int64_t item = 0; item < count; ++item) work(item, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      work_ = &work;
      count_ = count;
      next_.store(0, std::memory_order_relaxed);
      busy_ = static_cast<int64_t>(workers_.size());
      error_ = nullptr;
      ++generation_;
    }
    start_.notify_all();
    take(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    work_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  void take(int64_t thread) {
    try {
      for (int64_t item = next_.fetch_add(1); item < count_; item = next_.fetch_add(1)) {
        (*work_)(item, thread);
      }
    } catch (...) {
      next_.store(count_);  // the others stop at their next item
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }

  void serve(int64_t thread) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      take(thread);
      bool last = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        last = --busy_ == 0;
      }
      if (last) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* work_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  int64_t busy_ = 0;  // workers still in the current forEach
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace mfl
