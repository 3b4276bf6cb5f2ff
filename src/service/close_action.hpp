#pragma once

#include <chrono>
#include <cstdint>

namespace pusher::detail::service {

/// What to do after a connection ends, from its (effective) close code. protocol.md §1.4.
enum class CloseAction {
  tls_only,        ///< 4000: reconnect at once over TLS
  refused,         ///< 4001-4099: do not reconnect
  server_backoff,  ///< 4100-4199: back off, at least the initial delay
  immediate,       ///< 4200-4299: reconnect at once (backs off if it keeps happening)
  backoff,         ///< anything else: back off with jitter
};

/// The action for a close code (WebSocket or Pusher). Pure; table-tested.
CloseAction classify_close(int code) noexcept;

/// A Pusher error code seen in a `pusher:error` shortly before a code-less close (1005/1006)
/// stands for that close: Reverb sends 4001/4201 and then drops TCP (protocol.md §1.4).
int effective_close_code(int close_code, int recent_error_code) noexcept;

/// The delay before reconnect attempt `attempt` (0-based since the last success), given a
/// uniform random `unit` in [0, 1). Full jitter below a ceiling of `initial` for the first six
/// attempts, then min(max, initial * 2^(attempt - 5)).
std::chrono::milliseconds backoff_delay(CloseAction action, unsigned attempt,
                                        std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double unit) noexcept;

}  // namespace pusher::detail::service
