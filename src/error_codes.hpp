#pragma once

#include <pusher/error.hpp>

namespace pusher::detail {

/// The kind of a close code: Pusher's 4000-4399, or a WebSocket close code (RFC 6455 §7.4).
constexpr CodeKind close_code_kind(int code) noexcept {
  if (code == 0) return CodeKind::none;
  return code >= 4000 && code <= 4399 ? CodeKind::pusher : CodeKind::close;
}

/// An Error whose server_code is `number`, of `kind` (none when `number` is 0).
inline Error make_error(ErrorCode code, std::string message, int number = 0,
                        CodeKind kind = CodeKind::none, std::string channel = {}) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.server_code = number;
  e.code_kind = number == 0 ? CodeKind::none : kind;
  e.channel = std::move(channel);
  return e;
}

}  // namespace pusher::detail
