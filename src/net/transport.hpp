#pragma once

// The connection as the Service sees it: one WebSocket at a time, behind an interface that
// needs no libcurl (net/websocket.hpp has the real one; unit tests script a fake).

#include <pusher/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  /// The caller's deadline for the whole connect. A Transport arms no timer of its own for
  /// it: the caller aborts with ErrorCode::timeout when it passes (the Service does). The
  /// WebSocket hands it to libcurl only as a backstop for DNS + TCP + proxy + TLS.
  std::chrono::milliseconds connect_timeout{10000};
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

/// Receives what a Transport reports. Calls come on the loop thread. A listener may call
/// connect() again from on_close, but must not destroy the Transport inside any callback.
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

/// One WebSocket connection at a time, as the Service sees it. net::WebSocket is the real one;
/// unit tests script a fake.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Starts connecting; the listener's on_open or on_close follows (never inside this call).
  /// No deadline of its own: see WebSocketOptions::connect_timeout.
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

}  // namespace pusher::detail::net
