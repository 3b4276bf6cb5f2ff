#include "net/websocket.hpp"

#include <sys/epoll.h>

#include <utility>

#include "net/url.hpp"

namespace pusher::detail::net {
namespace {

// Read at most this much per wake-up before letting other connections run (a firehose
// must not starve its neighbours on a shared loop).
constexpr std::size_t kReadBudget = 1u << 20;
// Give back write-buffer memory after a burst.
constexpr std::size_t kKeepOutCapacity = 64 * 1024;
constexpr std::size_t kMaxPongBacklog = 64 * 1024;

Error make_error(ErrorCode code, std::string message, int server_code = 0) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.server_code = server_code;
  return e;
}

}  // namespace

WebSocket::WebSocket(EventLoop& loop, WebSocketListener& listener)
    : loop_(loop), listener_(listener) {}

WebSocket::~WebSocket() {
  *alive_ = false;
  release();
}

void WebSocket::connect(WebSocketOptions options) {
  if (state_ != State::idle && state_ != State::closed) return;
  options_ = std::move(options);
  close_ = CloseEvent{};
  finish_after_flush_ = false;
  out_.clear();
  out_offset_ = 0;
  handshake_buf_.clear();
  decoder_ = std::make_unique<ws::FrameDecoder>(options_.max_message_size);
  state_ = State::connecting;

  std::string error;
  auto url = parse_ws_url(options_.url, error);
  if (!url) {
    // Report on the next turn of the loop: on_close never runs inside connect().
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive, error] {
      if (alive.expired()) return;
      fail(0, make_error(ErrorCode::connect_failed, "invalid URL: " + error));
    });
    return;
  }
  key_ = ws::random_key();
  out_ = ws::build_request(url->host_header(), url->target, key_, options_.headers);

  easy_ = curl_easy_init();
  curl_error_ = std::make_unique<char[]>(CURL_ERROR_SIZE);
  curl_error_[0] = '\0';
  std::string http_url = url->http_url();
  curl_easy_setopt(easy_, CURLOPT_URL, http_url.c_str());
  curl_easy_setopt(easy_, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  // We read through the loop's shared buffer: libcurl's own can be small (a smaller one saves
  // memory per idle connection).
  curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, 1024L);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, curl_error_.get());
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  // Without a tunnel the upgrade request would go to the proxy itself
  // (CURLOPT_HTTPPROXYTUNNEL).
  curl_easy_setopt(easy_, CURLOPT_HTTPPROXYTUNNEL, 1L);
  // Nothing may negotiate HTTP/2 under the upgrade.
  curl_easy_setopt(easy_, CURLOPT_SSL_ENABLE_ALPN, 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, options_.verify_peer ? 1L : 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, options_.verify_peer ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.proxy) curl_easy_setopt(easy_, CURLOPT_PROXY, options_.proxy->c_str());

  std::weak_ptr<bool> alive = alive_;
  timer_ = loop_.add_timer(options_.connect_timeout, [this, alive] {
    if (alive.expired()) return;
    timer_ = 0;
    fail(0, make_error(ErrorCode::timeout, "no WebSocket handshake within the connect timeout"));
  });
  loop_.add_transfer(easy_, [this, alive](int code) {
    if (!alive.expired()) on_connected(code);
  });
}

void WebSocket::on_connected(int curl_code) {
  if (state_ != State::connecting) return;
  if (curl_code != CURLE_OK) {
    std::string detail = curl_error_[0] ? curl_error_.get()
                                         : curl_easy_strerror(static_cast<CURLcode>(curl_code));
    // server_code is for what a server said (close codes, Pusher codes): libcurl's own code
    // goes into the message.
    fail(0, make_error(ErrorCode::connect_failed,
                       "connect failed: " + detail + " (libcurl error " + std::to_string(curl_code) + ")"));
    return;
  }
  curl_socket_t fd = CURL_SOCKET_BAD;
  curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &fd);
  if (fd == CURL_SOCKET_BAD) {
    fail(0, make_error(ErrorCode::connect_failed, "connect failed: no socket"));
    return;
  }
  fd_ = static_cast<int>(fd);
  state_ = State::handshaking;
  loop_.watch(fd_, EPOLLIN, this);
  flush();
}

bool WebSocket::send_text(std::string_view message) {
  if (state_ != State::open) return false;
  ws::encode_frame(ws::Opcode::text, message, out_);
  flush();
  return true;
}

bool WebSocket::send_ping(std::string_view payload) {
  if (state_ != State::open) return false;
  ws::encode_frame(ws::Opcode::ping, payload.substr(0, 125), out_);
  flush();
  return true;
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
  switch (state_) {
    case State::idle:
    case State::closed:
    case State::closing:
      return;
    case State::connecting:
    case State::handshaking:
      close_.error = Error{};
      finish();
      return;
    case State::open:
      send_close_frame(code, reason);
      return;
  }
}

void WebSocket::abort(Error error) {
  if (state_ == State::idle || state_ == State::closed) return;
  close_.error = std::move(error);
  finish();
}

void WebSocket::send_close_frame(std::uint16_t code, std::string_view reason) {
  state_ = State::closing;
  close_.sent_code = code;
  ws::encode_close(code, reason, out_);
  if (timer_ != 0) loop_.cancel_timer(timer_);
  std::weak_ptr<bool> alive = alive_;
  timer_ = loop_.add_timer(options_.close_timeout, [this, alive] {
    if (alive.expired()) return;
    timer_ = 0;
    finish();  // the server never finished the closing handshake: drop the TCP connection
  });
  flush();
}

void WebSocket::fail(std::uint16_t send_code, Error error) {
  close_.error = std::move(error);
  if (send_code != 0 && (state_ == State::open || state_ == State::closing)) {
    if (state_ == State::open) send_close_frame(send_code, close_.error.message);
    // RFC 6455 §7.1.7: after a failure, send the close frame and drop the connection.
    finish_after_flush_ = true;
    flush();
    return;
  }
  finish();
}

void WebSocket::on_io(std::uint32_t events) {
  if (events & EPOLLOUT) flush();
  if (state_ == State::closed || state_ == State::idle) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_available();
}

void WebSocket::read_available() {
  std::vector<char>& buf = loop_.read_buffer();
  std::size_t budget = kReadBudget;
  std::weak_ptr<bool> alive = alive_;
  // Drain until CURLE_AGAIN: TLS keeps decrypted bytes inside OpenSSL where epoll cannot see
  // them (curl_easy_recv(3): read until CURLE_AGAIN).
  while (state_ == State::handshaking || state_ == State::open || state_ == State::closing) {
    if (budget == 0) {
      if (!continue_reading_posted_) {
        continue_reading_posted_ = true;
        loop_.post([this, alive] {
          if (alive.expired()) return;
          continue_reading_posted_ = false;
          read_available();
        });
      }
      return;
    }
    std::size_t n = 0;
    CURLcode rc = curl_easy_recv(easy_, buf.data(), buf.size(), &n);
    if (rc == CURLE_AGAIN) return;
    if (rc != CURLE_OK) {
      fail(0, make_error(ErrorCode::io_error, std::string("receive failed: ") + curl_easy_strerror(rc)));
      return;
    }
    if (n == 0) {  // end of stream (curl_easy_recv(3): 0 bytes is EOF)
      if (state_ == State::closing && decoder_->closed()) {
        finish();
      } else {
        fail(0, make_error(ErrorCode::connection_closed,
                           "the server closed the TCP connection without a close frame",
                           ws::close_code::abnormal));
      }
      return;
    }
    budget -= std::min(budget, n);
    consume(std::string_view(buf.data(), n));
    if (alive.expired()) return;
  }
}

void WebSocket::consume(std::string_view bytes) {
  if (state_ == State::handshaking) {
    consume_handshake(bytes);
    return;
  }
  if (!decoder_->feed(bytes, *this)) {
    const ws::DecodeError& e = decoder_->error();
    if (state_ == State::open || state_ == State::closing) {
      fail(e.close_code, make_error(e.code, e.message, e.close_code));
    }
  }
}

void WebSocket::consume_handshake(std::string_view bytes) {
  handshake_buf_.append(bytes);
  ws::HandshakeResponse r = ws::parse_response(handshake_buf_, key_);
  if (r.status == ws::HandshakeResponse::Status::incomplete) return;
  if (r.status == ws::HandshakeResponse::Status::rejected) {
    fail(0, make_error(ErrorCode::handshake_failed, "WebSocket upgrade refused: " + r.error,
                       r.http_status));
    return;
  }
  std::string rest = handshake_buf_.substr(r.consumed);
  handshake_buf_.clear();
  handshake_buf_.shrink_to_fit();
  if (timer_ != 0) loop_.cancel_timer(timer_);
  timer_ = 0;
  state_ = State::open;
  std::weak_ptr<bool> alive = alive_;
  listener_.on_open();
  // Bytes after the 101 are already frames (soketi sends connection_established at once).
  if (!alive.expired() && state_ == State::open && !rest.empty()) consume(rest);
}

void WebSocket::on_text(std::string_view message) {
  if (state_ == State::open) listener_.on_text(message);
}

void WebSocket::on_binary(std::string_view message) {
  if (state_ == State::open) listener_.on_binary(message);
}

void WebSocket::on_ping(std::string_view payload) {
  if (state_ != State::open) return;
  // A server that pings without reading would grow the write queue without end: past a
  // backlog, skip pongs (RFC 6455 §5.5.3 lets a client answer only the latest ping).
  if (queued_bytes() > kMaxPongBacklog) return;
  ws::encode_frame(ws::Opcode::pong, payload, out_);
  flush();
}

void WebSocket::on_pong(std::string_view payload) {
  if (state_ == State::open) listener_.on_pong(payload);
}

void WebSocket::on_close(std::uint16_t code, std::string_view reason) {
  close_.code = code;
  close_.reason = std::string(reason);
  if (state_ == State::open) {
    // Echo the server's code (RFC 6455 §5.5.1); a close without a code gets one without too.
    state_ = State::closing;
    if (code == ws::close_code::no_status) {
      ws::encode_frame(ws::Opcode::close, {}, out_);
    } else {
      ws::encode_close(code, {}, out_);
    }
    close_.sent_code = code == ws::close_code::no_status ? 0 : code;
    Error e = make_error(ErrorCode::connection_closed,
                         "the server closed the connection (" + std::to_string(code) +
                             (reason.empty() ? "" : ": " + std::string(reason)) + ")",
                         code);
    close_.error = std::move(e);
  }
  close_.clean = true;
  finish_after_flush_ = true;
  flush();
}

void WebSocket::flush() {
  if (easy_ == nullptr || fd_ < 0) return;
  while (out_offset_ < out_.size()) {
    std::size_t n = 0;
    CURLcode rc = curl_easy_send(easy_, out_.data() + out_offset_, out_.size() - out_offset_, &n);
    if (rc == CURLE_AGAIN) break;
    if (rc != CURLE_OK) {
      out_.clear();
      out_offset_ = 0;
      fail(0, make_error(ErrorCode::io_error, std::string("send failed: ") + curl_easy_strerror(rc)));
      return;
    }
    out_offset_ += n;
  }
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
    if (out_.capacity() > kKeepOutCapacity) out_.shrink_to_fit();
    if (finish_after_flush_) {
      finish();
      return;
    }
  }
  update_interest();
}

void WebSocket::update_interest() {
  bool want_out = out_offset_ < out_.size();
  if (want_out == want_out_) return;
  want_out_ = want_out;
  loop_.watch(fd_, EPOLLIN | (want_out ? EPOLLOUT : 0u), this);
}

void WebSocket::finish() {
  if (state_ == State::closed || state_ == State::idle) return;
  release();
  state_ = State::closed;
  CloseEvent event = std::move(close_);
  close_ = CloseEvent{};
  // Last call for this connection: the listener may connect() again from here.
  listener_.on_close(event);
}

void WebSocket::release() {
  if (timer_ != 0) loop_.cancel_timer(timer_);
  timer_ = 0;
  if (fd_ >= 0) loop_.unwatch(fd_);
  fd_ = -1;
  want_out_ = false;
  if (easy_ != nullptr) {
    loop_.remove_transfer(easy_);
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
  curl_error_.reset();
  finish_after_flush_ = false;
  out_.clear();
  out_.shrink_to_fit();
  out_offset_ = 0;
}

}  // namespace pusher::detail::net
