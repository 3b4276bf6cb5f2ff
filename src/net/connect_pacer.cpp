#include "net/connect_pacer.hpp"

#include <utility>

namespace pusher::detail::net {

ConnectPacer::Entry ConnectPacer::enter(std::function<void()> admitted) {
  Ticket ticket = next_++;
  if (waiting_.empty() && (limit_ == 0 || active_.size() < limit_)) {
    active_.insert(ticket);
    return Entry{ticket, true};
  }
  waiting_.emplace(ticket, std::move(admitted));
  return Entry{ticket, false};
}

void ConnectPacer::leave(Ticket ticket) {
  if (ticket == 0) return;
  if (active_.erase(ticket) == 0) {
    waiting_.erase(ticket);
    return;
  }
  while (!waiting_.empty() && (limit_ == 0 || active_.size() < limit_)) {
    auto first = waiting_.begin();
    active_.insert(first->first);
    std::function<void()> admitted = std::move(first->second);
    waiting_.erase(first);
    // Schedules the connect (see enter()); it may leave() other tickets, never this loop's.
    if (admitted) admitted();
  }
}

}  // namespace pusher::detail::net
