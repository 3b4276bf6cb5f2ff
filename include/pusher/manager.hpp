#pragma once

/// @file
/// The application's entry point: one connection and its channels.

#include <pusher/app_events.hpp>
#include <pusher/binding.hpp>
#include <pusher/channel.hpp>
#include <pusher/error.hpp>
#include <pusher/event.hpp>
#include <pusher/export.hpp>
#include <pusher/options.hpp>
#include <pusher/state.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pusher {

namespace detail {
class ManagerCore;
}

/// Counters since the Manager was created, over all its connections.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Stats {
  std::uint64_t messages_in = 0;   ///< WebSocket text messages received
  std::uint64_t messages_out = 0;  ///< WebSocket text messages sent
  std::uint64_t bytes_in = 0;      ///< payload bytes of text messages received
  std::uint64_t bytes_out = 0;     ///< payload bytes of text messages sent
  std::uint64_t reconnects = 0;    ///< successful connections after the first
  /// Time spent connected (handshake done), the current connection included.
  std::chrono::milliseconds time_connected{0};
  /// Round trip of the last `pusher:ping` answered; empty before the first.
  std::optional<std::chrono::microseconds> last_ping_rtt;
};

/// Owns one connection to a Pusher-protocol server (Pusher, Reverb, soketi) and its channels.
///
/// ```
/// pusher::Options options;
/// options.key = "app-key";
/// options.host = "127.0.0.1"; options.port = 6001; options.tls = false;
/// pusher::Manager manager(options);
/// auto channel = manager.subscribe("chat");
/// auto binding = channel.bind("App\\Events\\MessageSent", [](const pusher::Event& e) { /* e.data */ });
/// manager.connect();
/// ```
///
/// Thread safety: every member may be called from any thread. The Manager runs its own loop
/// thread; every callback runs there, one at a time, never under an internal lock. A callback
/// that throws is reported through on_error and the other callbacks still run. The destructor
/// closes with 1000, waits a bounded time (about a second) for the server, and joins the loop;
/// no callback runs after it returns. Do not destroy a Manager from inside its own callback.
class PUSHER_API Manager {
 public:
  /// Throws std::invalid_argument when `options` has no key or no server to connect to.
  explicit Manager(Options options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  /// Starts connecting; reconnects by itself until disconnect().
  void connect();
  /// Closes the connection and stops reconnecting; channels stay registered for connect().
  void disconnect();

  /// Signs this connection in as a user (`pusher:signin`; Pusher docs, "User authentication"),
  /// authorised by the authorizer's user sign-in (HttpAuthOptions::user_endpoint, or
  /// make_secret_authorizer's user_data), now if connected and again after every reconnect.
  /// Success emits
  /// `pusher:signin_success` (data: the signed user_data) to Manager bindings and subscribes
  /// the user's own channel `#server-to-user-<id>`, whose events (a server's sendToUser) reach
  /// Manager bindings; failure is an auth_failed error. Reverb does not support sign-in.
  void signin();

  /// Subscribes (or returns the existing subscription: same name, same Channel). Safe before
  /// connect(). Throws std::invalid_argument for an invalid channel name. Private and presence
  /// channels are authorised on every (re)connect; an authorisation that fails in a way that
  /// may pass (no answer, a timeout, 5xx, 429) is retried by itself with the reconnect back-off
  /// (transient errors), while 401, 403, 419 and other answers are final until the next
  /// reconnect or a new subscribe() of the name.
  Channel subscribe(const std::string& channel_name);
  /// Unsubscribes and forgets the channel; its bindings stop and the Channel handles of it
  /// become stale (a later subscribe() of the name gives a new one). Harmless for an unknown
  /// name.
  void unsubscribe(const std::string& channel_name);
  /// The subscription for a name, if subscribed.
  std::optional<Channel> channel(const std::string& channel_name) const;
  /// Every subscription now (a copy), in name order.
  std::vector<Channel> channels() const;

  /// Echo's private(name): subscribe("private-" + name).
  Channel private_channel(const std::string& name);
  /// Echo's encryptedPrivate(name): subscribe("private-encrypted-" + name).
  Channel encrypted_private_channel(const std::string& name);
  /// Echo's join(name): subscribe("presence-" + name).
  Channel join(const std::string& name);
  /// Echo's leave(name): unsubscribes `name`, `private-name`, `private-encrypted-name` and
  /// `presence-name`, whichever are subscribed. Throws std::invalid_argument for an invalid
  /// name.
  void leave(const std::string& name);

  /// Calls `handler` for every event named `event`, on any channel.
  Binding bind(const std::string& event, EventHandler handler);
  /// Calls `handler` for every channel event (and channel notices) on any channel.
  Binding bind_global(EventHandler handler);
  /// Calls `handler` with every application event on any channel, decoded.
  Binding bind_app_events(AppEventHandler handler);
  /// Calls `handler` on every connection state change.
  Binding on_state_change(std::function<void(const StateChange& change)> handler);
  /// Calls `handler` with every asynchronous error.
  Binding on_error(std::function<void(const Error& error)> handler);
  /// Calls `handler` when a reconnect is scheduled, with the delay before it.
  Binding on_connecting_in(std::function<void(std::chrono::milliseconds delay)> handler);
  /// The same, with the attempt number too: 1 for the first reconnect after a drop; it counts
  /// up while attempts fail and starts again once a connection stayed up for an activity
  /// timeout.
  Binding on_connecting_in(
      std::function<void(std::chrono::milliseconds delay, unsigned attempt)> handler);
  /// pusher-js's connection.bind('message'): every inbound text frame, raw, before it is
  /// decoded (for debugging and protocol extensions).
  Binding bind_message(std::function<void(const std::string& frame)> handler);

  /// The connection state now (the last one reported to on_state_change).
  ConnectionState state() const;
  /// The socket id while connected (send it as `X-Socket-ID` for Laravel's toOthers()); "" otherwise.
  std::string socket_id() const;
  /// The last `Options::history_capacity` channel events, oldest first (a copy).
  std::vector<Event> history() const;
  /// The same events decoded as bind_app_events() decodes them.
  std::vector<AppEvent> app_history() const;
  /// The last error reported through on_error, if any (a copy).
  std::optional<Error> last_error() const;
  /// The counters now (a copy).
  Stats stats() const;

 private:
  std::shared_ptr<detail::ManagerCore> core_;
};

}  // namespace pusher
