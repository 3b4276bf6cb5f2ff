#include "ws/frame.hpp"

#include <algorithm>
#include <cstring>

namespace pusher::detail::ws {
namespace {

// A buffer that grew for a big message is released once the message is delivered.
constexpr std::size_t kKeepCapacity = std::size_t{64} * 1024;
// Never reserve more than this ahead of the bytes actually received: a header announcing a
// large (but allowed) frame must not allocate it all before the payload arrives.
constexpr std::size_t kMaxReserveAhead = std::size_t{1024} * 1024;

bool is_control(Opcode op) noexcept {
  return (static_cast<std::uint8_t>(op) & 0x08) != 0;
}

bool known_opcode(std::uint8_t op) noexcept {
  return op <= 2 || (op >= 8 && op <= 10);
}

std::uint64_t read_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

bool valid_close_code(std::uint16_t code) noexcept {
  // RFC 6455 §7.4.1/§7.4.2: 1004 is reserved, 1005, 1006 and 1015 must never be sent.
  // 1012-1014 are IANA-registered (restart, try again later, bad gateway) and servers send
  // them; 3000-3999 are registered and 4000-4999 private (Pusher's own codes live there).
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

FrameDecoder::FrameDecoder(std::size_t max_message_size) : max_message_size_(max_message_size) {}

std::size_t FrameDecoder::buffered_bytes() const noexcept {
  return header_have_ + message_.size() + control_.size();
}

bool FrameDecoder::feed(std::string_view bytes, FrameSink& sink) {
  if (failed_) return false;
  if (closed_) return true;
  try {
    const bool ok = consume(bytes.data(), bytes.size(), sink);
    if (closed_) release();  // nothing after the close frame is read (RFC 6455 §5.5.1)
    return ok;
  } catch (...) {
    fail(close_code::internal_error, ErrorCode::callback_exception, "a FrameSink callback threw");
    throw;
  }
}

bool FrameDecoder::consume(const char* p, std::size_t n, FrameSink& sink) {
  while (!closed_) {
    std::size_t used = 0;
    if (stage_ == Stage::header) {
      if (n == 0) break;
      used = read_header(p, n);
    } else {
      // A frame whose header is complete is finished even with no bytes left (empty payload).
      if (n == 0 && remaining_ != 0) break;
      used = read_payload(p, n, sink);
    }
    if (failed_) return false;
    p += used;
    n -= used;
  }
  return true;
}

std::size_t FrameDecoder::read_header(const char* p, std::size_t n) {
  std::size_t used = 0;
  while (used < n) {
    const std::size_t take = std::min(header_need_ - header_have_, n - used);
    std::memcpy(header_.data() + header_have_, p + used, take);
    header_have_ += take;
    used += take;
    if (header_have_ < header_need_) continue;
    // The first two bytes decide most violations; check them before waiting for the length.
    if (header_need_ == 2 && !check_first_bytes()) return used;
    if (header_have_ < header_need_) continue;
    if (!check_length()) return used;
    header_have_ = 0;
    header_need_ = 2;
    stage_ = Stage::payload;
    break;
  }
  return used;
}

bool FrameDecoder::check_first_bytes() {
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  const std::uint8_t op = b0 & 0x0F;
  const std::uint8_t len7 = b1 & 0x7F;
  fin_ = (b0 & 0x80) != 0;
  opcode_ = static_cast<Opcode>(op);
  const auto protocol = ErrorCode::protocol_error;
  // §5.2: RSV1-3 must be 0 unless an extension was negotiated, and we offer none.
  if ((b0 & 0x70) != 0) return fail(close_code::protocol_error, protocol, "reserved bits set");
  if (!known_opcode(op)) return fail(close_code::protocol_error, protocol, "reserved opcode");
  // §5.1: a client must close the connection on a masked frame from the server.
  if ((b1 & 0x80) != 0) return fail(close_code::protocol_error, protocol, "masked server frame");
  if (is_control(opcode_)) {
    // §5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!fin_) return fail(close_code::protocol_error, protocol, "fragmented control frame");
    if (len7 > 125)
      return fail(close_code::protocol_error, protocol, "control frame payload over 125 bytes");
  } else if (opcode_ == Opcode::continuation) {
    if (!in_message_)
      return fail(close_code::protocol_error, protocol, "continuation frame without a message");
  } else if (in_message_) {
    // §5.4: fragments of one message are not interleaved with another message.
    return fail(close_code::protocol_error, protocol, "data frame inside fragmented message");
  }
  header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
  return true;
}

bool FrameDecoder::check_length() {
  const std::uint8_t len7 = header_[1] & 0x7F;
  std::uint64_t size = len7;
  if (len7 == 126) size = read_be(&header_[2], 2);
  if (len7 == 127) size = read_be(&header_[2], 8);
  // §5.2: the most significant bit of the 64-bit length must be 0. A length in a longer form
  // than needed breaks the "minimal number of bytes" rule, but §5.2 names no failure for it and
  // refusing it gains nothing, so it is accepted.
  if ((size >> 63) != 0) {
    return fail(close_code::protocol_error, ErrorCode::protocol_error,
                "64-bit length with the top bit set");
  }
  if (!is_control(opcode_)) {
    // Checked on the header, before any of the payload is buffered.
    const std::size_t held = in_message_ ? message_.size() : 0;
    if (held > max_message_size_ || size > max_message_size_ - held) {
      return fail(close_code::message_too_big, ErrorCode::message_too_large,
                  "message larger than the maximum size");
    }
    if (opcode_ != Opcode::continuation) {
      message_opcode_ = opcode_;
      utf8_.reset();
    }
    in_message_ = !fin_;
  }
  frame_size_ = size;
  remaining_ = size;
  return true;
}

std::size_t FrameDecoder::read_payload(const char* p, std::size_t n, FrameSink& sink) {
  const bool control = is_control(opcode_);
  const bool whole = remaining_ == frame_size_ && remaining_ <= n;
  if (whole && (control || (fin_ && opcode_ != Opcode::continuation))) {
    // Fast path: the whole unfragmented frame is in the caller's buffer; hand out a view.
    const auto size = static_cast<std::size_t>(remaining_);
    const std::string_view payload(p, size);
    remaining_ = 0;
    stage_ = Stage::header;
    if (control) {
      deliver_control(payload, sink);
    } else if (opcode_ == Opcode::text && !valid_utf8(payload)) {
      fail(close_code::invalid_payload, ErrorCode::invalid_utf8, "text message is not UTF-8");
    } else {
      deliver_message(payload, sink);
    }
    return size;
  }
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n));
  if (control) {
    if (control_.capacity() < 125) control_.reserve(125);  // once; kept across frames
    control_.append(p, take);
  } else if (!append_data(p, take)) {
    return take;
  }
  remaining_ -= take;
  if (remaining_ == 0) {
    stage_ = Stage::header;
    finish_buffered(sink);
  }
  return take;
}

bool FrameDecoder::append_data(const char* p, std::size_t n) {
  // Text is checked as it arrives, so a bad fragment fails before the message completes.
  if (message_opcode_ == Opcode::text && !utf8_.feed(std::string_view(p, n))) {
    return fail(close_code::invalid_payload, ErrorCode::invalid_utf8, "text message is not UTF-8");
  }
  const std::size_t need = message_.size() + static_cast<std::size_t>(remaining_);
  if (need > message_.capacity()) {
    const std::size_t capped = std::min(need, message_.size() + kMaxReserveAhead);
    message_.reserve(std::max(capped, 2 * message_.capacity()));
  }
  message_.append(p, n);
  return true;
}

void FrameDecoder::finish_buffered(FrameSink& sink) {
  if (is_control(opcode_)) {
    deliver_control(control_, sink);
    control_.clear();
    return;
  }
  if (!fin_) return;  // more fragments to come
  if (message_opcode_ == Opcode::text && !utf8_.complete()) {
    fail(close_code::invalid_payload, ErrorCode::invalid_utf8, "text message ends mid-sequence");
    return;
  }
  deliver_message(message_, sink);
  end_message();
}

void FrameDecoder::deliver_message(std::string_view message, FrameSink& sink) {
  if (message_opcode_ == Opcode::text) {
    sink.on_text(message);
  } else {
    sink.on_binary(message);
  }
}

void FrameDecoder::deliver_control(std::string_view payload, FrameSink& sink) {
  if (opcode_ == Opcode::ping) return sink.on_ping(payload);
  if (opcode_ == Opcode::pong) return sink.on_pong(payload);
  const auto protocol = ErrorCode::protocol_error;
  if (payload.empty()) {
    closed_ = true;
    return sink.on_close(close_code::no_status, {});
  }
  // §5.5.1: a close body starts with a 2-byte code, then an optional UTF-8 reason.
  if (payload.size() == 1) {
    fail(close_code::protocol_error, protocol, "close frame with a 1-byte body");
    return;
  }
  const auto code =
      static_cast<std::uint16_t>(read_be(reinterpret_cast<const std::uint8_t*>(payload.data()), 2));
  const std::string_view reason = payload.substr(2);
  if (!valid_close_code(code)) {
    fail(close_code::protocol_error, protocol, "invalid close code");
  } else if (!valid_utf8(reason)) {
    fail(close_code::invalid_payload, ErrorCode::invalid_utf8, "close reason is not UTF-8");
  } else {
    closed_ = true;
    sink.on_close(code, reason);
  }
}

void FrameDecoder::end_message() {
  message_.clear();
  if (message_.capacity() > kKeepCapacity) std::string().swap(message_);
  in_message_ = false;
  utf8_.reset();
}

bool FrameDecoder::fail(std::uint16_t close, ErrorCode code, const char* message) {
  failed_ = true;
  error_ = DecodeError{close, code, message};
  release();
  return false;
}

void FrameDecoder::release() noexcept {
  std::string().swap(message_);
  std::string().swap(control_);
  header_have_ = 0;
}

}  // namespace pusher::detail::ws
