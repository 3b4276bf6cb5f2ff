#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pusher::detail::protocol {

/// One presence member: `id` is the user_id as text (numeric ids become their decimal text),
/// `info` the user_info as compact JSON text, "" when absent or null.
struct Member {
  std::string id;
  std::string info;
};

/// `pusher:connection_established`.
struct ConnectionEstablished {
  std::string socket_id;
  int activity_timeout = 0;  ///< seconds; 0 = absent, the caller decides
};

/// `pusher:ping` from the server: answer with encode_pong().
struct Ping {};

/// `pusher:pong`, the answer to our ping.
struct Pong {};

/// `pusher:error` message (informational after the handshake: Pusher protocol reference,
/// "Error codes").
struct ServerError {
  int code = 0;  ///< 0 = absent
  std::string message;
  std::string channel;  ///< "" for connection-level errors (Reverb's 4009 has none)
};

/// `pusher_internal:subscription_succeeded`; presence channels carry their members.
struct SubscriptionSucceeded {
  std::string channel;
  bool has_presence = false;    ///< data held a `presence` object
  std::vector<Member> members;  ///< in `ids` order, then any other `hash` entries
  int count = 0;                ///< presence.count, else members.size()
};

/// `pusher:subscription_error`, which soketi sends over the wire.
struct SubscriptionError {
  std::string channel;
  std::string type;  ///< e.g. "AuthError", "LimitReached"
  std::string error;
  int status = 0;
};

/// `pusher_internal:subscription_count`.
struct SubscriptionCount {
  std::string channel;
  int count = 0;
};

/// `pusher_internal:member_added`.
struct MemberAdded {
  std::string channel;
  Member member;
};

/// `pusher_internal:member_removed`.
struct MemberRemoved {
  std::string channel;
  std::string user_id;
};

/// `pusher:signin_success`; `user_data` is the JSON text the auth endpoint signed.
struct SigninSuccess {
  std::string user_data;
};

/// `pusher:cache_miss` on a cache channel with nothing cached.
struct CacheMiss {
  std::string channel;
};

/// Any event not named `pusher:*` / `pusher_internal:*`: server, client-* or custom events.
struct ChannelEvent {
  std::string event;
  std::string channel;  ///< "" for channel-less custom server events
  /// The wire `data`: a JSON string gives its unescaped contents (usually JSON text, never
  /// parsed here); any other value gives its compact serialization (numbers byte for byte).
  std::string data;
  bool has_data = false;  ///< false when `data` was absent
  std::string user_id;    ///< sender of a client event on a presence channel, else ""
};

/// An unknown `pusher:*` / `pusher_internal:*` event, which must be ignored (Pusher protocol
/// reference, "Events").
struct Ignored {
  std::string event;
};

/// Every message a server can send.
using Inbound = std::variant<ConnectionEstablished, Ping, Pong, ServerError, SubscriptionSucceeded,
                             SubscriptionError, SubscriptionCount, MemberAdded, MemberRemoved,
                             SigninSuccess, CacheMiss, ChannelEvent, Ignored>;

/// Why a message could not be decoded, as clear text.
struct DecodeFailure {
  std::string message;
};

/// Largest message decode() accepts; the WebSocket layer's own limit is normally far lower.
inline constexpr std::size_t kMaxDecodeBytes = std::size_t{64} << 20;

/// Decodes one text WebSocket message. Bad input is a DecodeFailure, never an exception, and
/// parsing never nests deeper than kMaxJsonDepth. Thread-safe: the scratch is thread_local.
std::variant<Inbound, DecodeFailure> decode(std::string_view text);

/// decode() into `into`, for a caller that decodes message after message: a ChannelEvent that
/// `into` already holds keeps its strings' capacity, so the usual message allocates nothing.
/// Returns false and sets `failure` for bad input (`into` is then unspecified).
bool decode(std::string_view text, Inbound& into, DecodeFailure& failure);

}  // namespace pusher::detail::protocol
