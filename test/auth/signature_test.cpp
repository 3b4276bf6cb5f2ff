// Pusher auth signatures: the worked examples of protocol.md §1.7 byte for byte.
#include "auth/signature.hpp"

#include <pusher/auth.hpp>

#include <doctest/doctest.h>

#include <string>

using pusher::sign_auth;
using pusher::detail::auth::channel_string_to_sign;
using pusher::detail::auth::hmac_sha256_hex;
using pusher::detail::auth::user_string_to_sign;

namespace {
const std::string kKey = "278d425bdf160c739803";
const std::string kSecret = "7ad3773142a6692b25b8";
const std::string kSocket = "1234.1234";
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("HMAC-SHA256 matches RFC 4231 and the empty-input value") {
    // RFC 4231 test case 2.
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hmac_sha256_hex("", "") ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  }

  TEST_CASE("private channel: the worked example") {
    const std::string to_sign = channel_string_to_sign(kSocket, "private-foobar");
    CHECK(to_sign == "1234.1234:private-foobar");
    CHECK(sign_auth(kKey, kSecret, to_sign) ==
          "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
  }

  TEST_CASE("presence channel: the worked example") {
    const std::string data = R"({"user_id":10,"user_info":{"name":"Mr. Pusher"}})";
    const std::string to_sign = channel_string_to_sign(kSocket, "presence-foobar", data);
    CHECK(to_sign == "1234.1234:presence-foobar:" + data);
    CHECK(sign_auth(kKey, kSecret, to_sign) ==
          "278d425bdf160c739803:afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c");
  }

  TEST_CASE("user sign-in: the worked example") {
    const std::string to_sign = user_string_to_sign(kSocket, R"({"id":"12345"})");
    CHECK(to_sign == R"(1234.1234::user::{"id":"12345"})");
    CHECK(sign_auth(kKey, kSecret, to_sign) ==
          "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba");
  }

  TEST_CASE("a signature changes with every byte it covers") {
    const std::string base = sign_auth(kKey, kSecret, "1234.1234:private-foobar");
    CHECK(sign_auth(kKey, kSecret, "1234.1235:private-foobar") != base);
    CHECK(sign_auth(kKey, "7ad3773142a6692b25b9", "1234.1234:private-foobar") != base);
    CHECK(sign_auth(kKey, kSecret, "1234.1234:private-foobaR") != base);
    CHECK(base.size() == kKey.size() + 1 + 64);
  }
}
