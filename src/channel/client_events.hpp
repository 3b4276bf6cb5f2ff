#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "net/scheduler.hpp"

namespace pusher::detail {

/// The connection's rate of client events: at most `per_second` in any one-second window
/// (Pusher's limit is 10 a second per connection; pusher-js leaves it to the app). The send
/// times are a ring, allocated at the first send.
class ClientEventLimiter {
 public:
  using TimePoint = net::Scheduler::Clock::time_point;
  static constexpr auto kWindow = std::chrono::seconds(1);

  explicit ClientEventLimiter(unsigned per_second) : limit_(std::max(1u, per_second)) {}

  /// True, and counts a send at `now`, when one more may go now.
  bool admit(TimePoint now) {
    while (count_ > 0 && now - sends_[head_] >= kWindow) {
      head_ = (head_ + 1) % limit_;
      --count_;
    }
    if (count_ >= limit_) return false;
    if (sends_.empty()) sends_.resize(limit_);
    sends_[(head_ + count_) % limit_] = now;
    ++count_;
    return true;
  }
  /// When the oldest send in the window leaves it (meaningful after admit() said no).
  TimePoint next_free() const { return count_ == 0 ? TimePoint{} : sends_[head_] + kWindow; }

 private:
  std::size_t limit_;
  std::vector<TimePoint> sends_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace pusher::detail
