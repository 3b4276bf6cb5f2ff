// parse_auth_response: what an auth endpoint may answer, as a table.
#include "auth/auth_response.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using pusher::AuthResult;
using pusher::ErrorCode;
using pusher::detail::auth::kMaxAuthResponseSize;
using pusher::detail::auth::parse_auth_response;

namespace {

struct Ok {
  int status;
  std::string body;
  bool user;
  std::string auth, channel_data, shared_secret, user_data;
};

struct Bad {
  int status;
  std::string body;
  bool user;
  std::string words;  // expected in the message
};

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("successful answers") {
    const std::vector<Ok> table = {
        {200, R"({"auth":"k:s"})", false, "k:s", "", "", ""},
        {201, R"({"auth":"k:s"})", false, "k:s", "", "", ""},
        // channel_data passes through byte for byte: escapes, spacing and UTF-8 untouched.
        {200,
         R"({"auth":"k:s","channel_data":"{\"user_id\": 1,\"user_info\":{\"n\":\"\u00e9\\/\"}}"})",
         false, "k:s", "{\"user_id\": 1,\"user_info\":{\"n\":\"\xC3\xA9\\/\"}}", "", ""},
        // Some backends return channel_data as an object: written compactly.
        {200, R"({"auth":"k:s","channel_data":{ "user_id" : "7", "user_info" : {"a":[1, 2.5]} }})",
         false, "k:s", R"({"user_id":"7","user_info":{"a":[1,2.5]}})", "", ""},
        {200, R"({"auth":"k:s","channel_data":null})", false, "k:s", "", "", ""},
        {200, R"({"auth":"k:s","shared_secret":"c2VjcmV0"})", false, "k:s", "", "c2VjcmV0", ""},
        {200, R"({"auth":"k:s","user_data":"{\"id\":\"1\"}"})", true, "k:s", "", "",
         R"({"id":"1"})"},
        // Unknown fields are ignored; whitespace around the document is fine.
        {200, " \n{\"extra\":[1,{}],\"auth\":\"k:s\"}\n", false, "k:s", "", "", ""},
    };
    for (const Ok& row : table) {
      CAPTURE(row.body);
      AuthResult r = parse_auth_response(row.status, row.body, row.user);
      CHECK_FALSE(r.error);
      CHECK(r.error.code == ErrorCode::ok);
      CHECK(r.auth == row.auth);
      CHECK(r.channel_data == row.channel_data);
      CHECK(r.shared_secret == row.shared_secret);
      CHECK(r.user_data == row.user_data);
    }
  }

  TEST_CASE("failures carry the status and a reason, never the body") {
    const std::vector<Bad> table = {
        {401, R"({"message":"Unauthenticated."})", false, "answered 401"},
        {403, R"({"message":"Forbidden."})", false, "answered 403"},
        {419, R"({"message":"CSRF token mismatch."})", false, "CSRF"},
        {500, "<html>secret-token</html>", false, "answered 500"},
        {302, "", false, "redirect"},
        {204, "", false, "answered 204"},
        {0, "", false, "answered 0"},
        {-1, R"({"auth":"k:s"})", false, "answered -1"},
        {200, "", false, "empty body"},
        {200, "<html>secret-token</html>", false, "not JSON"},
        {200, R"({"auth":"k:s"} trailing)", false, "not JSON"},
        {200, std::string("{\"auth\":\"k:s\"}\0", 15), false, "not JSON"},
        {200, R"({"auth":"k:s")", false, "not JSON"},
        {200, R"(["auth","k:s"])", false, "not a JSON object"},
        {200, R"("k:s")", false, "not a JSON object"},
        {200, "null", false, "not a JSON object"},
        {200, "{}", false, "no auth field"},
        {200, R"({"auth":""})", false, "no auth field"},
        {200, R"({"auth":42})", false, "auth field is not a string"},
        {200, R"({"auth":null})", false, "auth field is not a string"},
        {200, R"({"auth":{"k":"s"}})", false, "auth field is not a string"},
        {200, R"({"auth":"k:s","channel_data":42})", false, "channel_data"},
        {200, R"({"auth":"k:s","channel_data":["a"]})", false, "channel_data"},
        {200, R"({"auth":"k:s","shared_secret":1})", false, "shared_secret"},
        {200, R"({"auth":"k:s"})", true, "user_data"},
        {200, R"({"auth":"k:s","user_data":{"id":"1"}})", true, "user_data"},
        {200,
         R"({"auth":"k:s","channel_data":)" + std::string(100, '[') + std::string(100, ']') + "}",
         false, "not JSON"},  // deeper than the parser accepts
    };
    for (const Bad& row : table) {
      CAPTURE(row.status);
      CAPTURE(row.body);
      AuthResult r = parse_auth_response(row.status, row.body, row.user);
      CHECK(r.error.code == ErrorCode::auth_failed);
      CHECK(r.error.server_code == row.status);
      CHECK(r.error.message.find(row.words) != std::string::npos);
      CHECK(r.error.message.find("secret-token") == std::string::npos);
      CHECK(r.error.message.find("k:s") == std::string::npos);
      CHECK(r.auth.empty());
      CHECK(r.channel_data.empty());
      CHECK(r.shared_secret.empty());
      CHECK(r.user_data.empty());
    }
  }

  TEST_CASE("bodies past 1 MiB are refused, just under is parsed") {
    std::string padding(kMaxAuthResponseSize - 40, ' ');
    std::string fits = R"({"auth":"k:s"})" + padding;
    REQUIRE(fits.size() <= kMaxAuthResponseSize);
    CHECK_FALSE(parse_auth_response(200, fits, false).error);

    std::string huge = R"({"auth":"k:s","pad":")" + std::string(kMaxAuthResponseSize, 'x') + "\"}";
    AuthResult r = parse_auth_response(200, huge, false);
    CHECK(r.error.code == ErrorCode::auth_failed);
    CHECK(r.error.message.find("1 MiB") != std::string::npos);
  }

  TEST_CASE("arbitrary bytes never throw") {
    std::string bytes;
    unsigned state = 12345;
    for (int i = 0; i < 2000; ++i) {
      state = state * 1103515245u + 12345u;
      bytes.push_back("{}[]\":,aut h\\0123456789.eE-+truefalsnl"[(state >> 16) % 38]);
      CHECK_NOTHROW(parse_auth_response(200, bytes, (i & 1) != 0));
    }
  }
}
