#pragma once

/// @file
/// Connection states, after pusher-js's state machine (pusher-js README, "Connection States").

#include <pusher/export.hpp>

namespace pusher {

/// Where the connection is.
///
/// Thread safety: a plain value.
enum class ConnectionState {
  initialized,   ///< created, connect() not called yet
  connecting,    ///< trying to connect (first time or after a drop)
  connected,     ///< the handshake finished: socket_id() is valid
  unavailable,   ///< could not connect for `unavailable_timeout`; still trying
  disconnected,  ///< closed on purpose by disconnect(), or refused by the server (4001-4099)
  failed,        ///< gave up after `ReconnectPolicy::max_attempts` failed attempts
};

/// "initialized", "connecting", ... (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* to_string(ConnectionState state) noexcept;

/// A transition, delivered to state callbacks.
///
/// Thread safety: a plain value.
struct StateChange {
  ConnectionState previous = ConnectionState::initialized;  ///< the state before
  ConnectionState current = ConnectionState::initialized;   ///< the state now
};

}  // namespace pusher
