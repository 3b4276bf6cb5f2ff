#include "net/url.hpp"

#include <pusher/options.hpp>

#include <doctest/doctest.h>

#include <string>

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

TEST_CASE("parse_ws_url tells a port from the URL from the scheme's default") {
  std::string error;
  CHECK(parse_ws_url("ws://h:80/", error)->port_given);
  CHECK(parse_ws_url("wss://[::1]:443", error)->port_given);
  CHECK_FALSE(parse_ws_url("ws://h/", error)->port_given);
  CHECK_FALSE(parse_ws_url("wss://[::1]", error)->port_given);
}

TEST_CASE("parse_ws_url rejects what it cannot connect to, saying why") {
  const char* bad[] = {"http://h/",     "h:80",        "ws://",      "ws://:80/",    "ws://h:0/",
                       "ws://h:70000/", "ws://h:8x/",  "ws://[::1/", "ws://user@h/", "ws://[::1]x/",
                       "ws://h:/",      "ws://u:p@h/", "ws://::1/",  "ws://[h]/",    "ws://h]/",
                       "ws://h/#x",     "ws://h/a b",  "ws://h\r\n/"};
  for (const char* text : bad) {
    CAPTURE(text);
    std::string error;
    CHECK_FALSE(parse_ws_url(text, error).has_value());
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("Endpoint::parse takes a ws:// or wss:// server URL into an Endpoint") {
  struct Row {
    const char* url;
    const char* host;
    int port;
    bool tls;
    const char* path;
  };
  const Row rows[] = {
      {"ws://127.0.0.1:8080", "127.0.0.1", 8080, false, ""},
      {"ws://localhost", "localhost", 0, false, ""},  // 0: the scheme's default
      {"wss://example.com", "example.com", 0, true, ""},
      {"wss://example.com:443/", "example.com", 443, true, ""},  // as written
      {"WSS://Example.com:6001", "Example.com", 6001, true, ""},
      {"wss://example.com/reverb", "example.com", 0, true, "/reverb"},
      {"ws://h:6001/ws/reverb/", "h", 6001, false, "/ws/reverb"},
      {"ws://h//", "h", 0, false, ""},
      {"ws://h/a%20b", "h", 0, false, "/a%20b"},
      {"ws://[::1]:6001", "::1", 6001, false, ""},
      {"wss://[2001:db8::7]/reverb", "2001:db8::7", 0, true, "/reverb"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.url);
    std::string error = "untouched";
    auto endpoint = pusher::Endpoint::parse(row.url, &error);
    REQUIRE(endpoint.has_value());
    CHECK(endpoint->host == row.host);
    CHECK(endpoint->port == row.port);
    CHECK(endpoint->tls == row.tls);
    CHECK(endpoint->path == row.path);
    CHECK(error == "untouched");
    CHECK(pusher::Endpoint::parse(row.url).has_value());  // no error out-parameter
  }
}

TEST_CASE("Endpoint::parse refuses anything else, saying why") {
  struct Row {
    const char* url;
    const char* reason;  // a part of the message
  };
  const Row rows[] = {
      {"http://h:8080", "ws:// or wss://"},
      {"h:8080", "ws:// or wss://"},
      {"", "ws:// or wss://"},
      {"ws://", "no host"},
      {"ws://:6001/reverb", "no host"},
      {"wss:///reverb", "no host"},
      {"ws://h:0", "port"},
      {"ws://h:65536", "port"},
      {"ws://h:-1", "port"},
      {"ws://h:80x", "port"},
      {"ws://h:", "port"},
      {"ws://user:secret@h", "credentials"},
      {"ws://h:6001/app/key?protocol=7", "query"},
      {"ws://h?", "query"},
      {"ws://h/reverb#top", "fragment"},
      {"ws://h#top", "fragment"},
      {"ws://h:6001\n", "control character"},
      {"ws://h/a b", "space"},
      {"ws://h\t/", "control character"},
      {"ws://::1:6001", "brackets"},
      {"ws://[::1", "IPv6"},
      {"ws://[::1]6001", "IPv6"},
      {"ws://[example.com]", "IPv6"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.url);
    std::string error;
    CHECK_FALSE(pusher::Endpoint::parse(row.url, &error).has_value());
    CAPTURE(error);
    CHECK(error.find(row.reason) != std::string::npos);
    CHECK_FALSE(pusher::Endpoint::parse(row.url).has_value());  // no error out-parameter
  }
}

TEST_CASE("Options::set_endpoint sets host, port, tls and path together") {
  pusher::Options options;
  options.set_endpoint(*pusher::Endpoint::parse("ws://127.0.0.1:8080/reverb/"));
  CHECK(options.host == "127.0.0.1");
  CHECK(options.port == 8080);
  CHECK_FALSE(options.tls);
  CHECK(options.path == "/reverb");
}
