#include "ws/frame.hpp"

#include <cstring>
#include <stdexcept>

#include <openssl/rand.h>

namespace pusher::detail::ws {
namespace {

/// Mask keys drawn from the CSPRNG in batches, one pool per thread: RAND_bytes per frame
/// would dominate the cost of small frames.
class MaskPool {
 public:
  MaskKey next() {
    if (used_ + 4 > pool_.size()) refill();
    MaskKey key;
    std::memcpy(key.data(), pool_.data() + used_, 4);
    used_ += 4;
    return key;
  }

 private:
  void refill() {
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    used_ = 0;
  }

  std::array<unsigned char, 256> pool_{};
  std::size_t used_ = 256;
};

/// Writes `n` bytes of `src` XOR the repeating key to `dst` (RFC 6455 §5.3), eight at a time.
void mask_copy(char* dst, const char* src, std::size_t n, const MaskKey& key) noexcept {
  std::uint64_t word;
  unsigned char pattern[8];
  for (std::size_t i = 0; i < 8; ++i) pattern[i] = key[i % 4];
  std::memcpy(&word, pattern, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, src + i, 8);
    chunk ^= word;
    std::memcpy(dst + i, &chunk, 8);
  }
  for (; i < n; ++i) dst[i] = static_cast<char>(src[i] ^ static_cast<char>(key[i % 4]));
}

/// Writes the frame header (§5.2) with FIN and MASK set; returns its length (at most 14).
std::size_t write_header(unsigned char* h, Opcode op, std::uint64_t size, const MaskKey& key) {
  h[0] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(op));
  std::size_t at = 2;
  if (size < 126) {
    h[1] = static_cast<unsigned char>(0x80 | size);
  } else if (size <= 0xFFFF) {
    h[1] = 0x80 | 126;
    for (int shift = 8; shift >= 0; shift -= 8) h[at++] = static_cast<unsigned char>(size >> shift);
  } else {
    h[1] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      h[at++] = static_cast<unsigned char>(size >> shift);
  }
  std::memcpy(h + at, key.data(), 4);
  return at + 4;
}

/// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t limit) noexcept {
  if (s.size() <= limit) return s;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

void encode_frame(Opcode op, std::string_view payload, const MaskKey& mask, std::string& out) {
  if ((static_cast<std::uint8_t>(op) & 0x08) != 0 && payload.size() > 125) {
    throw std::invalid_argument("control frame payload over 125 bytes");
  }
  unsigned char header[14];
  const std::size_t header_size = write_header(header, op, payload.size(), mask);
  const std::size_t start = out.size();
  out.resize(start + header_size + payload.size());
  std::memcpy(out.data() + start, header, header_size);
  mask_copy(out.data() + start + header_size, payload.data(), payload.size(), mask);
}

void encode_frame(Opcode op, std::string_view payload, std::string& out) {
  thread_local MaskPool pool;
  encode_frame(op, payload, pool.next(), out);
}

void encode_close(std::uint16_t code, std::string_view reason, std::string& out) {
  if (code == close_code::no_status) return encode_frame(Opcode::close, {}, out);
  if (!valid_close_code(code)) throw std::invalid_argument("close code may not be sent");
  // §5.5: a control payload is at most 125 bytes, two of which hold the code.
  const std::string_view kept = utf8_prefix(reason, 123);
  char body[125];
  body[0] = static_cast<char>(code >> 8);
  body[1] = static_cast<char>(code & 0xFF);
  if (!kept.empty()) std::memcpy(body + 2, kept.data(), kept.size());
  encode_frame(Opcode::close, std::string_view(body, 2 + kept.size()), out);
}

}  // namespace pusher::detail::ws
