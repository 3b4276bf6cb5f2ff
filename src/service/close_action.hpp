#pragma once

#include <chrono>
#include <cstdint>

namespace pusher::detail::service {

/// What to do after a connection ends, from its (effective) close code (Pusher Channels
/// protocol reference, "Connection closure").
enum class CloseAction {
  tls_only,        ///< 4000: reconnect at once over TLS
  refused,         ///< 4001-4099: do not reconnect
  server_backoff,  ///< 4100-4199: back off, at least the initial delay
  immediate,       ///< 4200-4299: reconnect at once (backs off if it keeps happening)
  backoff,         ///< anything else: back off with jitter
};

/// How an attempt or a connection ended, as the reconnect policy weighs it.
enum class Ending {
  /// Nothing answered: the TCP connect was refused or reset, or the socket closed before the
  /// WebSocket upgrade was answered. Costs a server nothing, so it is retried soon.
  unreachable,
  /// A server answered and failed (upgrade refused, a pusher:error, a close soon after
  /// pusher:connection_established), or the attempt timed out: the server may be struggling.
  answered,
  /// A connection that had stayed up ended (a crash, a restart, a network change).
  dropped,
};

/// The action for a close code (WebSocket or Pusher). Pure; table-tested.
CloseAction classify_close(int code) noexcept;

/// A Pusher error code seen in a `pusher:error` shortly before a code-less close (1005/1006)
/// stands for that close: Reverb sends 4001/4201 and then drops TCP.
int effective_close_code(int close_code, int recent_error_code) noexcept;

/// The wait before retrying an unreachable server: uniform in [interval/2, 3*interval/2) from
/// a uniform `unit` in [0, 1), at most `max`. Flat, so recovery after an outage does not
/// depend on how long it lasted; spread, so clients that lost the server together do not all
/// come back at the same instant.
std::chrono::milliseconds retry_delay(std::chrono::milliseconds interval,
                                      std::chrono::milliseconds max, double unit) noexcept;

/// The wait after the `failures`-th (0-based) answered failure since the last connection that
/// stayed up: full jitter below min(max, initial * 2^failures). 4200-4299 and 4000 retry at
/// once when `failures` is 0; 4100-4199 wait at least `initial`.
std::chrono::milliseconds backoff_delay(CloseAction action, unsigned failures,
                                        std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double unit) noexcept;

}  // namespace pusher::detail::service
