#pragma once

/// @file
/// The error vocabulary shared by every layer of the SDK.

#include <pusher/export.hpp>

#include <string>

namespace pusher {

/// What went wrong. Append-only: a code is never renumbered or reused.
///
/// Thread safety: a plain value.
enum class ErrorCode : int {
  ok = 0,
  /// DNS, TCP, proxy or TLS failed while connecting (message names the libcurl error;
  /// server_code is 0), or the client gave up after ReconnectPolicy::max_attempts.
  connect_failed = 1,
  /// The server did not answer the WebSocket upgrade correctly (status, headers, accept key).
  handshake_failed = 2,
  /// The server broke RFC 6455 (reserved bits, masked frame, bad opcode, bad close code...).
  protocol_error = 3,
  /// A text message or close reason was not valid UTF-8 (close 1007).
  invalid_utf8 = 4,
  /// A message was larger than the configured maximum (close 1009).
  message_too_large = 5,
  /// The connection closed; server_code holds the close code (1006 when no close frame
  /// arrived).
  connection_closed = 6,
  /// Something did not happen in time (connect, handshake, pong, HTTP request).
  timeout = 7,
  /// Reading from or writing to the socket failed after the connection was up.
  io_error = 8,
  /// The server sent a `pusher:error`; server_code holds its code.
  server_error = 9,
  /// A message was not valid Pusher protocol JSON; it was skipped.
  malformed_message = 10,
  /// A bounded queue or table was full (the outbound queue, queued client events, presence
  /// members); the item named in `message` was not kept.
  queue_overflow = 11,
  /// Channel authorisation failed (HTTP status in server_code).
  auth_failed = 12,
  /// The server refused a subscription (`pusher:subscription_error`, or Reverb's 4009).
  subscription_failed = 13,
  /// The server refused the connection (4001-4099): the client stopped reconnecting.
  connection_refused = 14,
  /// A user callback threw; the message holds what() and other handlers still ran.
  callback_exception = 15,
  /// A client event will never be sent: its channel was unsubscribed (or its subscription
  /// failed) before it went out, or it was triggered on a stale Channel handle. `message`
  /// names the event. (Mistakes seen at the call, such as size or channel kind, throw.)
  client_event_rejected = 16,
  /// A call on a Channel handle whose channel was unsubscribed (bind() and friends): the
  /// handle is stale, call Manager::subscribe() again for a live one. Nothing was bound.
  stale_channel = 17,
  /// An unexpected exception inside the SDK; the operation named in `message` was abandoned
  /// and the client went on.
  internal_error = 18,
};

/// A short stable name for the code, such as "protocol_error" (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* to_string(ErrorCode code) noexcept;

/// What the number in Error::server_code is. Append-only, like ErrorCode.
///
/// Thread safety: a plain value.
enum class CodeKind : int {
  /// No number explains the error; server_code is 0.
  none = 0,
  /// A Pusher error code, 4000-4399 (Pusher's protocol reference, "Error codes"): from a
  /// `pusher:error`, a close frame, or Reverb's channel-less 4009.
  pusher = 1,
  /// A WebSocket close code outside the Pusher range (RFC 6455 §7.4.1), e.g. 1006 when the
  /// connection ended without a close frame, or 1009 for a message too large.
  close = 2,
  /// An HTTP status: of the auth endpoint, of a refused WebSocket upgrade, or the `status` of
  /// a `pusher:subscription_error`.
  http = 3,
  /// A libcurl error code (CURLcode, e.g. 6: the host name did not resolve, 7: the connection
  /// was refused) of a connect or an auth request that failed below HTTP.
  transport = 4,
};

/// A short stable name for the kind, such as "http" (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* to_string(CodeKind kind) noexcept;

/// An asynchronous failure, delivered by value to error callbacks. Never thrown.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Error {
  /// What went wrong; ErrorCode::ok when this holds no error.
  ErrorCode code = ErrorCode::ok;
  /// Human-readable detail; never contains tokens, signatures or secrets.
  std::string message;
  /// The number that explains the error, 0 if none; `code_kind` says which kind it is: a
  /// Pusher error code, a WebSocket close code, an HTTP status or a libcurl error code. (A
  /// close 1009 from the server arrives as message_too_large with server_code 1009.)
  int server_code = 0;
  /// The channel concerned, if any.
  std::string channel;
  /// True when the SDK is already recovering from this by itself (a reconnect or a retry is
  /// scheduled): a program may log it quietly and wait. False when it needs the program or a
  /// person (a refused connection, a final auth failure, a dropped message, a callback that
  /// threw...). One drop of the connection gives one error.
  bool transient = false;
  /// What kind of number server_code is; CodeKind::none when it is 0.
  CodeKind code_kind = CodeKind::none;

  /// True when this holds an error.
  explicit operator bool() const noexcept { return code != ErrorCode::ok; }
};

}  // namespace pusher
