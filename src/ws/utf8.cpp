#include "ws/utf8.hpp"

#include <cstring>

namespace pusher::detail::ws {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

/// Skips a run of ASCII bytes, eight at a time while possible.
const unsigned char* skip_ascii(const unsigned char* p, const unsigned char* end) noexcept {
  while (end - p >= 16) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    if (((a | b) & kHighBits) != 0) break;
    p += 16;
  }
  while (end - p >= 8) {
    std::uint64_t a;
    std::memcpy(&a, p, 8);
    if ((a & kHighBits) != 0) break;
    p += 8;
  }
  while (p != end && *p < 0x80) ++p;
  return p;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

bool Utf8Validator::feed(std::string_view piece) noexcept {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(piece.data());
  const auto* end = p + piece.size();
  while (p != end) {
    if (need_ != 0) {
      if (*p < lo_ || *p > hi_) {
        failed_ = true;
        return false;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
      ++p;
      continue;
    }
    p = skip_ascii(p, end);
    if (p == end) break;
    // RFC 3629 §4: the first continuation byte's range rules out overlong forms (E0, F0),
    // UTF-16 surrogates (ED) and code points above U+10FFFF (F4).
    const unsigned char c = *p++;
    if (c >= 0xC2 && c <= 0xDF) {
      need_ = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need_ = 2;
      if (c == 0xE0) lo_ = 0xA0;
      if (c == 0xED) hi_ = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need_ = 3;
      if (c == 0xF0) lo_ = 0x90;
      if (c == 0xF4) hi_ = 0x8F;
    } else {
      failed_ = true;  // a stray continuation byte, C0/C1 (always overlong), or F5-FF
      return false;
    }
  }
  return true;
}

}  // namespace pusher::detail::ws
