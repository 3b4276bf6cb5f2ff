#include "ws/handshake.hpp"

#include <random>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace ws = pusher::detail::ws;
using Status = ws::HandshakeResponse::Status;

namespace {

// RFC 6455 §1.3 sample nonce and its accept value (as printed in the RFC).
constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string response(const std::string& status_line, const std::string& headers) {
  return status_line + "\r\n" + headers + "\r\n";
}

std::string good_headers() {
  return std::string("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ") +
         kAccept + "\r\n";
}

ws::HandshakeResponse parse(const std::string& bytes) {
  return ws::parse_response(bytes, kKey);
}

}  // namespace

TEST_CASE("accept_key matches the RFC 6455 example") {
  CHECK(ws::accept_key(kKey) == kAccept);
}

TEST_CASE("random_key is base64 of 16 fresh bytes") {
  const std::string a = ws::random_key();
  const std::string b = ws::random_key();
  CHECK(a.size() == 24);
  CHECK(a.substr(22) == "==");
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
        std::string::npos);
  CHECK(a != b);
}

TEST_CASE("build_request writes the upgrade request with extra headers") {
  const std::string req = ws::build_request("ws.example.com:6001", "/app/key?protocol=7", kKey,
                                            {{"Origin", "http://localhost"}, {"X-A", "b"}});
  CHECK(req ==
        "GET /app/key?protocol=7 HTTP/1.1\r\n"
        "Host: ws.example.com:6001\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Origin: http://localhost\r\n"
        "X-A: b\r\n"
        "\r\n");
  CHECK(ws::build_request("h", "/", kKey).substr(0, 16) == "GET / HTTP/1.1\r\n");
}

TEST_CASE("build_request refuses header injection") {
  CHECK_THROWS_AS(ws::build_request("h\r\nX: y", "/", kKey), std::invalid_argument);
  CHECK_THROWS_AS(ws::build_request("h", "/\n", kKey), std::invalid_argument);
  CHECK_THROWS_AS(ws::build_request("h", "/", kKey, {{"A", "b\r\nEvil: 1"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(ws::build_request("h", "/", kKey, {{std::string("A\0", 2), "b"}}),
                  std::invalid_argument);
}

TEST_CASE("parse_response accepts a 101 and reports the bytes it consumed") {
  const std::string head = response("HTTP/1.1 101 Switching Protocols", good_headers());
  const std::string frames = "\x81\x05Hello";
  const ws::HandshakeResponse r = parse(head + frames);
  CHECK(r.status == Status::accepted);
  CHECK(r.http_status == 101);
  CHECK(r.consumed == head.size());
  CHECK(r.error.empty());
}

TEST_CASE("parse_response is incomplete for every prefix of the header block") {
  const std::string head = response("HTTP/1.1 101 Switching Protocols", good_headers());
  for (std::size_t n = 0; n < head.size(); ++n) {
    CAPTURE(n);
    CHECK(parse(head.substr(0, n)).status == Status::incomplete);
  }
  CHECK(parse(head).status == Status::accepted);
}

TEST_CASE("parse_response is case-insensitive where HTTP is") {
  const std::string head = response(
      "HTTP/1.1 101 ", std::string("upgrade:WebSocket\r\nX-Other: 1\r\nCONNECTION:  keep-alive,"
                                   " UPGRADE \r\nsec-websocket-accept: \t") +
                           kAccept + "\r\n");
  const ws::HandshakeResponse r = parse(head);
  CHECK(r.status == Status::accepted);
  CHECK(r.error.empty());
  // Connection may be split across repeated fields.
  const std::string split =
      response("HTTP/1.1 101", std::string("Upgrade: websocket\r\nConnection: keep-alive\r\n"
                                           "Connection: upgrade\r\nSec-WebSocket-Accept: ") +
                                   kAccept + "\r\n");
  CHECK(parse(split).status == Status::accepted);
}

TEST_CASE("parse_response rejects a wrong status") {
  const ws::HandshakeResponse r =
      parse(response("HTTP/1.1 404 Not Found", "Content-Length: 0\r\n"));
  CHECK(r.status == Status::rejected);
  CHECK(r.http_status == 404);
  CHECK(r.error == "expected status 101, got 404 Not Found");
  CHECK(r.consumed > 0);
  CHECK(parse(response("HTTP/1.1 200 OK", good_headers())).status == Status::rejected);
  CHECK(parse(response("HTTP/1.0 101 Switching Protocols", good_headers())).status ==
        Status::rejected);
  CHECK(parse(response("HTTP/1.1 1011 Odd", good_headers())).status == Status::rejected);
  CHECK(parse(response("HTTP/1.1 1x1 Odd", good_headers())).status == Status::rejected);
}

TEST_CASE("parse_response rejects bad upgrade headers") {
  const std::string accept = std::string("Sec-WebSocket-Accept: ") + kAccept + "\r\n";
  struct Case {
    const char* name;
    std::string headers;
    std::string error;
  };
  const Case cases[] = {
      {"no Upgrade", "Connection: Upgrade\r\n" + accept, "Upgrade is not websocket"},
      {"Upgrade h2c", "Upgrade: h2c\r\nConnection: Upgrade\r\n" + accept,
       "Upgrade is not websocket"},
      {"no Connection", "Upgrade: websocket\r\n" + accept, "Connection lacks the upgrade token"},
      {"Connection keep-alive", "Upgrade: websocket\r\nConnection: keep-alive\r\n" + accept,
       "Connection lacks the upgrade token"},
      {"Connection upgraded", "Upgrade: websocket\r\nConnection: upgraded\r\n" + accept,
       "Connection lacks the upgrade token"},
      {"no accept", "Upgrade: websocket\r\nConnection: Upgrade\r\n",
       "Sec-WebSocket-Accept missing"},
      {"wrong accept",
       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
       "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n",
       "Sec-WebSocket-Accept mismatch"},
      {"two accepts", "Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept + accept,
       "Sec-WebSocket-Accept mismatch"},
      {"extensions",
       "Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept +
           "Sec-WebSocket-Extensions: permessage-deflate\r\n",
       "Sec-WebSocket-Extensions present but none were offered"},
      {"no colon", good_headers() + "Broken line\r\n", "malformed header line"},
      {"folded", good_headers() + "X-A: 1\r\n  folded\r\n", "malformed header line"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const ws::HandshakeResponse r = parse(response("HTTP/1.1 101 Switching Protocols", c.headers));
    CHECK(r.status == Status::rejected);
    CHECK(r.http_status == 101);
    CHECK(r.error == c.error);
  }
}

TEST_CASE("parse_response checks the accept value against the key that was sent") {
  const std::string head = response("HTTP/1.1 101 Switching Protocols", good_headers());
  CHECK(ws::parse_response(head, "AQIDBAUGBwgJCgsMDQ4PEA==").status == Status::rejected);
}

TEST_CASE("parse_response rejects garbage before the status line at once") {
  for (const std::string& bytes : {std::string("x"), std::string("\r\nHTTP/1.1 101"),
                                   std::string("HTTX"), std::string("\x16\x03\x01\x00", 4)}) {
    CAPTURE(bytes);
    const ws::HandshakeResponse r = parse(bytes);
    CHECK(r.status == Status::rejected);
    CHECK(r.consumed == 0);
  }
}

TEST_CASE("parse_response rejects a header block over the limit") {
  const std::string head = response("HTTP/1.1 101 Switching Protocols", good_headers());
  CHECK(ws::parse_response(head, kKey, head.size()).status == Status::accepted);
  CHECK(ws::parse_response(head, kKey, head.size() - 1).status == Status::rejected);
  const std::string endless = "HTTP/1.1 101 OK\r\nX: " + std::string(20000, 'a');
  CHECK(parse(endless.substr(0, 16000)).status == Status::incomplete);
  const ws::HandshakeResponse r = parse(endless);
  CHECK(r.status == Status::rejected);
  CHECK(r.error == "no end of headers within 16384 bytes");
}

TEST_CASE("parse_response survives random bytes") {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string head = response("HTTP/1.1 101 Switching Protocols", good_headers());
  for (int i = 0; i < 2000; ++i) {
    std::string s = head;
    for (int k = 0; k < 3; ++k)
      s[static_cast<std::size_t>(byte(rng)) % s.size()] = static_cast<char>(byte(rng));
    const ws::HandshakeResponse r = parse(s);
    if (r.status != Status::incomplete) CHECK(r.consumed <= s.size());
    if (r.status == Status::accepted) CHECK(r.consumed == s.find("\r\n\r\n") + 4);
  }
}
