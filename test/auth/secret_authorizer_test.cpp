// make_secret_authorizer: local signing with the app secret.
#include <pusher/auth.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>

using pusher::AuthRequest;
using pusher::AuthResult;
using pusher::ErrorCode;

namespace {

const std::string kKey = "278d425bdf160c739803";
const std::string kSecret = "7ad3773142a6692b25b8";

/// The result, delivered synchronously (make_secret_authorizer promises it).
AuthResult run(pusher::Authorizer& authorizer, const std::string& channel) {
  std::optional<AuthResult> got;
  int calls = 0;
  authorizer.authorize(AuthRequest{"1234.1234", channel}, [&](AuthResult r) {
    ++calls;
    got = std::move(r);
  });
  REQUIRE(calls == 1);
  return *got;
}

void check_failed(const AuthResult& r, const std::string& channel, const std::string& words) {
  CHECK(r.error.code == ErrorCode::auth_failed);
  CHECK(r.error.channel == channel);
  CHECK(r.error.message.find(words) != std::string::npos);
  CHECK(r.auth.empty());
  CHECK(r.channel_data.empty());
  CHECK(r.user_data.empty());
  CHECK(r.error.message.find(kSecret) == std::string::npos);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the secret authorizer reproduces the three worked examples") {
    auto authorizer = pusher::make_secret_authorizer(
        kKey, kSecret,
        [](const AuthRequest&) { return R"({"user_id":10,"user_info":{"name":"Mr. Pusher"}})"; },
        [](const AuthRequest&) { return R"({"id":"12345"})"; });

    AuthResult priv = run(*authorizer, "private-foobar");
    CHECK_FALSE(priv.error);
    CHECK(priv.auth ==
          "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
    CHECK(priv.channel_data.empty());

    AuthResult presence = run(*authorizer, "presence-foobar");
    CHECK_FALSE(presence.error);
    CHECK(presence.auth ==
          "278d425bdf160c739803:afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c");
    CHECK(presence.channel_data == R"({"user_id":10,"user_info":{"name":"Mr. Pusher"}})");

    AuthResult user = run(*authorizer, "");
    CHECK_FALSE(user.error);
    CHECK(user.auth ==
          "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba");
    CHECK(user.user_data == R"({"id":"12345"})");
  }

  TEST_CASE("the data functions see the request") {
    AuthRequest seen;
    auto authorizer = pusher::make_secret_authorizer(kKey, kSecret, [&](const AuthRequest& r) {
      seen = r;
      return R"({"user_id":"u"})";
    });
    CHECK_FALSE(run(*authorizer, "presence-room").error);
    CHECK(seen.socket_id == "1234.1234");
    CHECK(seen.channel_name == "presence-room");
  }

  TEST_CASE("presence and sign-in without data, with bad data or a throwing function fail") {
    auto bare = pusher::make_secret_authorizer(kKey, kSecret);
    check_failed(run(*bare, "presence-room"), "presence-room", "presence_data");
    check_failed(run(*bare, ""), "", "user_data");

    auto empty = pusher::make_secret_authorizer(
        kKey, kSecret, [](const AuthRequest&) { return std::string(); },
        [](const AuthRequest&) { return std::string(); });
    check_failed(run(*empty, "presence-room"), "presence-room", "presence_data");
    check_failed(run(*empty, ""), "", "user_data");

    auto bad = pusher::make_secret_authorizer(
        kKey, kSecret, [](const AuthRequest&) { return std::string("{\"name\":1}"); },
        [](const AuthRequest&) { return std::string("not json"); });
    check_failed(run(*bad, "presence-room"), "presence-room", "user_id");
    check_failed(run(*bad, ""), "", "with an id");

    auto throwing = pusher::make_secret_authorizer(
        kKey, kSecret,
        [](const AuthRequest&) -> std::string { throw std::runtime_error("no session"); },
        [](const AuthRequest&) -> std::string { throw 42; });
    check_failed(run(*throwing, "presence-room"), "presence-room", "no session");
    check_failed(run(*throwing, ""), "", "user_data threw");
  }

  TEST_CASE("private-encrypted channels are refused with a pointer to the HTTP authorizer") {
    auto authorizer = pusher::make_secret_authorizer(kKey, kSecret);
    check_failed(run(*authorizer, "private-encrypted-x"), "private-encrypted-x",
                 "use an HTTP authorizer");
  }

  TEST_CASE("an empty key or secret is a usage error") {
    CHECK_THROWS_AS(pusher::make_secret_authorizer("", kSecret), std::invalid_argument);
    CHECK_THROWS_AS(pusher::make_secret_authorizer(kKey, ""), std::invalid_argument);
  }
}
