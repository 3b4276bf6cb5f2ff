#pragma once

/// @file
/// A channel event as the application receives it.

#include <chrono>
#include <string>

namespace pusher {

/// One event received on a channel (or a channel-level notice such as
/// `pusher:subscription_succeeded`). Owns its data: keep it as long as you like.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Event {
  /// The channel it came on; "" for channel-less server events.
  std::string channel;
  /// The event name as sent, e.g. `App\Events\MessageSent`, `client-typing`.
  std::string name;
  /// The payload as received: when the wire `data` was a JSON string, its contents (usually
  /// JSON text); otherwise the JSON value's text; "" when absent.
  std::string data;
  /// The sender of a client event on a presence channel; "" otherwise.
  std::string user_id;
  /// When the SDK received it.
  std::chrono::system_clock::time_point received_at{};
};

}  // namespace pusher
