#pragma once

#include <pusher/event.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace pusher::detail {

/// The last N events, oldest first, within a byte budget. Written on the loop thread, read
/// from any thread as a snapshot copy. Each entry is one heap block holding its four strings
/// back to back; pusher::Event values are made only by snapshot().
class EventHistory {
 public:
  // Nothing up front: an idle connection should not pay for a full history.
  EventHistory(std::size_t capacity, std::size_t max_bytes);
  ~EventHistory();
  EventHistory(const EventHistory&) = delete;
  EventHistory& operator=(const EventHistory&) = delete;

  /// What one event costs against the budget: its strings.
  static std::size_t cost(const Event& event) noexcept {
    return event.channel.size() + event.name.size() + event.data.size() + event.user_id.size();
  }

  /// Keeps a copy of `event`, dropping the oldest entries to make room.
  void push(const Event& event);

  std::vector<Event> snapshot() const;

  /// The bytes held now (the simulator checks it against the budget).
  std::size_t bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
  }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct Block;
  struct FreeBlock {
    void operator()(Block* block) const noexcept;
  };
  using BlockPtr = std::unique_ptr<Block, FreeBlock>;

  static BlockPtr allocate(std::size_t size);
  void grow();

  const std::size_t capacity_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::vector<BlockPtr> ring_;  // grows to capacity_; entries [head_, head_ + count_) wrap
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace pusher::detail
