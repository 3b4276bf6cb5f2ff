#pragma once

/// @file
/// One subscription.

#include <pusher/app_events.hpp>
#include <pusher/binding.hpp>
#include <pusher/event.hpp>
#include <pusher/export.hpp>

#include <functional>
#include <memory>
#include <string>

namespace pusher {

namespace detail {
class ChannelCore;
}

/// Called with each event a binding matches, on the Manager's loop thread.
using EventHandler = std::function<void(const Event& event)>;
/// Called with each typed application event, and the raw event it came from.
using AppEventHandler = std::function<void(const AppEvent& app_event, const Event& event)>;

/// A handle to one channel subscription, returned by Manager::subscribe. Copies share the
/// same subscription. Besides application events, a channel delivers these names to bind():
/// `pusher:subscription_succeeded`, `pusher:subscription_error` (data: `{"type","error",
/// "status"}`), `pusher:subscription_count` (data: `{"subscription_count":N}`),
/// `pusher:cache_miss`, and `pusher:resubscribed` after a reconnect (data:
/// `{"away_ms":N}`: how long the channel missed events; Pusher replays nothing).
///
/// Thread safety: every member may be called from any thread; callbacks run on the Manager's
/// loop thread. A Channel outliving its Manager is inert.
class PUSHER_API Channel {
 public:
  /// The channel's full name, e.g. `presence-chat.lobby`.
  const std::string& name() const noexcept;
  /// True once the server confirmed the subscription (false again while reconnecting).
  bool subscribed() const noexcept;
  /// The last `subscription_count` the server sent; 0 if none.
  int subscription_count() const noexcept;

  /// Calls `handler` for every event named `event` on this channel.
  Binding bind(const std::string& event, EventHandler handler);
  /// Calls `handler` for every event on this channel, channel notices included.
  Binding bind_global(EventHandler handler);
  /// Calls `handler` with every application event on this channel, decoded to an AppEvent
  /// (`pusher:` notices are skipped).
  Binding bind_app_events(AppEventHandler handler);

  /// For the SDK's implementation only.
  explicit Channel(std::shared_ptr<detail::ChannelCore> core) noexcept;

 private:
  std::shared_ptr<detail::ChannelCore> core_;
};

}  // namespace pusher
