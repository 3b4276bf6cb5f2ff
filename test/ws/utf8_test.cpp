#include "ws/utf8.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace ws = pusher::detail::ws;

namespace {

/// A straightforward reference: decode the code point, then apply RFC 3629's rules.
bool reference_valid(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool split_valid(const std::string& s, std::size_t at) {
  ws::Utf8Validator v;
  const bool first = v.feed(std::string_view(s).substr(0, at));
  const bool second = v.feed(std::string_view(s).substr(at));
  return first && second && v.complete();
}

const std::vector<std::string> kValid = {
    "",
    "hello, world",
    std::string("nul\0inside", 10),
    "\xC2\x80",          // U+0080, smallest 2-byte
    "\xC3\xA9",          // é
    "\xDF\xBF",          // U+07FF
    "\xE0\xA0\x80",      // U+0800, smallest 3-byte
    "\xE2\x82\xAC",      // €
    "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
    "\xEE\x80\x80",      // U+E000, just above
    "\xEF\xBF\xBF",      // U+FFFF
    "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
    "\xF0\x9D\x84\x9E",  // 𝄞
    "\xF4\x8F\xBF\xBF",  // U+10FFFF
    std::string("Gr\xC3\xBC\xC3\x9F") + "e \xE2\x82\xAC 12 \xF0\x9F\x98\x80!",
};

const std::vector<std::string> kInvalid = {
    "\xC0\x80",          // overlong NUL
    "\xC1\xBF",          // overlong U+007F
    "\xE0\x80\x80",      // overlong 3-byte
    "\xE0\x9F\xBF",      // overlong U+07FF
    "\xF0\x80\x80\x80",  // overlong 4-byte
    "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
    "\xED\xA0\x80",      // U+D800 surrogate
    "\xED\xBF\xBF",      // U+DFFF surrogate
    "\xF4\x90\x80\x80",  // U+110000
    "\xF5\x80\x80\x80",  // lead byte beyond U+10FFFF
    "\xFF",
    "\xFE",
    "\xC3",          // truncated 2-byte
    "\xE2\x82",      // truncated 3-byte
    "\xF0\x9D\x84",  // truncated 4-byte
    "\x80",          // stray continuation
    "\xBF",
    "\xC3\x28",  // bad continuation
    "\xE2\x28\xA1",
    "\xE2\x82\x28",
    "\xF0\x9D\x28\x9E",
    "abc\xC3\xA9\xA9",  // one continuation too many
};

}  // namespace

TEST_CASE("valid_utf8 accepts well-formed text") {
  for (const std::string& s : kValid) {
    CAPTURE(s);
    CHECK(reference_valid(s));
    CHECK(ws::valid_utf8(s));
  }
}

TEST_CASE("valid_utf8 rejects overlongs, surrogates, > U+10FFFF and truncation") {
  for (const std::string& s : kInvalid) {
    CAPTURE(s);
    CHECK_FALSE(reference_valid(s));
    CHECK_FALSE(ws::valid_utf8(s));
  }
}

TEST_CASE("valid_utf8 finds a bad byte at every offset of a long ASCII run") {
  const std::string ascii(100, 'x');
  CHECK(ws::valid_utf8(ascii));
  for (std::size_t at = 0; at < ascii.size(); ++at) {
    std::string s = ascii;
    s[at] = '\x80';
    CAPTURE(at);
    CHECK_FALSE(ws::valid_utf8(s));
    s[at] = '\xF0';  // truncated lead
    CHECK_FALSE(ws::valid_utf8(s));
    std::string four = ascii.substr(0, at) + "\xF0\x9D\x84\x9E" + ascii.substr(at);
    CHECK(ws::valid_utf8(four));
  }
}

TEST_CASE("valid_utf8 agrees with the reference on every 2- and 3-byte input") {
  std::string s(2, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      s[0] = static_cast<char>(a);
      s[1] = static_cast<char>(b);
      REQUIRE(ws::valid_utf8(s) == reference_valid(s));
    }
  }
  s.assign(3, '\0');
  for (int a = 0xE0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        REQUIRE(ws::valid_utf8(s) == reference_valid(s));
      }
    }
  }
}

TEST_CASE("valid_utf8 agrees with the reference on 4-byte inputs") {
  std::string s(4, '\x80');
  for (int a = 0xF0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : {0x00, 0x7F, 0x80, 0xBF, 0xC0}) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        REQUIRE(ws::valid_utf8(s) == reference_valid(s));
      }
    }
  }
}

TEST_CASE("Utf8Validator carries a partial sequence across pieces") {
  for (const auto* table : {&kValid, &kInvalid}) {
    for (const std::string& s : *table) {
      for (std::size_t at = 0; at <= s.size(); ++at) {
        CAPTURE(s);
        CAPTURE(at);
        CHECK(split_valid(s, at) == ws::valid_utf8(s));
      }
    }
  }
}

TEST_CASE("Utf8Validator fails at the first bad byte and stays failed") {
  ws::Utf8Validator v;
  CHECK(v.feed("ok \xC3"));
  CHECK_FALSE(v.complete());  // a sequence is open
  CHECK_FALSE(v.failed());
  CHECK_FALSE(v.feed("\x28"));
  CHECK(v.failed());
  CHECK_FALSE(v.feed("fine"));
  CHECK_FALSE(v.complete());
  v.reset();
  CHECK(v.feed("fine"));
  CHECK(v.complete());
}
