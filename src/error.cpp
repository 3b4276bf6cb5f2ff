#include <pusher/error.hpp>

namespace pusher {

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::connect_failed: return "connect_failed";
    case ErrorCode::handshake_failed: return "handshake_failed";
    case ErrorCode::protocol_error: return "protocol_error";
    case ErrorCode::invalid_utf8: return "invalid_utf8";
    case ErrorCode::message_too_large: return "message_too_large";
    case ErrorCode::connection_closed: return "connection_closed";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::server_error: return "server_error";
    case ErrorCode::malformed_message: return "malformed_message";
    case ErrorCode::queue_overflow: return "queue_overflow";
    case ErrorCode::auth_failed: return "auth_failed";
    case ErrorCode::subscription_failed: return "subscription_failed";
    case ErrorCode::connection_refused: return "connection_refused";
    case ErrorCode::callback_exception: return "callback_exception";
    case ErrorCode::client_event_rejected: return "client_event_rejected";
    case ErrorCode::stale_channel: return "stale_channel";
    case ErrorCode::internal_error: return "internal_error";
  }
  return "unknown";
}

const char* to_string(CodeKind kind) noexcept {
  switch (kind) {
    case CodeKind::none: return "none";
    case CodeKind::pusher: return "pusher";
    case CodeKind::close: return "close";
    case CodeKind::http: return "http";
    case CodeKind::transport: return "transport";
  }
  return "unknown";
}

}  // namespace pusher
