#pragma once

/// @file
/// The client side of the WebSocket opening handshake (RFC 6455 §4.1), as pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pusher::detail::ws {

/// One HTTP header line, name and value without the colon or line ending.
struct Header {
  std::string name;
  std::string value;
};

/// A fresh Sec-WebSocket-Key: base64 of 16 bytes from the OpenSSL CSPRNG.
/// Throws std::runtime_error if the CSPRNG fails.
std::string random_key();

/// The Sec-WebSocket-Accept value a server must return for `key` (RFC 6455 §4.2.2).
std::string accept_key(std::string_view key);

/// The full GET upgrade request, ending with the blank line. Throws std::invalid_argument if
/// any argument or extra header contains CR, LF or NUL (header injection).
std::string build_request(std::string_view host, std::string_view target, std::string_view key,
                          const std::vector<Header>& extra = {});

/// The outcome of looking at the bytes a server has sent so far.
struct HandshakeResponse {
  /// incomplete: wait for more bytes; accepted: frames start at `consumed`; rejected: see error.
  enum class Status { incomplete, accepted, rejected };
  Status status = Status::incomplete;
  /// Length of the header block including the final CRLFCRLF; 0 when rejected before one was
  /// found (garbage or oversize).
  std::size_t consumed = 0;
  /// The status code from the status line, 0 if none could be read.
  int http_status = 0;
  /// Why the response was rejected.
  std::string error;
};

/// Checks the server's answer to build_request(). `bytes` holds everything received so far
/// (the caller accumulates); `key` is the key that was sent. Rejects a header block longer than
/// max_header_bytes, anything but "HTTP/1.1 101", a wrong Upgrade or Connection, a missing or
/// wrong Sec-WebSocket-Accept, and any Sec-WebSocket-Extensions (none are offered).
HandshakeResponse parse_response(std::string_view bytes, std::string_view key,
                                 std::size_t max_header_bytes = 16384);

}  // namespace pusher::detail::ws
