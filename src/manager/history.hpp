#pragma once

#include <pusher/event.hpp>

#include <cstddef>
#include <mutex>
#include <vector>

namespace pusher::detail {

/// The last N events, oldest first. Written on the loop thread, read from any thread as a
/// snapshot copy.
class EventHistory {
 public:
  // No reserve up front: an idle connection should not pay for a full history (issue 8).
  explicit EventHistory(std::size_t capacity) : capacity_(capacity) {}

  void push(const Event& event) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (ring_.size() < capacity_) {
      ring_.push_back(event);
    } else {
      ring_[next_] = event;
    }
    next_ = (next_ + 1) % capacity_;
  }

  std::vector<Event> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ring_.size() < capacity_) return ring_;
    std::vector<Event> out;
    out.reserve(ring_.size());
    // Full: the oldest entry is the one to be overwritten next.
    for (std::size_t i = 0; i < ring_.size(); ++i) out.push_back(ring_[(next_ + i) % capacity_]);
    return out;
  }

  std::size_t capacity() const noexcept { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<Event> ring_;
  std::size_t next_ = 0;
};

}  // namespace pusher::detail
