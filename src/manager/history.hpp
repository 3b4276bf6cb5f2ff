#pragma once

#include <pusher/event.hpp>

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace pusher::detail {

/// The last N events, oldest first, within a byte budget. Written on the loop thread, read
/// from any thread as a snapshot copy.
class EventHistory {
 public:
  // Nothing up front: an idle connection should not pay for a full history.
  EventHistory(std::size_t capacity, std::size_t max_bytes)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  /// What one event costs against the budget: its strings.
  static std::size_t cost(const Event& event) noexcept {
    return event.channel.size() + event.name.size() + event.data.size() + event.user_id.size();
  }

  void push(Event event) {
    const std::size_t size = cost(event);
    if (capacity_ == 0 || size > max_bytes_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    while (!ring_.empty() && (ring_.size() >= capacity_ || bytes_ + size > max_bytes_)) {
      bytes_ -= cost(ring_.front());
      ring_.pop_front();
    }
    bytes_ += size;
    ring_.push_back(std::move(event));
  }

  std::vector<Event> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {ring_.begin(), ring_.end()};
  }

  /// The bytes held now (the simulator checks it against the budget).
  std::size_t bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
  }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  const std::size_t capacity_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::deque<Event> ring_;
  std::size_t bytes_ = 0;
};

}  // namespace pusher::detail
