#pragma once

/// @file
/// One subscription.

#include <pusher/app_events.hpp>
#include <pusher/binding.hpp>
#include <pusher/event.hpp>
#include <pusher/export.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pusher {

namespace detail {
class Subscription;
}

/// A member of a presence channel.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Member {
  std::string id;    ///< user_id (numbers become their decimal text)
  std::string info;  ///< user_info as JSON text; "" when there is none

  /// A top-level field of `info` as text, without a JSON parser of your own: a string as it
  /// is, a number or true/false as written; "" when `info` is not a JSON object or has no such
  /// field (or it holds an object, an array or null). Echo's `user.name` is
  /// `member.info_string("name")`.
  PUSHER_API std::string info_string(const std::string& field) const;
};

/// Called with each event a binding matches.
/// Thread safety: called on the Manager's loop thread, one callback at a time.
using EventHandler = std::function<void(const Event& event)>;
/// Called with each typed application event, and the raw event it came from.
/// Thread safety: called on the Manager's loop thread, one callback at a time.
using AppEventHandler = std::function<void(const AppEvent& app_event, const Event& event)>;

/// A handle to one channel subscription, returned by Manager::subscribe. Copies share the
/// same subscription. Besides application events, a channel delivers these names to bind():
/// `pusher:subscription_succeeded`, `pusher:subscription_error` (data: `{"type","error",
/// "status"}`), `pusher:subscription_count` (data: `{"subscription_count":N}`),
/// `pusher:cache_miss`, and `pusher:resubscribed` after a reconnect (data:
/// `{"away_ms":N}`: how long the channel missed events; Pusher replays nothing), and on
/// presence channels `pusher:member_added` / `pusher:member_removed` (data: `{"id","info"}`).
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

  /// Sends a client event to the other members. Only on private and presence channels (not
  /// private-encrypted), and the name must start with `client-`: otherwise it throws
  /// std::invalid_argument, as does a message larger than Options::max_message_size.
  /// `data_json` is JSON text (an object is usual). The event waits until the channel is
  /// subscribed and then goes out at most Options::client_events_per_second; overflow of the
  /// outbound queue is reported through Manager::on_error, never dropped silently.
  void trigger(const std::string& event, const std::string& data_json);
  /// Echo's whisper: trigger(`client-` + name, data_json).
  void whisper(const std::string& name, const std::string& data_json);
  /// Echo's listenForWhisper: bind(`client-` + name, handler). On presence channels the
  /// event's user_id names the sender.
  Binding listen_for_whisper(const std::string& name, EventHandler handler);

  /// Echo's listen: bind(format_event_name(name, Options::event_names.event_namespace)), so
  /// `listen("MessageSent", ...)` receives `App\Events\MessageSent` and `listen(".chat.msg")`
  /// receives `chat.msg`.
  Binding listen(const std::string& name, EventHandler handler);
  /// Echo's stopListening: ends every binding of this channel for the event `name` names
  /// (formatted as listen() does), whether made by listen() or bind(). Their Binding handles
  /// become inert. Harmless when there is none.
  void stop_listening(const std::string& name);
  /// Echo's listenToAll: every application event of this channel (not `pusher:` notices), with
  /// the event namespace stripped as Echo does: `App\Events\MessageSent` comes as
  /// `MessageSent`, a name outside the namespace as `.name`.
  Binding listen_to_all(std::function<void(const std::string& event, const Event& e)> handler);
  /// Echo's notification: Laravel's broadcast notifications
  /// (`Illuminate\Notifications\Events\BroadcastNotificationCreated`), usually on the user's
  /// private channel `private-App.Models.User.{id}`.
  Binding notification(EventHandler handler);

  /// Presence: the members now (a copy); empty before subscription and while reconnecting.
  std::vector<Member> members() const;
  /// Presence: this connection's own member, once subscribed.
  std::optional<Member> me() const;
  /// Presence: how many members.
  int count() const;
  /// Presence: called with all members on every (re)subscription (Echo's here).
  Binding here(std::function<void(const std::vector<Member>& members)> handler);
  /// Presence: called when a member joins (Echo's joining).
  Binding joining(std::function<void(const Member& member)> handler);
  /// Presence: called when a member leaves (Echo's leaving).
  Binding leaving(std::function<void(const Member& member)> handler);

  /// For the SDK's implementation only.
  explicit Channel(std::shared_ptr<detail::Subscription> core) noexcept;

 private:
  std::shared_ptr<detail::Subscription> core_;
};

}  // namespace pusher
