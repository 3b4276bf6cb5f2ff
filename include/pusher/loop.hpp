#pragma once

/// @file
/// An event loop thread that many Managers can share.

#include <pusher/export.hpp>

#include <memory>

namespace pusher {

namespace detail {
class SharedLoopImpl;
}

/// How a SharedLoop runs its connections.
///
/// Thread safety: a plain value.
struct LoopOptions {
  /// At most this many connects in flight at once (TCP, TLS, the WebSocket upgrade, up to
  /// `pusher:connection_established`); the others wait their turn in the order they were
  /// started. Reconnects after an outage wait the same way, so thousands of connections coming
  /// back at once do not overflow the server's listen queue. 0: no limit.
  unsigned max_connecting = 32;
};

/// One event loop thread for many Managers (set Options::loop): a single thread then serves
/// thousands of connections. Without it, each Manager runs its own thread. The loop lives as
/// long as any Manager still uses it; callbacks of every Manager on it run on its one thread,
/// so a slow callback delays all of them.
///
/// Thread safety: create and destroy from any thread; not from inside a callback of a
/// Manager that uses it.
class PUSHER_API SharedLoop {
 public:
  SharedLoop();
  explicit SharedLoop(LoopOptions options);
  ~SharedLoop();
  SharedLoop(const SharedLoop&) = delete;
  SharedLoop& operator=(const SharedLoop&) = delete;

  /// For the SDK's implementation only.
  detail::SharedLoopImpl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::SharedLoopImpl> impl_;
};

}  // namespace pusher
