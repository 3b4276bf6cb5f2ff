#pragma once

// Hands work from other threads (the SDK's loop, the HTTP worker) to the UI thread, which
// sleeps in poll(2) on the terminal and on this queue's eventfd.

#include <functional>
#include <mutex>
#include <vector>

namespace chat {

/// Thread safety: post() from any thread; fd() and drain() on the UI thread.
class UiQueue {
 public:
  using Task = std::function<void()>;

  /// Throws std::system_error when no eventfd can be made.
  UiQueue();
  ~UiQueue();
  UiQueue(const UiQueue&) = delete;
  UiQueue& operator=(const UiQueue&) = delete;

  /// Queues `task` and wakes the UI thread.
  void post(Task task);
  /// Wakes the UI thread without a task; async-signal-safe.
  void wake() const noexcept;
  /// Readable while tasks wait.
  int fd() const noexcept { return fd_; }
  /// Takes every waiting task, oldest first, to run outside the lock.
  std::vector<Task> drain();

 private:
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<Task> tasks_;
};

}  // namespace chat
