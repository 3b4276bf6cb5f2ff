#pragma once

#include <pusher/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <curl/curl.h>

#include "net/event_loop.hpp"
#include "net/transport.hpp"
#include "ws/frame.hpp"
#include "ws/handshake.hpp"

namespace pusher::detail::net {

/// An RFC 6455 client over a libcurl CONNECT_ONLY handle: libcurl does DNS, TCP, proxies and
/// TLS through the loop's multi handle (so a connect never blocks the loop); this class sends
/// the upgrade, then frames with non-blocking curl_easy_send/curl_easy_recv. A connection with
/// no TLS layer (ws://, directly or through an HTTP or SOCKS proxy) keeps only its socket once
/// connected and frees the libcurl handle: send(2) and recv(2) then do the same work.
///
/// A connect has no deadline here past libcurl's backstop (WebSocketOptions::connect_timeout):
/// a server that accepts and never answers the upgrade is waited for until the owner calls
/// abort() or close(). The Service's connect timeout is the one deadline.
///
/// Thread safety: loop thread only.
class WebSocket final : public Transport, private IoHandler, private ws::FrameSink {
 public:
  enum class State : std::uint8_t { idle, connecting, handshaking, open, closing, closed };

  WebSocket(EventLoop& loop, WebSocketListener& listener);
  /// Drops any connection at once, without callbacks.
  ~WebSocket() override;
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  /// Starts connecting; on_open or on_close follows. Only when idle or closed.
  void connect(WebSocketOptions options) override;
  /// Queues a text message; false when not open.
  bool send_text(std::string_view message) override;
  /// Queues a ping; false when not open.
  bool send_ping(std::string_view payload = {});
  /// Starts the closing handshake (or abandons a connect); on_close follows.
  void close(std::uint16_t code = ws::close_code::normal, std::string_view reason = {}) override;
  void abort(Error error) override;

  State state() const noexcept { return state_; }
  /// Bytes waiting for the socket to take them.
  std::size_t queued_bytes() const noexcept override { return out_.size() - out_offset_; }

 private:
  // IoHandler
  void on_io(std::uint32_t events) override;
  // ws::FrameSink
  void on_text(std::string_view message) override;
  void on_binary(std::string_view message) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  /// What a send or receive did: CURLE_OK, CURLE_AGAIN, or a failure with its errno when the
  /// socket is ours.
  struct IoResult {
    CURLcode code = CURLE_OK;
    int sys_errno = 0;
    std::string message() const;
  };

  /// What only a connection being set up needs: gone once it is open, so that an idle
  /// connection carries none of it.
  struct Handshake {
    char curl_error[CURL_ERROR_SIZE] = {};  // CURLOPT_ERRORBUFFER, for a failed connect
    std::string key;                        // Sec-WebSocket-Key
    std::string response;                   // the upgrade answer so far
  };

  void on_connected(int curl_code);
  void adopt_socket();
  IoResult send_some(const char* data, std::size_t size, std::size_t& n);
  IoResult receive_some(char* data, std::size_t size, std::size_t& n);
  void read_available();
  void consume(std::string_view bytes);
  void consume_handshake(std::string_view bytes);
  void flush();
  void update_interest();
  void send_close_frame(std::uint16_t code, std::string_view reason);
  void fail(std::uint16_t send_code, Error error);
  void finish();
  void release();

  EventLoop& loop_;
  WebSocketListener& listener_;
  CURL* easy_ = nullptr;  // null once a plain socket is adopted: fd_ is then ours to close
  std::unique_ptr<Handshake> handshake_;
  std::unique_ptr<ws::FrameDecoder> decoder_;
  std::string out_;
  std::size_t out_offset_ = 0;
  EventLoop::TimerId close_timer_ = 0;  // the closing handshake's; a connect has none
  std::chrono::milliseconds close_timeout_{0};
  CloseEvent close_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // The small members last, together: this object is kept per connection.
  int fd_ = -1;
  State state_ = State::idle;
  bool plain_ = false;  // no TLS layer so far: adopt the socket once connected
  bool want_out_ = false;
  bool finish_after_flush_ = false;
  bool continue_reading_posted_ = false;
};

}  // namespace pusher::detail::net
