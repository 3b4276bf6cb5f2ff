// libFuzzer target: the WebSocket frame decoder (src/ws/frame_decoder.cpp), fed the same byte
// stream twice, whole and cut into chunks; both must deliver the same messages and reach the
// same verdict, and the buffers must stay within the message size bound.
//
// Input layout: byte 0 = options (low 4 bits: max message size from kMaxSizes; bits 4-5:
// chunking mode; bit 7: a sink that throws), byte 1 = chunking seed, the rest = server bytes.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "ws/frame.hpp"

namespace {

namespace ws = pusher::detail::ws;
using pusher_fuzz::Rng;

constexpr std::size_t kMaxSizes[16] = {0,   1,    2,     3,     16,      125,   126,   127,
                                       128, 1000, 4096,  10000, 65535, 65536, 100000, 1u << 20};

/// Records every callback as one string, so two runs can be compared.
class Recorder final : public ws::FrameSink {
 public:
  std::vector<std::string> log;
  int throw_at = -1;  ///< throw on this callback (0-based), -1 never

  void on_text(std::string_view m) override { add('T', m); }
  void on_binary(std::string_view m) override { add('B', m); }
  void on_ping(std::string_view p) override {
    FUZZ_CHECK(p.size() <= 125);
    add('P', p);
  }
  void on_pong(std::string_view p) override {
    FUZZ_CHECK(p.size() <= 125);
    add('O', p);
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    FUZZ_CHECK(code == ws::close_code::no_status || ws::valid_close_code(code));
    FUZZ_CHECK(reason.size() <= 123);
    add('C', std::to_string(code) + ":" + std::string(reason));
  }

 private:
  void add(char kind, std::string_view payload) {
    if (throw_at == static_cast<int>(log.size())) throw std::runtime_error("sink throws");
    log.push_back(kind + std::string(payload));
  }
};

/// The next chunk length for `mode`: single bytes, up to 7, up to 200, or 0..300 (empty
/// feeds included).
std::size_t chunk_length(int mode, Rng& rng) {
  switch (mode) {
    case 0: return 1;
    case 1: return rng.between(1, 7);
    case 2: return rng.between(1, 200);
    default: return rng.between(0, 300);
  }
}

void check_bounds(const ws::FrameDecoder& d, std::size_t max) {
  // A message never holds more than max bytes, a control frame 125, a header 10.
  FUZZ_CHECK(d.buffered_bytes() <= max + 125 + 10);
  // Reservations are capped by what the header announced (itself within max) and grow by
  // doubling: allow twice the bound, plus small-string and control-frame slack.
  FUZZ_CHECK(d.buffer_capacity() <= 2 * max + 512);
}

/// Feeds `stream` in chunks; returns the decoder's final state through `d` and `sink`.
void feed_chunked(ws::FrameDecoder& d, Recorder& sink, std::string_view stream, int mode,
                  std::uint32_t seed, std::size_t max) {
  Rng rng(seed);
  std::size_t at = 0;
  while (at <= stream.size()) {
    const std::size_t n = std::min(chunk_length(mode, rng), stream.size() - at);
    const bool ok = d.feed(stream.substr(at, n), sink);
    FUZZ_CHECK(ok == !d.failed());
    if (!ok) break;
    check_bounds(d, max);
    at += n;
    if (at == stream.size()) break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  const std::size_t max = kMaxSizes[options & 0x0F];
  const int mode = (options >> 4) & 0x03;
  const bool throwing = (options & 0x80) != 0;
  const std::uint32_t seed = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  // Whole: one feed() call.
  ws::FrameDecoder whole(max);
  Recorder whole_sink;
  const bool whole_ok = whole.feed(stream, whole_sink);
  FUZZ_CHECK(whole_ok == !whole.failed());
  if (whole_ok) check_bounds(whole, max);

  // Chunked: the same bytes in pieces.
  ws::FrameDecoder chunked(max);
  Recorder chunked_sink;
  feed_chunked(chunked, chunked_sink, stream, mode, seed, max);

  FUZZ_CHECK(whole.failed() == chunked.failed());
  FUZZ_CHECK(whole.closed() == chunked.closed());
  if (whole.failed()) {
    FUZZ_CHECK(whole.error().close_code == chunked.error().close_code);
    FUZZ_CHECK(whole.error().code == chunked.error().code);
    FUZZ_CHECK(!whole.error().message.empty());
    FUZZ_CHECK(whole.buffered_bytes() == 0 && chunked.buffered_bytes() == 0);
    // Failed for good.
    FUZZ_CHECK(!whole.feed("\x81\x00", whole_sink));
  }
  FUZZ_CHECK(whole_sink.log == chunked_sink.log);
  if (whole.closed() && !whole.failed()) {
    // Nothing is read after a close frame.
    FUZZ_CHECK(whole.feed("\x81\x01x", whole_sink));
    FUZZ_CHECK(whole_sink.log == chunked_sink.log);
  }

  // A sink that throws: the exception propagates and the decoder is failed afterwards.
  if (throwing && !whole_sink.log.empty()) {
    ws::FrameDecoder d(max);
    Recorder sink;
    sink.throw_at = static_cast<int>(seed % whole_sink.log.size());
    bool threw = false;
    try {
      feed_chunked(d, sink, stream, mode, seed, max);
    } catch (const std::runtime_error&) {
      threw = true;
    }
    FUZZ_CHECK(threw);
    FUZZ_CHECK(d.failed());
    FUZZ_CHECK(d.error().code == pusher::ErrorCode::callback_exception);
    FUZZ_CHECK(d.error().close_code == ws::close_code::internal_error);
    FUZZ_CHECK(!d.feed("\x8a\x00", sink));
  }
  return 0;
}
