#pragma once

/// @file
/// Everything a Manager can be configured with. Plain values: copy them freely.

#include <pusher/app_events.hpp>
#include <pusher/auth.hpp>
#include <pusher/error.hpp>
#include <pusher/export.hpp>
#include <pusher/loop.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pusher {

/// How loud the logger callback is. Off by default.
///
/// Thread safety: a plain value.
enum class LogLevel { trace, debug, info, warn, error, off };

/// "trace", "debug", ... (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* to_string(LogLevel level) noexcept;

/// Receives log lines at or above Options::log_level. Lines never contain auth signatures,
/// bearer tokens or app secrets. One that throws is ignored.
/// Thread safety: called on the Manager's loop thread.
using Logger = std::function<void(LogLevel level, const std::string& message)>;

/// One server address. Reverb and soketi listen on `/app/<key>` under an optional path.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
/// parse() is a pure function, safe from any thread.
struct Endpoint {
  std::string host;  ///< name or address
  int port = 0;      ///< 0: 443 with TLS, 80 without
  bool tls = true;   ///< wss:// rather than ws://
  std::string path;  ///< prefix before `/app/<key>`, e.g. "/reverb"; empty for none

  /// The endpoint a `ws://host[:port][/path]` or `wss://...` URL names, e.g.
  /// `ws://127.0.0.1:8080`, `wss://example.com/reverb`, `ws://[::1]:6001`. The scheme sets
  /// `tls`; `host` is an IPv6 address without its brackets; `port` is 0 when the URL has
  /// none; `path` is the rest, kept as written, without trailing `/`. The URL names the
  /// server, not the app: the library adds `/app/<key>` and the query itself.
  ///
  /// Returns nullopt for anything else, and then sets `*error` (when not null) to why: another
  /// scheme, no host, a port outside 1-65535, user info, a query (use Options::query) or a
  /// fragment, control characters or spaces.
  PUSHER_API static std::optional<Endpoint> parse(std::string_view url,
                                                  std::string* error = nullptr);
};

/// When and how fast to reconnect after a drop.
///
/// How an attempt ended decides the wait before the next one:
/// - the server could not be reached (TCP connect refused or reset, or the socket closed before
///   the WebSocket upgrade was answered; a restart looks like this): a random wait in
///   [retry_interval / 2, 3 * retry_interval / 2), however long the server stays away;
/// - a connection that stayed up for an activity timeout dropped: the same short wait, or none
///   for 4200-4299 and 4000;
/// - a server answered and failed (upgrade refused, `pusher:error` before the handshake, a
///   close soon after `pusher:connection_established`, 4100-4199) or the attempt timed out:
///   exponential back-off with full jitter, a random wait in [0, min(max_delay,
///   initial_delay * 2^k)] for the k-th such failure since the last connection that stayed up
///   (k from 0). 4100-4199 wait at least initial_delay; 4200-4299 and 4000 retry at once when
///   k is 0.
///
/// Thread safety: a plain value.
struct ReconnectPolicy {
  std::chrono::milliseconds initial_delay{1000};  ///< the first back-off ceiling (> 0)
  std::chrono::milliseconds max_delay{30000};     ///< the largest delay between attempts
  /// The mean wait between attempts while the server cannot be reached (at least 10 ms).
  std::chrono::milliseconds retry_interval{300};
  /// 0: never give up. Otherwise the state becomes `failed` after this many failed attempts
  /// (a connection that drops before it stayed up for an activity timeout counts as failed).
  /// Unreachable attempts count too, and come every retry_interval or so.
  unsigned max_attempts = 0;
  /// false: no automatic reconnects; after a drop the state becomes `disconnected` and the
  /// program calls Manager::connect() when it wants.
  bool enabled = true;
};

/// Configuration of a Manager. Only `key` and one way to reach the server are required:
/// `cluster` for Pusher, or `host` (and usually `port`, `tls`) for Reverb and soketi.
///
/// The Manager constructor checks every field and throws std::invalid_argument naming the
/// first bad one: control characters or spaces in a host, key, path, origin or header (a
/// trailing newline read from a config file included), a key outside letters, digits and
/// `-_.:`, a port outside 0-65535, zero timeouts, limits of zero.
///
/// Thread safety: a plain value; the Manager takes a copy. Callbacks in it (logger, auth
/// providers) run on the Manager's loop thread.
struct Options {
  /// The app key (public, part of the URL).
  std::string key;
  /// Pusher cluster, e.g. "eu" -> wss://ws-eu.pusher.com. Ignored when `host` is set.
  std::string cluster;
  /// Reverb/soketi host; with `port`, `tls` and `path`.
  std::string host;
  int port = 0;       ///< 0: 443 with TLS, 80 without
  bool tls = true;    ///< wss:// rather than ws://
  std::string path;   ///< prefix before `/app/<key>`, e.g. "/reverb"; empty for none
  /// More endpoints, tried in turn after `host` on reconnects (servers scaled out).
  std::vector<Endpoint> fallback_endpoints;

  /// Sets `host`, `port`, `tls` and `path` from `endpoint` (from Endpoint::parse, say).
  void set_endpoint(const Endpoint& endpoint) {
    host = endpoint.host;
    port = endpoint.port;
    tls = endpoint.tls;
    path = endpoint.path;
  }

  /// Sent as the Origin header when set (Reverb's `allowed_origins`).
  std::string origin;
  /// Extra HTTP headers of the WebSocket upgrade request, in order (a gateway or proxy in
  /// front of Reverb that wants a token, say). Not the handshake's own headers (Host,
  /// Upgrade, Connection, Sec-WebSocket-*), and no Origin when `origin` is set.
  Fields headers;
  /// Extra query parameters of the WebSocket URL, appended in order after
  /// `protocol=7&client=cpp&version=..`, names and values percent-encoded (RFC 3986).
  /// The URL is logged at level info: a secret here shows in the log.
  Fields query;

  /// Verify the TLS peer and host name. Turning it off logs a warning on every connect.
  bool verify_peer = true;
  /// PEM file of CA certificates to verify with; empty: the system's store.
  std::string ca_file;
  /// nullopt: libcurl's environment proxies (`https_proxy`...); "": none; else a proxy URL.
  std::optional<std::string> proxy;

  /// TCP + TLS + WebSocket upgrade + `pusher:connection_established` must finish within this.
  std::chrono::milliseconds connect_timeout{10000};
  /// Silence after which a `pusher:ping` is sent; the server's activity_timeout wins if lower.
  std::chrono::milliseconds activity_timeout{120000};
  /// No answer within this after a ping: the connection is dropped and made again.
  std::chrono::milliseconds pong_timeout{30000};
  /// Not connected for this long: the state becomes `unavailable` (tries continue).
  std::chrono::milliseconds unavailable_timeout{10000};
  /// When and how fast to reconnect after a drop.
  ReconnectPolicy reconnect;

  /// Inbound messages larger than this close the connection with 1009.
  std::size_t max_message_size = 1u << 20;
  /// The largest client event frame (envelope included) that trigger() and whisper() accept;
  /// larger ones throw std::invalid_argument. Reverb closes with 1009 past 10,000 bytes,
  /// Pusher refuses past 10 KB, so the default keeps to those.
  std::size_t max_client_event_size = 10000;
  /// Bytes the connection may hold unsent because the server is not reading. Past this the
  /// connection is dropped with io_error (and made again), instead of memory growing without
  /// bound. Answers to a server's pings are skipped past 64 KiB of backlog.
  std::size_t write_buffer_limit = 4u << 20;
  /// Messages sent while not connected wait here; past this many, send reports queue_overflow.
  std::size_t outbound_queue_limit = 100;
  /// How many channel events the history keeps.
  std::size_t history_capacity = 100;
  /// The most bytes (names and data) the history keeps; the oldest events go first, and an
  /// event larger than this on its own is not kept.
  std::size_t history_max_bytes = 1u << 20;
  /// Presence: the most members tracked per channel. Past it, joins are reported as
  /// queue_overflow and the member is not tracked (Pusher's own limit is 100 by default).
  std::size_t max_presence_members = 10000;

  /// Private and presence channels are authorised through this HTTP endpoint (Laravel's
  /// `/broadcasting/auth`) when `auth.endpoint` is set and `authorizer` is not.
  HttpAuthOptions auth;
  /// Any other way to authorise (make_secret_authorizer, or your own); wins over `auth`.
  std::shared_ptr<Authorizer> authorizer;
  /// Client events (`trigger`, `whisper`) allowed per second per connection; the rest wait
  /// their turn (Pusher's limit is 10; servers reject the excess with 4301).
  unsigned client_events_per_second = 10;

  /// Which event names decode to which AppEvent type.
  EventNames event_names;

  /// Run on this shared loop thread instead of a thread of the Manager's own.
  std::shared_ptr<SharedLoop> loop;

  /// Receives the SDK's log lines; empty: no logging.
  Logger logger;
  /// The lowest level passed to `logger`.
  LogLevel log_level = LogLevel::off;
};

}  // namespace pusher
