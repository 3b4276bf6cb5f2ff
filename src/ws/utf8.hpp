#pragma once

/// @file
/// Strict UTF-8 validation (RFC 3629) for WebSocket text messages and close reasons.

#include <cstdint>
#include <string_view>

namespace pusher::detail::ws {

/// True when `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF,
/// no truncated sequence at the end.
bool valid_utf8(std::string_view s) noexcept;

/// Validates UTF-8 that arrives in pieces, carrying a partial sequence from one piece to the
/// next, so that a fragmented text message fails at its first bad byte (RFC 6455 §8.1).
///
/// Thread safety: none; one instance per stream.
class Utf8Validator {
 public:
  /// Checks the next piece. Returns false at the first invalid byte and on every later call.
  bool feed(std::string_view piece) noexcept;
  /// True when every byte so far was valid and no multi-byte sequence is left open.
  bool complete() const noexcept { return !failed_ && need_ == 0; }
  /// True once an invalid byte was seen.
  bool failed() const noexcept { return failed_; }
  /// Forgets everything, ready for a new message.
  void reset() noexcept { *this = Utf8Validator(); }

 private:
  std::uint8_t need_ = 0;   // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // allowed range of the next continuation byte
  std::uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

}  // namespace pusher::detail::ws
