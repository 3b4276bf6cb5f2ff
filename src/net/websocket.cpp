#include "net/websocket.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "error_codes.hpp"
#include "net/url.hpp"

namespace pusher::detail::net {
namespace {

// Read at most this much per wake-up before letting other connections run (a firehose
// must not starve its neighbours on a shared loop).
constexpr std::size_t kReadBudget = 1u << 20;
constexpr std::size_t kMaxPongBacklog = 64 * 1024;

// CURLOPT_SSL_CTX_FUNCTION: libcurl calls it before any TLS handshake on the connection (to the
// server or to an HTTPS proxy), so a connection that never called it carries plain TCP.
CURLcode on_tls_setup(CURL*, void*, void* plain) {
  *static_cast<bool*>(plain) = false;
  return CURLE_OK;
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
  close_timeout_ = options.close_timeout;
  close_ = CloseEvent{};
  finish_after_flush_ = false;
  out_.clear();
  out_offset_ = 0;
  handshake_.reset();
  decoder_ = std::make_unique<ws::FrameDecoder>(options.max_message_size);
  state_ = State::connecting;

  std::string error;
  auto url = parse_ws_url(options.url, error);
  if (!url) {
    // Report on the next turn of the loop: on_close never runs inside connect().
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive, error] {
      if (alive.expired()) return;
      fail(0, make_error(ErrorCode::connect_failed, "invalid URL: " + error));
    });
    return;
  }
  handshake_ = std::make_unique<Handshake>();
  handshake_->key = ws::random_key();
  out_ = ws::build_request(url->host_header(), url->target, handshake_->key, options.headers);

  easy_ = curl_easy_init();
  std::string http_url = url->http_url();
  curl_easy_setopt(easy_, CURLOPT_URL, http_url.c_str());
  curl_easy_setopt(easy_, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  // We read through the loop's shared buffer: libcurl's own can be small (a smaller one saves
  // memory per idle connection).
  curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, 1024L);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, handshake_->curl_error);
  // The owner's deadline is the one that counts (the Service aborts us at its connect
  // timeout), and this connect runs on the multi handle, so nothing blocks waiting for it.
  // Yet libcurl always has a connect timeout, 300 s when unset or 0 (CURLOPT_CONNECTTIMEOUT(3)),
  // which would cut a longer deadline short: it gets the same one, as a backstop. It starts
  // later (when the multi handle first runs the transfer) and stops sooner (before the
  // upgrade), so the owner's fires first; if it ever wins, on_connected reports the same timeout.
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  // Without a tunnel the upgrade request would go to the proxy itself
  // (CURLOPT_HTTPPROXYTUNNEL).
  curl_easy_setopt(easy_, CURLOPT_HTTPPROXYTUNNEL, 1L);
  // Nothing may negotiate HTTP/2 under the upgrade.
  curl_easy_setopt(easy_, CURLOPT_SSL_ENABLE_ALPN, 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, options.verify_peer ? 2L : 0L);
  // libcurl copies the strings it is given (curl_easy_setopt(3)): nothing of `options` needs to
  // outlive this call.
  if (!options.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, options.ca_file.c_str());
  if (options.proxy) curl_easy_setopt(easy_, CURLOPT_PROXY, options.proxy->c_str());
  // A ws:// connection that turns out to have no TLS layer is taken over once connected (see
  // adopt_socket). A libcurl whose TLS backend cannot report a handshake (CURLE_NOT_BUILT_IN)
  // keeps every connection.
  plain_ = !url->tls &&
           curl_easy_setopt(easy_, CURLOPT_SSL_CTX_FUNCTION, &on_tls_setup) == CURLE_OK &&
           curl_easy_setopt(easy_, CURLOPT_SSL_CTX_DATA, &plain_) == CURLE_OK;

  std::weak_ptr<bool> alive = alive_;
  loop_.add_transfer(easy_, [this, alive](int code) {
    if (!alive.expired()) on_connected(code);
  });
}

void WebSocket::on_connected(int curl_code) {
  if (state_ != State::connecting) return;
  if (curl_code != CURLE_OK) {
    // Refused, reset or no route (CURLE_COULDNT_CONNECT); DNS, TLS and proxy failures are not.
    close_.unreachable = curl_code == CURLE_COULDNT_CONNECT;
    const char* curl_error = handshake_->curl_error;
    std::string detail =
        curl_error[0] ? curl_error : curl_easy_strerror(static_cast<CURLcode>(curl_code));
    if (curl_code == CURLE_OPERATION_TIMEDOUT) {
      // The CURLOPT_CONNECTTIMEOUT_MS backstop: the same deadline as the owner's, so the same
      // error (a timeout, not an unreachable server).
      fail(0, make_error(ErrorCode::timeout, "connect timed out: " + detail));
      return;
    }
    fail(0, make_error(ErrorCode::connect_failed,
                       "connect failed: " + detail + " (libcurl error " + std::to_string(curl_code) + ")",
                       curl_code, CodeKind::transport));
    return;
  }
  curl_socket_t fd = CURL_SOCKET_BAD;
  curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &fd);
  if (fd == CURL_SOCKET_BAD) {
    fail(0, make_error(ErrorCode::connect_failed, "connect failed: no socket"));
    return;
  }
  fd_ = static_cast<int>(fd);
  // The error buffer only explains a failed connect; later failures carry their own message.
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, nullptr);
  if (plain_) adopt_socket();
  state_ = State::handshaking;
  loop_.watch(fd_, EPOLLIN, this);
  flush();
}

void WebSocket::adopt_socket() {
  // Without TLS libcurl adds nothing after the connect (curl_easy_send/recv are send/recv on
  // the socket), yet its handle and connection hold some 10 KB per idle connection. Keep a
  // duplicate of the socket and free the handle: libcurl closes only its own descriptor
  // (telling the loop first, CURLMOPT_SOCKETFUNCTION with CURL_POLL_REMOVE), and the TCP
  // connection lives on in ours. O_NONBLOCK belongs to the open file, so the copy has it too.
  const int own = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return;  // keep going through libcurl
  loop_.remove_transfer(easy_);
  curl_easy_cleanup(easy_);
  easy_ = nullptr;
  fd_ = own;
}

WebSocket::IoResult WebSocket::send_some(const char* data, std::size_t size, std::size_t& n) {
  if (easy_ != nullptr) return IoResult{curl_easy_send(easy_, data, size, &n), 0};
  ssize_t r = 0;
  do {
    r = ::send(fd_, data, size, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) {
    n = static_cast<std::size_t>(r);
    return IoResult{CURLE_OK, 0};
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{CURLE_AGAIN, 0};
  return IoResult{CURLE_SEND_ERROR, errno};
}

WebSocket::IoResult WebSocket::receive_some(char* data, std::size_t size, std::size_t& n) {
  if (easy_ != nullptr) return IoResult{curl_easy_recv(easy_, data, size, &n), 0};
  ssize_t r = 0;
  do {
    r = ::recv(fd_, data, size, 0);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) {
    n = static_cast<std::size_t>(r);
    return IoResult{CURLE_OK, 0};
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{CURLE_AGAIN, 0};
  return IoResult{CURLE_RECV_ERROR, errno};
}

std::string WebSocket::IoResult::message() const {
  return sys_errno != 0 ? std::generic_category().message(sys_errno) : curl_easy_strerror(code);
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
  if (close_timer_ != 0) loop_.cancel_timer(close_timer_);
  std::weak_ptr<bool> alive = alive_;
  close_timer_ = loop_.add_timer(close_timeout_, [this, alive] {
    if (alive.expired()) return;
    close_timer_ = 0;
    finish();  // the server never finished the closing handshake: drop the TCP connection
  });
  flush();
}

void WebSocket::fail(std::uint16_t send_code, Error error) {
  // A socket that ends before the upgrade is answered (a reset, an end of stream, a failed
  // write) met no server program: a listener still starting, or an accept queue being flushed.
  if (state_ == State::handshaking &&
      (error.code == ErrorCode::io_error || error.code == ErrorCode::connection_closed)) {
    close_.unreachable = true;
  }
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
    IoResult r = receive_some(buf.data(), buf.size(), n);
    if (r.code == CURLE_AGAIN) return;
    if (r.code != CURLE_OK) {
      fail(0, make_error(ErrorCode::io_error, "receive failed: " + r.message()));
      return;
    }
    if (n == 0) {  // end of stream (recv(2), curl_easy_recv(3): 0 bytes is EOF)
      if (state_ == State::closing && decoder_->closed()) {
        finish();
      } else {
        fail(0, make_error(ErrorCode::connection_closed,
                           "the server closed the TCP connection without a close frame",
                           ws::close_code::abnormal, CodeKind::close));
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
      fail(e.close_code, make_error(e.code, e.message, e.close_code, close_code_kind(e.close_code)));
    }
  }
}

void WebSocket::consume_handshake(std::string_view bytes) {
  handshake_->response.append(bytes);
  ws::HandshakeResponse r = ws::parse_response(handshake_->response, handshake_->key);
  if (r.status == ws::HandshakeResponse::Status::incomplete) return;
  if (r.status == ws::HandshakeResponse::Status::rejected) {
    fail(0, make_error(ErrorCode::handshake_failed, "WebSocket upgrade refused: " + r.error,
                       r.http_status, CodeKind::http));
    return;
  }
  std::string rest = handshake_->response.substr(r.consumed);
  handshake_.reset();  // an open connection keeps nothing of its handshake
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
                         code, close_code_kind(code));
    close_.error = std::move(e);
  }
  close_.clean = true;
  finish_after_flush_ = true;
  flush();
}

void WebSocket::flush() {
  if (fd_ < 0) return;
  while (out_offset_ < out_.size()) {
    std::size_t n = 0;
    IoResult r = send_some(out_.data() + out_offset_, out_.size() - out_offset_, n);
    if (r.code == CURLE_AGAIN) break;
    if (r.code != CURLE_OK) {
      out_.clear();
      out_offset_ = 0;
      fail(0, make_error(ErrorCode::io_error, "send failed: " + r.message()));
      return;
    }
    out_offset_ += n;
  }
  if (out_offset_ == out_.size()) {
    // An idle connection holds no write buffer: sends are rare next to reads, and one
    // allocation per burst costs less than a buffer per connection kept for the next one.
    std::string().swap(out_);
    out_offset_ = 0;
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
  if (close_timer_ != 0) loop_.cancel_timer(close_timer_);
  close_timer_ = 0;
  if (fd_ >= 0) {
    loop_.unwatch(fd_);
    if (easy_ == nullptr) ::close(fd_);  // adopted: ours alone
  }
  fd_ = -1;
  plain_ = false;
  want_out_ = false;
  if (easy_ != nullptr) {
    loop_.remove_transfer(easy_);
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
  handshake_.reset();
  finish_after_flush_ = false;
  out_.clear();
  out_.shrink_to_fit();
  out_offset_ = 0;
}

}  // namespace pusher::detail::net
