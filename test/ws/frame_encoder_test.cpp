#include "ws/frame.hpp"

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ws/utf8.hpp"

namespace ws = pusher::detail::ws;

namespace {

/// One client frame taken apart: what a server sees after unmasking (RFC 6455 §5.3).
struct Unmasked {
  std::uint8_t first = 0;
  bool masked = false;
  std::uint64_t length = 0;
  std::size_t header_size = 0;
  ws::MaskKey key{};
  std::string payload;
};

/// Test-only: parses one masked client frame at the start of `s` and unmasks it.
Unmasked unmask(std::string_view s) {
  Unmasked u;
  REQUIRE(s.size() >= 2);
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  u.first = at(0);
  u.masked = (at(1) & 0x80) != 0;
  u.length = at(1) & 0x7F;
  std::size_t pos = 2;
  const std::size_t extra = u.length == 126 ? 2 : u.length == 127 ? 8 : 0;
  if (extra != 0) u.length = 0;
  for (std::size_t i = 0; i < extra; ++i) u.length = (u.length << 8) | at(pos++);
  REQUIRE(u.masked);
  for (std::size_t i = 0; i < 4; ++i) u.key[i] = at(pos++);
  u.header_size = pos;
  REQUIRE(s.size() - pos >= u.length);
  u.payload.assign(s.substr(pos, static_cast<std::size_t>(u.length)));
  for (std::size_t i = 0; i < u.payload.size(); ++i)
    u.payload[i] = static_cast<char>(u.payload[i] ^ u.key[i % 4]);
  return u;
}

/// Rewrites a client frame as the same frame unmasked, as a server would relay it.
std::string strip_mask(const Unmasked& u) {
  std::string s(1, static_cast<char>(u.first));
  if (u.length < 126) {
    s.push_back(static_cast<char>(u.length));
  } else if (u.length <= 0xFFFF) {
    s.push_back(126);
    s.push_back(static_cast<char>(u.length >> 8));
    s.push_back(static_cast<char>(u.length & 0xFF));
  } else {
    s.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>(u.length >> shift));
  }
  return s + u.payload;
}

class Collect : public ws::FrameSink {
 public:
  std::vector<std::string> events;
  void on_text(std::string_view m) override { events.push_back("text:" + std::string(m)); }
  void on_binary(std::string_view m) override { events.push_back("binary:" + std::string(m)); }
  void on_ping(std::string_view p) override { events.push_back("ping:" + std::string(p)); }
  void on_pong(std::string_view p) override { events.push_back("pong:" + std::string(p)); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
};

}  // namespace

TEST_CASE("RFC 6455 §5.7: masked \"Hello\" with a given key") {
  std::string out;
  ws::encode_frame(ws::Opcode::text, "Hello", ws::MaskKey{0x37, 0xfa, 0x21, 0x3d}, out);
  const std::string expected = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  CHECK(out == expected);
}

TEST_CASE("encoded frames are masked, final, and decode back") {
  const std::pair<ws::Opcode, std::size_t> cases[] = {
      {ws::Opcode::text, 0},       {ws::Opcode::text, 5},     {ws::Opcode::binary, 125},
      {ws::Opcode::binary, 126},   {ws::Opcode::text, 65535}, {ws::Opcode::binary, 65536},
      {ws::Opcode::binary, 70001}, {ws::Opcode::ping, 125},   {ws::Opcode::pong, 0},
  };
  for (const auto& test : cases) {
    const ws::Opcode op = test.first;
    const std::size_t size = test.second;
    CAPTURE(size);
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string out = "prefix";
    ws::encode_frame(op, payload, out);
    REQUIRE(out.substr(0, 6) == "prefix");  // appended, not replaced
    const Unmasked u = unmask(std::string_view(out).substr(6));
    CHECK(u.first == (0x80 | static_cast<int>(op)));
    CHECK(u.masked);
    CHECK(u.length == size);
    CHECK(u.header_size == (size < 126 ? 6u : size <= 0xFFFF ? 8u : 14u));
    CHECK(out.size() == 6 + u.header_size + size);
    CHECK(u.payload == payload);
    if (size >= 8) CHECK(out.substr(6 + u.header_size, 8) != payload.substr(0, 8));

    ws::FrameDecoder d;
    Collect c;
    CHECK(d.feed(strip_mask(u), c));
    REQUIRE(c.events.size() == 1);
    const char* kind = op == ws::Opcode::text     ? "text:"
                       : op == ws::Opcode::binary ? "binary:"
                       : op == ws::Opcode::ping   ? "ping:"
                                                  : "pong:";
    CHECK(c.events[0] == kind + payload);
  }
}

TEST_CASE("each frame gets a fresh mask") {
  std::set<std::uint32_t> keys;
  std::string out;
  for (int i = 0; i < 200; ++i) {  // crosses the 256-byte pool refill
    out.clear();
    ws::encode_frame(ws::Opcode::text, "same", out);
    const Unmasked u = unmask(out);
    CHECK(u.payload == "same");
    keys.insert(static_cast<std::uint32_t>(u.key[0]) << 24 | u.key[1] << 16 | u.key[2] << 8 |
                u.key[3]);
  }
  CHECK(keys.size() == 200);  // a repeat among 200 random keys has odds of about 5e-6
}

TEST_CASE("control frames over 125 bytes are refused") {
  std::string out;
  CHECK_THROWS_AS(ws::encode_frame(ws::Opcode::ping, std::string(126, 'x'), out),
                  std::invalid_argument);
  CHECK_THROWS_AS(ws::encode_frame(ws::Opcode::close, std::string(126, 'x'), out),
                  std::invalid_argument);
  CHECK(out.empty());
}

TEST_CASE("encode_close writes the code and reason") {
  std::string out;
  ws::encode_close(ws::close_code::normal, "bye", out);
  const Unmasked u = unmask(out);
  CHECK(u.first == 0x88);
  CHECK(u.payload == std::string("\x03\xE8") + "bye");

  out.clear();
  ws::encode_close(4001, "", out);
  CHECK(unmask(out).payload == "\x0F\xA1");

  out.clear();
  ws::encode_close(ws::close_code::no_status, "ignored", out);
  CHECK(unmask(out).length == 0);

  CHECK_THROWS_AS(ws::encode_close(ws::close_code::abnormal, "", out), std::invalid_argument);
  CHECK_THROWS_AS(ws::encode_close(999, "", out), std::invalid_argument);
}

TEST_CASE("encode_close truncates the reason to 123 bytes on a UTF-8 boundary") {
  struct Case {
    std::string reason;
    std::size_t kept;
  };
  const Case cases[] = {
      {std::string(123, 'a'), 123},
      {std::string(200, 'a'), 123},
      {std::string(122, 'a') + "\xC3\xA9", 122},          // é would end at byte 124
      {std::string(121, 'a') + "\xC3\xA9", 123},          // é ends exactly at 123
      {std::string(121, 'a') + "\xE2\x82\xAC", 121},      // € would end at 124
      {std::string(120, 'a') + "\xF0\x9D\x84\x9E", 120},  // 𝄞 would end at 124
      {std::string(119, 'a') + "\xF0\x9D\x84\x9E" + "tail", 123},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reason.size());
    std::string out;
    ws::encode_close(ws::close_code::going_away, c.reason, out);
    const Unmasked u = unmask(out);
    REQUIRE(u.payload.size() == 2 + c.kept);
    CHECK(u.payload.size() <= 125);
    CHECK(u.payload.substr(2) == c.reason.substr(0, c.kept));
    CHECK(ws::valid_utf8(u.payload.substr(2)));

    ws::FrameDecoder d;
    Collect sink;
    CHECK(d.feed(strip_mask(u), sink));
    CHECK(sink.events == std::vector<std::string>{"close:1001:" + c.reason.substr(0, c.kept)});
  }
}
