#include "ws/frame.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace ws = pusher::detail::ws;
using pusher::ErrorCode;

namespace {

/// Records every callback as "kind:payload", plus where each view pointed.
class Recorder : public ws::FrameSink {
 public:
  std::vector<std::string> events;
  std::vector<const char*> data;

  void on_text(std::string_view m) override { add("text:", m); }
  void on_binary(std::string_view m) override { add("binary:", m); }
  void on_ping(std::string_view p) override { add("ping:", p); }
  void on_pong(std::string_view p) override { add("pong:", p); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    add("close:" + std::to_string(code) + ":", reason);
  }

 private:
  void add(const std::string& kind, std::string_view payload) {
    events.push_back(kind + std::string(payload));
    data.push_back(payload.data());
  }
};

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

/// An unmasked server frame with the minimal length encoding.
std::string frame(int first_byte, const std::string& payload) {
  std::string s(1, static_cast<char>(first_byte));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    s.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    s += bytes({126, static_cast<int>(n >> 8), static_cast<int>(n & 0xFF)});
  } else {
    s.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>(n >> shift));
  }
  return s + payload;
}

struct Outcome {
  bool ok;
  std::vector<std::string> events;
  ws::DecodeError error;
};

Outcome decode(const std::string& input, std::size_t max = 1u << 20) {
  ws::FrameDecoder d(max);
  Recorder r;
  const bool ok = d.feed(input, r);
  CHECK(ok == !d.failed());
  return {ok, r.events, d.error()};
}

Outcome decode_in_chunks(const std::string& input, const std::vector<std::size_t>& cuts) {
  ws::FrameDecoder d;
  Recorder r;
  std::size_t at = 0;
  bool ok = true;
  for (std::size_t cut : cuts) {
    ok = d.feed(std::string_view(input).substr(at, cut - at), r) && ok;
    at = cut;
  }
  ok = d.feed(std::string_view(input).substr(at), r) && ok;
  return {ok, r.events, d.error()};
}

/// A stream mixing every kind of frame, lengths in all three forms, and fragmentation.
std::string mixed_stream() {
  std::string s;
  s += frame(0x81, "Hello");
  s += frame(0x82, std::string(300, '\x07'));
  s += frame(0x89, "ping!");
  s += frame(0x01, "frag") + frame(0x8A, "pong") + frame(0x00, "ment\xC3") + frame(0x80, "\xA9");
  s += frame(0x81, "");
  s += frame(0x02, std::string(70000, 'b')) + frame(0x80, "c");
  s += frame(0x81, "\xE2\x82\xAC");
  s += frame(0x88, bytes({0x03, 0xE8}) + "bye");
  return s;
}

const std::vector<std::string> kMixedEvents = {
    "text:Hello",
    "binary:" + std::string(300, '\x07'),
    "ping:ping!",
    "pong:pong",
    "text:fragment\xC3\xA9",
    "text:",
    "binary:" + std::string(70000, 'b') + "c",
    "text:\xE2\x82\xAC",
    "close:1000:bye",
};

/// Sink whose text callback throws.
class ThrowingSink : public Recorder {
 public:
  void on_text(std::string_view) override { throw std::runtime_error("boom"); }
};

}  // namespace

TEST_CASE("RFC 6455 §5.7: a single-frame unmasked text message") {
  const std::string input = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  ws::FrameDecoder d;
  Recorder r;
  CHECK(d.feed(input, r));
  CHECK(r.events == std::vector<std::string>{"text:Hello"});
  CHECK(r.data[0] == input.data() + 2);  // a view into the input, not a copy
  CHECK(d.buffered_bytes() == 0);
}

TEST_CASE("RFC 6455 §5.7: a masked frame from a server is rejected") {
  const std::string input =
      bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  ws::FrameDecoder d;
  Recorder r;
  CHECK_FALSE(d.feed(input, r));
  CHECK(d.failed());
  CHECK(d.error().close_code == ws::close_code::protocol_error);
  CHECK(d.error().code == ErrorCode::protocol_error);
  CHECK(r.events.empty());
  CHECK_FALSE(d.feed(frame(0x81, "ok"), r));  // stays failed
  CHECK(r.events.empty());
}

TEST_CASE("RFC 6455 §5.7: a fragmented unmasked text message") {
  const Outcome o = decode(bytes({0x01, 0x03, 0x48, 0x65, 0x6c}) + bytes({0x80, 0x02, 0x6c, 0x6f}));
  CHECK(o.ok);
  CHECK(o.events == std::vector<std::string>{"text:Hello"});
}

TEST_CASE("RFC 6455 §5.7: unmasked ping and pong") {
  const Outcome o = decode(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}) +
                           bytes({0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  CHECK(o.events == std::vector<std::string>{"ping:Hello", "pong:Hello"});
}

TEST_CASE("RFC 6455 §5.7: 256-byte and 65536-byte binary messages") {
  const std::string small(256, 'a');
  const std::string big(65536, 'z');
  const std::string input =
      bytes({0x82, 0x7E, 0x01, 0x00}) + small + bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + big;
  const Outcome o = decode(input);
  CHECK(o.ok);
  CHECK(o.events == std::vector<std::string>{"binary:" + small, "binary:" + big});
}

TEST_CASE("non-minimal length encodings are accepted") {
  const Outcome o = decode(bytes({0x81, 0x7E, 0x00, 0x05}) + "Hello" +
                           bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x02}) + "hi");
  CHECK(o.ok);
  CHECK(o.events == std::vector<std::string>{"text:Hello", "binary:hi"});
}

TEST_CASE("empty messages and control frames are delivered") {
  const Outcome o = decode(frame(0x81, "") + frame(0x82, "") + frame(0x89, "") + frame(0x01, "") +
                           frame(0x80, ""));
  CHECK(o.events == std::vector<std::string>{"text:", "binary:", "ping:", "text:"});
}

TEST_CASE("protocol violations fail with close 1002") {
  struct Case {
    const char* name;
    std::string input;
  };
  std::vector<Case> cases = {
      {"RSV1", bytes({0xC1, 0x00})},
      {"RSV2", bytes({0xA1, 0x00})},
      {"RSV3", bytes({0x91, 0x00})},
      {"masked", bytes({0x82, 0x80, 1, 2, 3, 4})},
      {"ping over 125", bytes({0x89, 0x7E, 0x00, 0x7E})},
      {"close over 125", bytes({0x88, 0x7F})},
      {"fragmented ping", bytes({0x09, 0x00})},
      {"continuation first", bytes({0x80, 0x01, 'a'})},
      {"unfinished continuation first", bytes({0x00, 0x01, 'a'})},
      {"text inside fragmented text", frame(0x01, "a") + frame(0x81, "b")},
      {"binary inside fragmented text", frame(0x01, "a") + frame(0x02, "b")},
      {"64-bit length MSB", bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0})},
      {"close with 1-byte body", bytes({0x88, 0x01, 0x03})},
  };
  for (int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    cases.push_back({"reserved opcode", bytes({0x80 | op, 0x00})});
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    cases.push_back({"bad close code", frame(0x88, bytes({code >> 8, code & 0xFF}))});
  }
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.input);
    const Outcome o = decode(c.input);
    CHECK_FALSE(o.ok);
    CHECK(o.error.close_code == 1002);
    CHECK(o.error.code == ErrorCode::protocol_error);
    CHECK_FALSE(o.error.message.empty());
    CHECK(o.events.empty());
  }
}

TEST_CASE("invalid UTF-8 fails with close 1007") {
  const std::vector<std::string> inputs = {
      frame(0x81, "\xC3\x28"),
      frame(0x81, "ends in \xC3"),
      frame(0x81, "surrogate \xED\xA0\x80"),
      frame(0x01, "\xC3") + frame(0x80, "\x28"),      // across fragments
      frame(0x01, "a") + frame(0x80, "\xE2\x82"),     // message ends mid-sequence
      frame(0x88, bytes({0x03, 0xE8}) + "\xC0\x80"),  // close reason
  };
  for (const std::string& input : inputs) {
    CAPTURE(input);
    const Outcome o = decode(input);
    CHECK_FALSE(o.ok);
    CHECK(o.error.close_code == 1007);
    CHECK(o.error.code == ErrorCode::invalid_utf8);
    CHECK(o.events.empty());
  }
  // Binary messages are not checked, and a sequence may span fragments.
  CHECK(decode(frame(0x82, "\xC3\x28")).ok);
  CHECK(decode(frame(0x01, "\xC3") + frame(0x80, "\xA9")).events ==
        std::vector<std::string>{"text:\xC3\xA9"});
}

TEST_CASE("invalid UTF-8 in an open fragmented message fails before it completes") {
  ws::FrameDecoder d;
  Recorder r;
  CHECK(d.feed(frame(0x01, "ok"), r));
  CHECK_FALSE(d.feed(frame(0x00, "\xFF"), r));
  CHECK(d.error().close_code == 1007);
}

TEST_CASE("a message over the maximum fails with 1009 from its header") {
  SUBCASE("single frame, header only") {
    ws::FrameDecoder d(10);
    Recorder r;
    CHECK(d.feed(frame(0x82, std::string(10, 'x')), r));
    CHECK_FALSE(d.feed(bytes({0x82, 11}), r));  // no payload needed to decide
    CHECK(d.error().close_code == 1009);
    CHECK(d.error().code == ErrorCode::message_too_large);
    CHECK(d.buffered_bytes() == 0);
  }
  SUBCASE("2^62 length does not allocate") {
    ws::FrameDecoder d;
    Recorder r;
    CHECK_FALSE(d.feed(bytes({0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0}), r));
    CHECK(d.error().close_code == 1009);
    CHECK(d.error().code == ErrorCode::message_too_large);
    CHECK(d.buffer_capacity() < 1024);
  }
  SUBCASE("sum of fragments") {
    ws::FrameDecoder d(10);
    Recorder r;
    CHECK(d.feed(frame(0x01, "abcdef") + frame(0x89, "p"), r));
    CHECK(d.feed(bytes({0x00, 0x04}), r));  // 10 in all: allowed
    CHECK(d.feed("ghij", r));
    CHECK_FALSE(d.feed(bytes({0x80, 0x01}), r));
    CHECK(d.error().close_code == 1009);
    CHECK(r.events == std::vector<std::string>{"ping:p"});
  }
  SUBCASE("set_max_message_size applies to the next header") {
    ws::FrameDecoder d(100);
    Recorder r;
    CHECK(d.feed(frame(0x81, std::string(50, 'a')), r));
    d.set_max_message_size(49);
    CHECK_FALSE(d.feed(frame(0x81, std::string(50, 'a')), r));
    CHECK(d.error().code == ErrorCode::message_too_large);
  }
}

TEST_CASE("close frames") {
  SUBCASE("without a body: 1005") {
    CHECK(decode(frame(0x88, "")).events == std::vector<std::string>{"close:1005:"});
  }
  SUBCASE("code and reason, then further input is ignored") {
    ws::FrameDecoder d;
    Recorder r;
    CHECK(d.feed(frame(0x81, "a") + frame(0x88, bytes({0x03, 0xE8}) + "bye") + "\xFF\xFF", r));
    CHECK(d.closed());
    CHECK_FALSE(d.failed());
    CHECK(d.feed(frame(0x81, "late"), r));
    CHECK(r.events == std::vector<std::string>{"text:a", "close:1000:bye"});
    CHECK(d.buffered_bytes() == 0);
  }
  SUBCASE("codes a server may send") {
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4000,
                     4001, 4200, 4999}) {
      CAPTURE(code);
      CHECK(ws::valid_close_code(static_cast<std::uint16_t>(code)));
      const Outcome o = decode(frame(0x88, bytes({code >> 8, code & 0xFF})));
      CHECK(o.events == std::vector<std::string>{"close:" + std::to_string(code) + ":"});
    }
  }
}

TEST_CASE("control frames between fragments are delivered at once") {
  ws::FrameDecoder d;
  Recorder r;
  CHECK(d.feed(frame(0x01, "Hel") + frame(0x89, "hi"), r));
  CHECK(r.events == std::vector<std::string>{"ping:hi"});
  CHECK(d.buffered_bytes() == 3);
  CHECK(d.feed(frame(0x8A, "") + frame(0x00, "l") + frame(0x89, "2") + frame(0x80, "o"), r));
  CHECK(r.events == std::vector<std::string>{"ping:hi", "pong:", "ping:2", "text:Hello"});
  CHECK(d.buffered_bytes() == 0);
}

TEST_CASE("byte-at-a-time decoding equals whole-buffer decoding") {
  const std::string input = mixed_stream();
  const Outcome whole = decode(input);
  CHECK(whole.ok);
  CHECK(whole.events == kMixedEvents);
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  const Outcome bytewise = decode_in_chunks(input, every);
  CHECK(bytewise.ok);
  CHECK(bytewise.events == kMixedEvents);
}

TEST_CASE("random chunkings decode the same") {
  const std::string input = mixed_stream();
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::size_t> pos(1, input.size() - 1);
    std::vector<std::size_t> cuts(static_cast<std::size_t>(round % 40));
    for (std::size_t& c : cuts) c = pos(rng);
    std::sort(cuts.begin(), cuts.end());
    CAPTURE(round);
    const Outcome o = decode_in_chunks(input, cuts);
    CHECK(o.ok);
    CHECK(o.events == kMixedEvents);
  }
}

TEST_CASE("a violation is found whatever the chunking") {
  const std::string input = frame(0x81, "fine") + frame(0x01, "a") + frame(0x80, "\xC3\x28");
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  const Outcome o = decode_in_chunks(input, every);
  CHECK_FALSE(o.ok);
  CHECK(o.error.close_code == 1007);
  CHECK(o.events == std::vector<std::string>{"text:fine"});
}

TEST_CASE("only frames straddling chunks are copied") {
  const std::string input = frame(0x81, "one") + frame(0x82, "two") + frame(0x81, "three");
  ws::FrameDecoder d;
  Recorder r;
  const std::size_t cut = input.size() - 2;  // inside "three"
  CHECK(d.feed(std::string_view(input).substr(0, cut), r));
  CHECK(d.buffered_bytes() == 3);
  CHECK(d.feed(std::string_view(input).substr(cut), r));
  CHECK(r.events == std::vector<std::string>{"text:one", "binary:two", "text:three"});
  CHECK(r.data[0] == input.data() + 2);
  CHECK(r.data[1] == input.data() + 7);
  const bool copied = r.data[2] < input.data() || r.data[2] >= input.data() + input.size();
  CHECK(copied);
  CHECK(d.buffered_bytes() == 0);
}

TEST_CASE("buffered_bytes counts a partial header") {
  ws::FrameDecoder d;
  Recorder r;
  CHECK(d.feed(bytes({0x82, 0x7F, 0, 0}), r));
  CHECK(d.buffered_bytes() == 4);
  CHECK(d.feed(bytes({0, 0, 0, 0, 0, 1}) + "x", r));
  CHECK(r.events == std::vector<std::string>{"binary:x"});
  CHECK(d.buffered_bytes() == 0);
}

TEST_CASE("buffers shrink back after a big message") {
  ws::FrameDecoder d;
  Recorder r;
  const std::string big = frame(0x01, std::string(300000, 'a')) + frame(0x80, "b");
  CHECK(d.feed(big, r));
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].size() == 5 + 300001);
  CHECK(d.buffer_capacity() <= 64 * 1024);
  // Small straddling frames keep their buffer: no allocation per frame once warmed up.
  const std::string small = frame(0x81, std::string(1000, 's'));
  CHECK(d.feed(std::string_view(small).substr(0, 500), r));
  CHECK(d.feed(std::string_view(small).substr(500), r));
  const std::size_t warmed = d.buffer_capacity();
  CHECK(warmed >= 1000);
  for (int i = 0; i < 10; ++i) {
    CHECK(d.feed(std::string_view(small).substr(0, 500), r));
    CHECK(d.feed(std::string_view(small).substr(500), r));
  }
  CHECK(d.buffer_capacity() == warmed);
  CHECK(r.events.size() == 12);
}

TEST_CASE("a throwing sink leaves the decoder failed with 1011") {
  ws::FrameDecoder d;
  ThrowingSink r;
  CHECK_THROWS_AS(d.feed(frame(0x81, "a") + frame(0x82, "b"), r), std::runtime_error);
  CHECK(d.failed());
  CHECK(d.error().close_code == ws::close_code::internal_error);
  CHECK(d.error().code == ErrorCode::callback_exception);
  CHECK_FALSE(d.feed(frame(0x82, "c"), r));
  CHECK(r.events.empty());
}

TEST_CASE("an empty feed changes nothing") {
  ws::FrameDecoder d;
  Recorder r;
  CHECK(d.feed({}, r));
  CHECK(d.feed(bytes({0x81}), r));
  CHECK(d.feed({}, r));
  CHECK(d.feed(bytes({0x00}), r));  // empty text completes without further bytes
  CHECK(r.events == std::vector<std::string>{"text:"});
}
