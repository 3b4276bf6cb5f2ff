#pragma once

// What the integration tests' watchers share: record under a lock, then wait on a predicate
// with a deadline (style.md §14: never sleep and hope).

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pusher::test {

class Recorder {
 public:
  /// Runs `f` under the lock (callbacks call this from the SDK's thread), then wakes waiters.
  template <typename F>
  void record(F f) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      f();
    }
    cv.notify_all();
  }
  /// Waits until `pred` (evaluated under the lock) holds; false at the deadline.
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, timeout, pred);
  }

  std::mutex mutex;
  std::condition_variable cv;
};

}  // namespace pusher::test
