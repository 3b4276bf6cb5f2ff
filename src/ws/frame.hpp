#pragma once

/// @file
/// WebSocket framing for a client (RFC 6455 §5): an incremental decoder for server frames and
/// encoders for masked client frames. Pure code, no I/O.

#include <pusher/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/utf8.hpp"

namespace pusher::detail::ws {

/// Frame opcodes (RFC 6455 §5.2); 3-7 and 11-15 are reserved.
enum class Opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

/// Close status codes (RFC 6455 §7.4.1).
namespace close_code {
constexpr std::uint16_t normal = 1000, going_away = 1001, protocol_error = 1002,
                        unsupported_data = 1003, no_status = 1005, abnormal = 1006,
                        invalid_payload = 1007, policy_violation = 1008, message_too_big = 1009,
                        internal_error = 1011;
}  // namespace close_code

/// Why decoding stopped: the close code to send to the server and the SDK error code.
struct DecodeError {
  std::uint16_t close_code = 0;
  pusher::ErrorCode code = pusher::ErrorCode::ok;
  std::string message;
};

/// Receives decoded messages and control frames, in wire order. The views are valid only
/// during the call.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  /// A complete text message, already checked to be valid UTF-8.
  virtual void on_text(std::string_view message) = 0;
  /// A complete binary message.
  virtual void on_binary(std::string_view message) = 0;
  /// A ping; the caller should answer with a pong carrying the same payload.
  virtual void on_ping(std::string_view payload) = 0;
  /// A pong.
  virtual void on_pong(std::string_view payload) = 0;
  /// A close frame; code is 1005 (no_status) when the frame had no body.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

/// Decodes the server-to-client byte stream, whatever its chunking. Unfragmented frames that
/// lie whole inside one feed() call reach the sink as views into the input, without a copy;
/// only frames that straddle chunks and fragmented messages are buffered.
///
/// Thread safety: none; one instance per connection, used from one thread.
class FrameDecoder {
 public:
  /// `max_message_size` bounds a whole message (the sum of its fragments), in bytes.
  explicit FrameDecoder(std::size_t max_message_size = 1u << 20);

  /// Consumes all of `bytes`, calling `sink` for each complete message or control frame.
  /// Returns false at the first protocol violation (error() says why) and on every later call.
  /// After a close frame further input is ignored and true is returned. If a sink callback
  /// throws, the decoder fails (close 1011, callback_exception) and the exception propagates.
  bool feed(std::string_view bytes, FrameSink& sink);
  /// True once a violation was found.
  bool failed() const noexcept { return failed_; }
  /// The violation, valid when failed().
  const DecodeError& error() const noexcept { return error_; }
  /// True once a close frame was received.
  bool closed() const noexcept { return closed_; }
  /// Bytes held for incomplete frames or messages.
  std::size_t buffered_bytes() const noexcept;
  /// Bytes reserved by the internal buffers, held or not (they shrink back after big messages).
  std::size_t buffer_capacity() const noexcept { return message_.capacity() + control_.capacity(); }
  /// Changes the message size bound; it applies from the next frame header.
  void set_max_message_size(std::size_t n) noexcept { max_message_size_ = n; }

 private:
  enum class Stage : std::uint8_t { header, payload };

  bool consume(const char* p, std::size_t n, FrameSink& sink);
  std::size_t read_header(const char* p, std::size_t n);
  bool check_first_bytes();
  bool check_length();
  std::size_t read_payload(const char* p, std::size_t n, FrameSink& sink);
  bool append_data(const char* p, std::size_t n);
  void finish_buffered(FrameSink& sink);
  void deliver_message(std::string_view message, FrameSink& sink);
  void deliver_control(std::string_view payload, FrameSink& sink);
  void end_message();
  void release() noexcept;
  bool fail(std::uint16_t close, pusher::ErrorCode code, const char* message);

  std::size_t max_message_size_;
  Stage stage_ = Stage::header;
  std::array<std::uint8_t, 10> header_{};  // 2 fixed bytes + up to 8 length bytes
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 2;
  Opcode opcode_ = Opcode::continuation;  // of the current frame
  bool fin_ = false;
  std::uint64_t frame_size_ = 0;
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  bool in_message_ = false;      // a fragmented message is open
  Opcode message_opcode_ = Opcode::text;
  std::string message_;  // buffered data payload (fragments or straddling)
  std::string control_;  // buffered control payload straddling chunks
  Utf8Validator utf8_;
  bool failed_ = false;
  bool closed_ = false;
  DecodeError error_;
};

/// True when a server may send `code` in a close frame (RFC 6455 §7.4): 1000-1003, 1007-1014
/// and 3000-4999. 1004-1006 and 1015 are reserved for local use and never sent.
bool valid_close_code(std::uint16_t code) noexcept;

/// A masking key (RFC 6455 §5.3).
using MaskKey = std::array<std::uint8_t, 4>;

/// Appends one masked frame with FIN set and a fresh mask from the CSPRNG (RFC 6455 §5.3).
/// `payload` must not point into `out`. Throws std::invalid_argument for a control frame with
/// more than 125 bytes, std::runtime_error if the CSPRNG fails.
void encode_frame(Opcode op, std::string_view payload, std::string& out);

/// As above with a given mask: for tests, fuzzers and benchmarks only.
void encode_frame(Opcode op, std::string_view payload, const MaskKey& mask, std::string& out);

/// Appends a close frame. The reason is cut to fit 123 bytes, on a UTF-8 boundary. no_status
/// (1005) sends a close frame without a body. Throws std::invalid_argument for any other code
/// that valid_close_code() rejects.
void encode_close(std::uint16_t code, std::string_view reason, std::string& out);

}  // namespace pusher::detail::ws
