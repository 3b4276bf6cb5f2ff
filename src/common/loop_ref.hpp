#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "net/event_loop.hpp"

namespace pusher::detail {

/// Where an exception that escaped a loop task or timer goes (the Manager's on_error).
using FaultSink = std::function<void(const std::string& what)>;

/// Runs `task`, turning an exception into a call of `sink`: nothing a task throws reaches
/// the loop (and std::terminate).
template <typename Task>
void run_guarded(Task& task, const FaultSink& sink) noexcept {
  try {
    task();
  } catch (const std::exception& e) {
    try {
      if (sink) sink(e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      if (sink) sink("an exception that is not a std::exception");
    } catch (...) {
    }
  }
}

/// A guarded way to reach a Manager's loop from any thread: once the Manager shuts down,
/// posts are refused instead of touching a loop that is gone.
class LoopRef {
 public:
  explicit LoopRef(net::EventLoop& loop) : loop_(&loop) {}

  /// Where exceptions thrown by posted tasks are reported. Set once, before the first post.
  void set_fault_sink(FaultSink sink) { sink_ = std::make_shared<FaultSink>(std::move(sink)); }

  /// Posts `task`; false when the loop is shut down (the task is dropped). An exception the
  /// task throws goes to the fault sink.
  bool post(net::EventLoop::Task task) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (loop_ == nullptr) return false;
    loop_->post([task = std::move(task), sink = sink_]() mutable {
      static const FaultSink kNone;
      run_guarded(task, sink ? *sink : kNone);
    });
    return true;
  }
  /// True when called on the loop thread.
  bool in_loop_thread() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return loop_ != nullptr && loop_->in_loop_thread();
  }
  /// Runs `fn` on the loop and waits for it (without a time limit unless `timeout` is set);
  /// inline on the loop thread. `fn` is copied and must own what it touches. False when the
  /// loop is gone or did not answer in time.
  template <typename Fn>
  bool call(Fn&& fn, std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
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
    if (!timeout) {
      future.wait();
      return true;
    }
    return future.wait_for(*timeout) == std::future_status::ready;
  }
  /// Refuses every later post. Called by the Manager before it stops the loop.
  void shut() {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_ = nullptr;
  }

 private:
  mutable std::mutex mutex_;
  net::EventLoop* loop_;
  std::shared_ptr<FaultSink> sink_;
};

}  // namespace pusher::detail
