#pragma once

// A clock that moves only when a test says so, running the timers that fall due.

#include <map>
#include <utility>

#include "net/scheduler.hpp"

namespace pusher::test {

class ManualScheduler final : public detail::net::Scheduler {
 public:
  TimerId add_timer(Clock::duration delay, Task task) override {
    TimerId id = next_id_++;
    timers_.emplace(std::make_pair(now_ + delay, id), std::move(task));
    return id;
  }
  void cancel_timer(TimerId id) noexcept override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }
  Clock::time_point now() const noexcept override { return now_; }

  /// Moves the clock forward by `step`, running every timer due on the way, in order.
  void advance(Clock::duration step) {
    const Clock::time_point end = now_ + step;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = std::max(now_, it->first.first);
      Task task = std::move(it->second);
      timers_.erase(it);
      task();
    }
    now_ = end;
  }
  /// Runs timers due now (zero-delay ones).
  void run_due() { advance(Clock::duration::zero()); }
  std::size_t pending() const { return timers_.size(); }
  /// Time until the next timer, or -1 ms when none.
  Clock::duration next_in() const {
    return timers_.empty() ? Clock::duration(-std::chrono::milliseconds(1))
                           : timers_.begin()->first.first - now_;
  }

 private:
  Clock::time_point now_{std::chrono::hours(1000)};
  TimerId next_id_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, Task> timers_;
};

}  // namespace pusher::test
