// libFuzzer target: the HTTP upgrade response parser (ws::parse_response in
// src/ws/handshake.cpp) with a fixed Sec-WebSocket-Key. Every "{accept}" in the input is
// replaced by the right Sec-WebSocket-Accept for that key, so the fuzzer reaches the accepted
// path as often as it likes (and still tries wrong values of its own).
//
// Checked: the result is consistent (accepted means 101, a header block ending in CRLFCRLF
// that holds the right accept value); every prefix of an accepted response is incomplete;
// max_header_bytes is honoured exactly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ws/handshake.hpp"

namespace {

namespace ws = pusher::detail::ws;
using Status = ws::HandshakeResponse::Status;

// The sample nonce of RFC 6455 §1.3; its accept value is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kPlaceholder = "{accept}";
constexpr std::size_t kDefaultMax = 16384;

std::string with_accept(std::string_view input, const std::string& accept) {
  std::string out;
  out.reserve(input.size() + 32);
  while (true) {
    const std::size_t at = input.find(kPlaceholder);
    out.append(input.substr(0, at));
    if (at == std::string_view::npos) return out;
    out.append(accept);
    input.remove_prefix(at + kPlaceholder.size());
  }
}

void check_shape(const ws::HandshakeResponse& r, std::string_view bytes, std::size_t max) {
  switch (r.status) {
    case Status::incomplete:
      FUZZ_CHECK(r.consumed == 0);
      FUZZ_CHECK(r.error.empty());
      FUZZ_CHECK(bytes.size() < max);
      break;
    case Status::rejected:
      FUZZ_CHECK(!r.error.empty());
      FUZZ_CHECK(r.consumed <= bytes.size());
      break;
    case Status::accepted:
      FUZZ_CHECK(r.error.empty());
      FUZZ_CHECK(r.http_status == 101);
      FUZZ_CHECK(r.consumed >= 4 && r.consumed <= bytes.size() && r.consumed <= max);
      FUZZ_CHECK(bytes.substr(r.consumed - 4, 4) == "\r\n\r\n");
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string accept = ws::accept_key(kKey);
  const std::string bytes = with_accept({reinterpret_cast<const char*>(data), size}, accept);

  const ws::HandshakeResponse r = ws::parse_response(bytes, kKey);
  check_shape(r, bytes, kDefaultMax);
  if (r.status != Status::accepted) return 0;

  const std::string_view head(bytes.data(), r.consumed);
  FUZZ_CHECK(head.find(accept) != std::string_view::npos);
  // The bytes after the header block (frames) do not change the verdict.
  const ws::HandshakeResponse only_head = ws::parse_response(head, kKey);
  FUZZ_CHECK(only_head.status == Status::accepted && only_head.consumed == r.consumed);
  // Any shorter prefix is still waiting for the end of the headers.
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, r.consumed / 2,
                              r.consumed - 2, r.consumed - 1}) {
    if (n >= r.consumed) continue;
    const ws::HandshakeResponse p = ws::parse_response(head.substr(0, n), kKey);
    check_shape(p, head.substr(0, n), kDefaultMax);
    FUZZ_CHECK(p.status == Status::incomplete);
  }
  // max_header_bytes: exactly the block fits; one byte less is refused.
  const ws::HandshakeResponse fits = ws::parse_response(bytes, kKey, r.consumed);
  check_shape(fits, bytes, r.consumed);
  FUZZ_CHECK(fits.status == Status::accepted && fits.consumed == r.consumed);
  const ws::HandshakeResponse over = ws::parse_response(bytes, kKey, r.consumed - 1);
  check_shape(over, bytes, r.consumed - 1);
  FUZZ_CHECK(over.status == Status::rejected);
  // Another key's accept value never passes.
  FUZZ_CHECK(ws::parse_response(bytes, "x3JJHMbDL1EzLkh9GBhXDw==").status == Status::rejected);
  return 0;
}
