#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <type_traits>

#include "net/event_loop.hpp"

namespace pusher::detail {

/// A guarded way to reach a Manager's loop from any thread: once the Manager shuts down,
/// posts are refused instead of touching a loop that is gone.
class LoopRef {
 public:
  explicit LoopRef(net::EventLoop& loop) : loop_(&loop) {}

  /// Posts `task`; false when the loop is shut down (the task is dropped).
  bool post(net::EventLoop::Task task) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (loop_ == nullptr) return false;
    loop_->post(std::move(task));
    return true;
  }
  /// True when called on the loop thread.
  bool in_loop_thread() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return loop_ != nullptr && loop_->in_loop_thread();
  }
  /// Runs `fn` on the loop and waits for it (bounded); inline on the loop thread. `fn` is
  /// copied and must own what it touches. False when the loop is gone or did not answer.
  template <typename Fn>
  bool call(Fn&& fn, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (in_loop_thread()) {
      fn();
      return true;
    }
    // Everything the task touches is owned by it: after a timeout the caller is gone.
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    if (!post([done, task = std::decay_t<Fn>(std::forward<Fn>(fn))]() mutable {
          task();
          done->set_value();
        })) {
      return false;
    }
    return future.wait_for(timeout) == std::future_status::ready;
  }
  /// Refuses every later post. Called by the Manager before it stops the loop.
  void shut() {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_ = nullptr;
  }

 private:
  mutable std::mutex mutex_;
  net::EventLoop* loop_;
};

}  // namespace pusher::detail
