#pragma once

// A scripted Transport: records what the Service sends and lets a test play the server.

#include <memory>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace pusher::test {

struct FakeServerSide {
  std::vector<detail::net::WebSocketOptions> connects;  // every connect() call
  std::vector<std::string> sent;                       // text messages, all connections
  std::vector<std::uint16_t> closes;                   // close() codes asked for
  std::vector<Error> aborts;                           // abort() calls that ended a connection
  detail::net::WebSocketListener* listener = nullptr;
  bool open = false;
  bool connecting = false;
  std::size_t unread_bytes = 0;                        // what the fake server "has not read"

  // --- playing the server ---
  void accept() {
    connecting = false;
    open = true;
    listener->on_open();
  }
  void establish(const std::string& socket_id = "1.2", int activity_timeout = 120) {
    if (!open) accept();
    listener->on_text("{\"event\":\"pusher:connection_established\",\"data\":\"{\\\"socket_id\\\":\\\"" +
                      socket_id + "\\\",\\\"activity_timeout\\\":" +
                      std::to_string(activity_timeout) + "}\"}");
  }
  void message(const std::string& text) { listener->on_text(text); }
  /// The server closes with `code` (or drops TCP for 1006).
  void drop(std::uint16_t code = 1006, const std::string& reason = {}) {
    open = connecting = false;
    detail::net::CloseEvent e;
    e.code = code;
    e.reason = reason;
    e.clean = code != 1006;
    e.error = Error{ErrorCode::connection_closed, "closed by the fake server", code, {}};
    listener->on_close(e);
  }
  /// Nothing listens: the TCP connect is refused.
  void refuse_connect() {
    connecting = false;
    detail::net::CloseEvent e;
    e.unreachable = true;
    e.error = Error{ErrorCode::connect_failed, "connection refused (fake)", 0, {}};
    listener->on_close(e);
  }
  /// The transport gives up on its own with a timeout (the real one's libcurl backstop).
  void time_out() {
    open = connecting = false;
    detail::net::CloseEvent e;
    e.error = Error{ErrorCode::timeout, "connect timed out (fake)", 0, {}};
    listener->on_close(e);
  }
  /// A server (or a proxy in front of it) answers the upgrade with `status`.
  void refuse_upgrade(int status = 503) {
    connecting = false;
    detail::net::CloseEvent e;
    e.error = Error{ErrorCode::handshake_failed, "WebSocket upgrade refused (fake)", status, {}};
    listener->on_close(e);
  }
};

class FakeTransport final : public detail::net::Transport {
 public:
  FakeTransport(FakeServerSide& side, detail::net::WebSocketListener& listener) : side_(side) {
    side_.listener = &listener;
  }
  void connect(detail::net::WebSocketOptions options) override {
    side_.connects.push_back(std::move(options));
    side_.connecting = true;
  }
  bool send_text(std::string_view message) override {
    if (!side_.open) return false;
    side_.sent.emplace_back(message);
    return true;
  }
  void close(std::uint16_t code, std::string_view) override {
    side_.closes.push_back(code);
    // The fake server answers a close at once.
    if (side_.open || side_.connecting) {
      side_.open = side_.connecting = false;
      detail::net::CloseEvent e;
      e.code = code;
      e.sent_code = code;
      e.clean = true;
      side_.listener->on_close(e);
    }
  }
  std::size_t queued_bytes() const noexcept override { return side_.unread_bytes; }
  void abort(Error error) override {
    if (!side_.open && !side_.connecting) return;
    side_.open = side_.connecting = false;
    side_.aborts.push_back(error);
    detail::net::CloseEvent e;
    e.error = std::move(error);
    side_.listener->on_close(e);
  }

 private:
  FakeServerSide& side_;
};

}  // namespace pusher::test
