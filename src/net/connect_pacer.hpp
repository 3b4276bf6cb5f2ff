#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_set>

namespace pusher::detail::net {

/// Connects in flight per loop unless a SharedLoop asks otherwise (LoopOptions).
inline constexpr unsigned kDefaultMaxConnecting = 32;

/// Lets at most `limit` connects of one loop be in flight at once; the others wait their turn
/// in the order they asked. A burst of thousands of connects (a load tool starting, or every
/// connection of a SharedLoop coming back after an outage) then reaches the server at the pace
/// it accepts them, instead of overflowing its listen queue: a dropped SYN is retried by the
/// kernel only after a second or more.
///
/// Thread safety: loop thread only.
class ConnectPacer {
 public:
  using Ticket = std::uint64_t;
  struct Entry {
    Ticket ticket = 0;
    bool now = false;  ///< a slot was free: the connect may start at once
  };

  /// `limit` 0: no limit.
  explicit ConnectPacer(unsigned limit = 0) : limit_(limit) {}
  ConnectPacer(const ConnectPacer&) = delete;
  ConnectPacer& operator=(const ConnectPacer&) = delete;

  void set_limit(unsigned limit) noexcept { limit_ = limit; }
  unsigned limit() const noexcept { return limit_; }

  /// Asks for a slot. When one is free the entry says `now` and `admitted` is never called;
  /// otherwise `admitted` runs once from a later leave() that frees a slot (so it must not
  /// start the connect inside that call: schedule it).
  Entry enter(std::function<void()> admitted);
  /// The connect of `ticket` is done (up or failed) or no longer wanted, whether it had a slot
  /// or was still waiting. Harmless for a ticket already left, and for ticket 0.
  void leave(Ticket ticket);

  std::size_t in_flight() const noexcept { return active_.size(); }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  unsigned limit_;
  Ticket next_ = 1;
  std::unordered_set<Ticket> active_;
  std::map<Ticket, std::function<void()>> waiting_;  // tickets grow: map order is ask order
};

}  // namespace pusher::detail::net
