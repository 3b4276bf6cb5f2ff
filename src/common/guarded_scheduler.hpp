#pragma once

#include <utility>

#include "common/loop_ref.hpp"
#include "net/scheduler.hpp"

namespace pusher::detail {

/// A Scheduler whose timers report an exception through a FaultSink instead of letting it
/// reach the loop: every timer of a Manager and its Service goes through one of these.
class GuardedScheduler final : public net::Scheduler {
 public:
  explicit GuardedScheduler(net::Scheduler& inner) : inner_(inner) {}

  void set_fault_sink(FaultSink sink) { sink_ = std::make_shared<FaultSink>(std::move(sink)); }

  TimerId add_timer(Clock::duration delay, Task task) override {
    return inner_.add_timer(delay, [task = std::move(task), sink = sink_]() mutable {
      static const FaultSink kNone;
      run_guarded(task, sink ? *sink : kNone);
    });
  }
  void cancel_timer(TimerId id) noexcept override { inner_.cancel_timer(id); }
  Clock::time_point now() const noexcept override { return inner_.now(); }

 private:
  net::Scheduler& inner_;
  std::shared_ptr<FaultSink> sink_;
};

}  // namespace pusher::detail
