// The form encoding of auth request bodies.
#include "auth/http_authorizer.hpp"

#include <doctest/doctest.h>

#include <string>

using pusher::detail::auth::form_encode;

TEST_SUITE("unit") {
  TEST_CASE("form_encode keeps unreserved characters and percent-encodes every other byte") {
    CHECK(form_encode("") == "");
    CHECK(form_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(form_encode("1234.1234") == "1234.1234");
    CHECK(form_encode("a b&c=d+e") == "a%20b%26c%3Dd%2Be");
    CHECK(form_encode("presence-room;@,") == "presence-room%3B%40%2C");
    CHECK(form_encode("#server-to-user-1") == "%23server-to-user-1");
    CHECK(form_encode("\xC3\xA9\n") == "%C3%A9%0A");
    CHECK(form_encode(std::string("\0\xFF", 2)) == "%00%FF");
  }
}
