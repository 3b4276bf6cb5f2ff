#include "events/history.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace pusher::detail {
namespace {

// Blocks are sized in steps of this, so that one freed by an eviction is likely to take the
// next event (events of one kind are of similar sizes) and the ring needs no new allocation.
constexpr std::size_t kGranule = 16;

}  // namespace

/// One entry: a header, then channel, name, data and user id back to back.
struct EventHistory::Block {
  std::chrono::system_clock::time_point received_at;
  std::uint32_t sizes[4];  // channel, name, data, user_id
  std::uint32_t room;      // bytes after the header

  char* text() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* text() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  std::size_t size() const noexcept {
    return std::size_t{sizes[0]} + sizes[1] + sizes[2] + sizes[3];
  }

  void fill(const Event& event) noexcept {
    received_at = event.received_at;
    char* out = text();
    std::uint32_t* size = sizes;
    for (const std::string* s : {&event.channel, &event.name, &event.data, &event.user_id}) {
      *size++ = static_cast<std::uint32_t>(s->size());
      std::memcpy(out, s->data(), s->size());
      out += s->size();
    }
  }

  Event event() const {
    Event e;
    const char* in = text();
    std::string* fields[] = {&e.channel, &e.name, &e.data, &e.user_id};
    for (int i = 0; i < 4; ++i) {
      fields[i]->assign(in, sizes[i]);
      in += sizes[i];
    }
    e.received_at = received_at;
    return e;
  }
};

void EventHistory::FreeBlock::operator()(Block* block) const noexcept {
  block->~Block();
  ::operator delete(block);
}

EventHistory::EventHistory(std::size_t capacity, std::size_t max_bytes)
    : capacity_(capacity), max_bytes_(max_bytes) {}

EventHistory::~EventHistory() = default;

EventHistory::BlockPtr EventHistory::allocate(std::size_t size) {
  const std::size_t room = (size + kGranule - 1) / kGranule * kGranule;
  void* memory = ::operator new(sizeof(Block) + room);
  Block* block = new (memory) Block{};
  block->room = static_cast<std::uint32_t>(room);
  return BlockPtr(block);
}

void EventHistory::grow() {
  // Full and under capacity: the oldest entry moves to the front, the ring doubles.
  std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_), ring_.end());
  head_ = 0;
  const std::size_t size = std::min(capacity_, std::max<std::size_t>(8, 2 * ring_.size()));
  ring_.reserve(size);
  ring_.resize(size);
}

void EventHistory::push(const Event& event) {
  const std::size_t size = cost(event);
  // Block headers keep sizes in 32 bits; a frame is far smaller (Options::max_message_size).
  constexpr std::size_t kLargest = std::numeric_limits<std::uint32_t>::max() - kGranule;
  if (capacity_ == 0 || size > max_bytes_ || size > kLargest) return;
  std::lock_guard<std::mutex> lock(mutex_);
  BlockPtr block;
  while (count_ > 0 && (count_ >= capacity_ || bytes_ + size > max_bytes_)) {
    BlockPtr oldest = std::move(ring_[head_]);
    if (++head_ == ring_.size()) head_ = 0;
    --count_;
    bytes_ -= oldest->size();
    // Used again when the new event fits and fills at least about half of it.
    if (!block && oldest->room >= size && oldest->room <= 2 * size + kGranule) {
      block = std::move(oldest);
    }
  }
  if (count_ == ring_.size()) grow();
  if (!block) block = allocate(size);
  block->fill(event);
  std::size_t tail = head_ + count_;
  if (tail >= ring_.size()) tail -= ring_.size();
  ring_[tail] = std::move(block);
  ++count_;
  bytes_ += size;
}

std::vector<Event> EventHistory::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Event> out;
  out.reserve(count_);
  std::size_t at = head_;
  for (std::size_t i = 0; i < count_; ++i) {
    out.push_back(ring_[at]->event());
    if (++at == ring_.size()) at = 0;
  }
  return out;
}

}  // namespace pusher::detail
