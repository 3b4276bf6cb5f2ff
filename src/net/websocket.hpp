#pragma once

#include <pusher/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "net/event_loop.hpp"
#include "ws/frame.hpp"
#include "ws/handshake.hpp"

namespace pusher::detail::net {

/// How to reach a WebSocket server.
struct WebSocketOptions {
  std::string url;                       ///< ws:// or wss://
  std::vector<ws::Header> headers;       ///< extra upgrade headers, e.g. Origin
  bool verify_peer = true;               ///< TLS peer and host name verification
  std::string ca_file;                   ///< PEM bundle to verify with; empty: the system's
  std::optional<std::string> proxy;      ///< nullopt: libcurl's environment; "": no proxy
  std::chrono::milliseconds connect_timeout{10000};  ///< DNS + TCP + TLS + upgrade answer
  std::chrono::milliseconds close_timeout{2000};     ///< wait for the closing handshake
  std::size_t max_message_size = 1u << 20;
};

/// How a connection ended.
struct CloseEvent {
  std::uint16_t code = ws::close_code::abnormal;  ///< from the server's close frame; 1006 if none
  std::string reason;
  std::uint16_t sent_code = 0;  ///< the close code we sent, 0 if we sent none
  bool clean = false;           ///< both close frames were exchanged
  /// Nothing answered: the TCP connect was refused or reset, or the socket closed before the
  /// WebSocket upgrade was answered.
  bool unreachable = false;
  Error error;                  ///< empty for a close we asked for
};

/// Receives what a WebSocket reports. Calls come on the loop thread. A listener may call
/// connect() again from on_close, but must not destroy the WebSocket inside any callback.
class WebSocketListener {
 public:
  virtual ~WebSocketListener() = default;
  virtual void on_open() = 0;
  virtual void on_text(std::string_view message) = 0;
  virtual void on_binary(std::string_view /*message*/) {}
  virtual void on_pong(std::string_view /*payload*/) {}
  /// Exactly once per connect(), and the last call for that connection.
  virtual void on_close(const CloseEvent& event) = 0;
};

/// One WebSocket connection at a time, as the Service sees it. WebSocket is the real one;
/// unit tests script a fake.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Starts connecting; the listener's on_open or on_close follows (never inside this call).
  virtual void connect(WebSocketOptions options) = 0;
  /// Queues a text message; false when not open.
  virtual bool send_text(std::string_view message) = 0;
  /// Starts the closing handshake; on_close follows.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  /// Drops the connection now, without a closing handshake (a dead peer would never answer);
  /// on_close runs before this returns, with `error`.
  virtual void abort(Error error) = 0;
  /// Bytes accepted by send_text that the peer has not taken yet.
  virtual std::size_t queued_bytes() const noexcept = 0;
};

/// An RFC 6455 client over a libcurl CONNECT_ONLY handle: libcurl does DNS, TCP, proxies and
/// TLS through the loop's multi handle (so a connect never blocks the loop); this class sends
/// the upgrade, then frames with non-blocking curl_easy_send/curl_easy_recv. A connection with
/// no TLS layer (ws://, directly or through an HTTP or SOCKS proxy) keeps only its socket once
/// connected and frees the libcurl handle: send(2) and recv(2) then do the same work.
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
  EventLoop::TimerId timer_ = 0;
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
