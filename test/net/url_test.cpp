#include "net/url.hpp"

#include <doctest/doctest.h>

using pusher::detail::net::parse_ws_url;

TEST_CASE("parse_ws_url takes scheme, host, port and target apart") {
  struct Row {
    const char* url;
    bool tls;
    const char* host;
    int port;
    const char* target;
    const char* http_url;
    const char* host_header;
  };
  const Row rows[] = {
      {"ws://127.0.0.1:6001/app/key?protocol=7", false, "127.0.0.1", 6001, "/app/key?protocol=7",
       "http://127.0.0.1:6001/app/key?protocol=7", "127.0.0.1:6001"},
      {"wss://ws-eu.pusher.com/app/k", true, "ws-eu.pusher.com", 443, "/app/k",
       "https://ws-eu.pusher.com:443/app/k", "ws-eu.pusher.com"},
      {"ws://example.com", false, "example.com", 80, "/", "http://example.com:80/", "example.com"},
      {"WS://Example.com?x=1", false, "Example.com", 80, "/?x=1", "http://Example.com:80/?x=1",
       "Example.com"},
      {"ws://[::1]:8080/p", false, "::1", 8080, "/p", "http://[::1]:8080/p", "[::1]:8080"},
      {"wss://h:443/", true, "h", 443, "/", "https://h:443/", "h"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.url);
    std::string error;
    auto url = parse_ws_url(row.url, error);
    REQUIRE(url.has_value());
    CHECK(url->tls == row.tls);
    CHECK(url->host == row.host);
    CHECK(url->port == row.port);
    CHECK(url->target == row.target);
    CHECK(url->http_url() == row.http_url);
    CHECK(url->host_header() == row.host_header);
  }
}

TEST_CASE("parse_ws_url rejects what it cannot connect to, saying why") {
  const char* bad[] = {"http://h/", "h:80", "ws://", "ws://:80/", "ws://h:0/", "ws://h:70000/",
                       "ws://h:8x/", "ws://[::1/", "ws://user@h/", "ws://[::1]x/"};
  for (const char* text : bad) {
    CAPTURE(text);
    std::string error;
    CHECK_FALSE(parse_ws_url(text, error).has_value());
    CHECK_FALSE(error.empty());
  }
}
