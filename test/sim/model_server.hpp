#pragma once

// The simulator's in-process Pusher server, and the Transport through which a simulated
// client reaches it. Everything runs on one thread and one manual clock: a seed gives one run.
//
// Modes follow the servers' own wire behaviour:
// - soketi 1.6: `pusher:subscription_error` (AuthError, 401) for a bad signature; pong with
//   data; client events forwarded as sent; `pusher:error` 4301 past 100 KB.
// - Reverb 1.10 (src/Protocols/Pusher/...): pong without data; client events forwarded with
//   data as an object, plus user_id on presence channels; an unparsable message gets 4200 and
//   the connection stays; an unknown app key gets 4001 then a TCP drop with no close frame; a
//   bad signature gets a channel-less 4009 and the connection stays; a message past 10,000
//   bytes gets close 1009 with no `pusher:error`; an empty presence hash is `[]`.
// - Pusher (the protocol reference): subscription_error for a bad signature, 10 KB limit.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "net/scheduler.hpp"
#include "net/transport.hpp"

namespace pusher::sim {

enum class Mode { soketi, reverb, pusher };
const char* to_string(Mode mode);

/// Reported when the server sees what no correct client sends, or a client breaks a bound.
using ViolationSink = std::function<void(const std::string& invariant, const std::string& what)>;

class SimTransport;

/// One connection, server side.
struct Conn {
  std::uint64_t id = 0;
  int client = 0;                    // which simulated Manager
  SimTransport* transport = nullptr; // null once the client side is gone
  std::string socket_id;
  bool open = false;                 // handshake done, not closed
  bool reading = true;               // false: bytes pile up client side
  std::size_t unread = 0;            // bytes the server has not read
  std::deque<std::string> unread_frames;
  std::set<std::string> channels;    // subscribed here
  std::map<std::string, std::string> presence_user;  // channel -> user_id
};

struct ServerStats {
  std::uint64_t connects = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
};

class ModelServer {
 public:
  ModelServer(Mode mode, detail::net::Scheduler& clock, std::string key, std::string secret,
              ViolationSink violation);

  Mode mode() const noexcept { return mode_; }
  const std::string& key() const noexcept { return key_; }

  // --- faults ---
  bool up = true;              // false: connects are refused
  bool reading = true;         // new connections start reading or not
  int reject_code = 0;         // not 0: every connection gets this pusher:error (and its close)
                               // right after connection_established
  // --- what the checks read ---
  ServerStats stats;
  /// Every client event the server took in, by event name (they are unique in a run).
  std::set<std::string> client_events_received;
  /// The connection of a client now, if any.
  Conn* conn_of(int client);
  std::vector<Conn*> conns();
  /// Connects each client made, with their times (for the reconnect-rate bound).
  std::map<int, std::deque<detail::net::Scheduler::Clock::time_point>> connect_times;

  // --- server actions ---
  /// A server event on `channel` to every subscriber; returns its sequence number. On a
  /// private-encrypted- channel the data is sealed with the channel's current key.
  std::uint64_t publish(const std::string& channel, const std::string& event);
  /// A private-encrypted- channel's key as its auth answer gives it (base64); "" without
  /// libsodium.
  std::string shared_secret(const std::string& channel);
  /// The channel's key changes (the app's encryption master key was rotated).
  void rotate_key(const std::string& channel);
  /// The sequence number inside a sealed frame sent (the checks cannot read ciphertext).
  std::uint64_t sealed_seq(const std::string& frame) const {
    auto it = sealed_seqs_.find(frame);
    return it == sealed_seqs_.end() ? 0 : it->second;
  }
  void member_join(const std::string& channel, const std::string& user_id);
  void member_leave(const std::string& channel, const std::string& user_id);
  void text_ping(Conn& c);
  /// `pusher:error` with `code`, then what that code does on this server.
  void error(Conn& c, int code);
  /// A `pusher:error` and then a TCP drop with no close frame (Reverb's way with 4xxx).
  void error_then_drop(Conn& c, int code);
  void close(Conn& c, std::uint16_t code);
  void drop_tcp(Conn& c);
  void set_reading(Conn& c, bool reading);
  void signin_success_unsolicited(Conn& c);

  // --- from SimTransport ---
  void on_connect(SimTransport& t);
  void on_frame(std::uint64_t conn_id, std::string frame);
  void on_client_close(std::uint64_t conn_id, std::uint16_t code);
  void on_client_gone(std::uint64_t conn_id);
  std::size_t unread_of(std::uint64_t conn_id) const;
  bool is_open(std::uint64_t conn_id) const {
    auto it = conns_.find(conn_id);
    return it != conns_.end() && it->second.open;
  }

  /// Sends `text` to a connection after the link's latency.
  void send(Conn& c, std::string text);
  /// Called around every delivery of a server message to a client (the I2 checks).
  std::function<void(int client, const std::string& text)> before_deliver;
  std::function<void()> after_deliver;

  // --- transport bookkeeping ---
  void remember_transport(SimTransport* t) { live_transports_.insert(t); }
  void forget_transport(SimTransport* t) {
    live_transports_.erase(t);
    cancel_refusal(t);
  }
  void cancel_refusal(SimTransport* t);
  /// Attempt numbers are unique across transports: a late callback must not mistake a new
  /// transport that happens to live at a freed one's address for the one it was meant for.
  std::uint64_t next_attempt() noexcept { return ++attempts_; }
  void abandon_connect(SimTransport* t, std::uint16_t code);

 private:
  void handle(Conn& c, const std::string& frame);
  void subscribe(Conn& c, const std::string& channel, const std::string& auth,
                 const std::string& channel_data, bool has_channel_data);
  void unsubscribe(Conn& c, const std::string& channel);
  void client_event(Conn& c, const std::string& event, const std::string& channel,
                    const std::string& data_json);
  void remove_conn(std::uint64_t id);
  void deliver_close(std::uint64_t id, std::uint16_t code, bool tcp_drop);
  std::string presence_payload(const std::string& channel);
  bool transport_alive(SimTransport* t, std::uint64_t conn_id) const;
  std::vector<Conn*> subscribers(const std::string& channel);

  Mode mode_;
  detail::net::Scheduler& clock_;
  std::string key_;
  std::string secret_;
  ViolationSink violation_;
  std::uint64_t next_conn_ = 1;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, Conn> conns_;
  std::map<std::string, int> key_generation_;
  std::map<std::string, std::uint64_t> sealed_seqs_;
  std::set<SimTransport*> live_transports_;
  std::uint64_t refused_ = 0;
  std::uint64_t attempts_ = 0;
  std::map<std::uint64_t, SimTransport*> pending_refusals_;
  // presence: channel -> user_id -> user_info JSON (members of real and virtual users)
  std::map<std::string, std::map<std::string, std::string>> members_;
};

/// The client side of a simulated connection: the Transport a Service drives.
class SimTransport final : public detail::net::Transport {
 public:
  SimTransport(ModelServer& server, detail::net::WebSocketListener& listener, int client)
      : server_(server), listener_(listener), client_(client) {}
  ~SimTransport() override;
  void connect(detail::net::WebSocketOptions options) override;
  bool send_text(std::string_view message) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void abort(Error error) override;
  std::size_t queued_bytes() const noexcept override;

  int client() const noexcept { return client_; }
  detail::net::WebSocketListener& listener() noexcept { return listener_; }
  /// The server side's id of the current connection (0: none).
  std::uint64_t conn_id = 0;
  /// Client events written to the wire (send_text accepted them), by event name.
  std::set<std::string>* written = nullptr;
  /// Which connect() this is (ModelServer::next_attempt), so a late callback for an abandoned
  /// attempt is recognised.
  std::uint64_t attempt = 0;

 private:
  ModelServer& server_;
  detail::net::WebSocketListener& listener_;
  int client_;
};

}  // namespace pusher::sim
