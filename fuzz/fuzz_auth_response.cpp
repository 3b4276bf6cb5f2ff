// libFuzzer target: the auth endpoint response parser (auth::parse_auth_response,
// src/auth/auth_response.cpp). Byte 0 picks the HTTP status (low 3 bits) and channel auth or
// user sign-in (bit 3); the rest is the body.
//
// Checked: success only on 200/201 with a non-empty auth; a failure carries auth_failed, the
// status and nothing else; an error message never quotes the body (the canary "sekr1t" in a
// body never shows up in a message).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/auth_response.hpp"
#include "fuzz_check.hpp"

namespace auth = pusher::detail::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  constexpr int kStatuses[8] = {200, 201, 200, 200, 403, 419, 302, 0};
  const int status = kStatuses[data[0] & 0x07];
  const bool user_signin = (data[0] & 0x08) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const pusher::AuthResult r = auth::parse_auth_response(status, body, user_signin);
  if (r.error) {
    FUZZ_CHECK(r.error.code == pusher::ErrorCode::auth_failed);
    FUZZ_CHECK(r.error.server_code == status);
    FUZZ_CHECK(!r.error.message.empty());
    FUZZ_CHECK(r.error.message.find("sekr1t") == std::string_view::npos);
    FUZZ_CHECK(r.auth.empty() && r.channel_data.empty() && r.shared_secret.empty() &&
               r.user_data.empty());
  } else {
    FUZZ_CHECK(status == 200 || status == 201);
    FUZZ_CHECK(!r.auth.empty());
    if (user_signin) FUZZ_CHECK(r.channel_data.empty());
    if (!user_signin) FUZZ_CHECK(r.user_data.empty());
  }
  return 0;
}
