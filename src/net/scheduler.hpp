#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace pusher::detail::net {

/// Timers and the clock, as the protocol layers see them. The EventLoop is the real one;
/// tests use a manual clock that runs timers only when told to advance.
class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = std::uint64_t;
  using Task = std::function<void()>;

  virtual ~Scheduler() = default;
  /// Calls `task` once after `delay`, on the scheduler's thread.
  virtual TimerId add_timer(Clock::duration delay, Task task) = 0;
  /// Forgets a timer; harmless if it already ran or was cancelled.
  virtual void cancel_timer(TimerId id) noexcept = 0;
  virtual Clock::time_point now() const noexcept = 0;
};

}  // namespace pusher::detail::net
