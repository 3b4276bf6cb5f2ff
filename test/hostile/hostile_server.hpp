#pragma once

// A scripted WebSocket server that misbehaves on purpose, for the hostile-server tests.
//
// It listens on 127.0.0.1 (an ephemeral port), accepts connections on its own thread and runs
// the test's script for each one on a thread of its own. The script decides everything: read
// the upgrade request or not, answer with a correct 101 or garbage, send hand-built frames
// (any bits, any length), drip bytes, read and decode what the client sends (unmasking it),
// drop TCP, or go silent. Everything the client sends is recorded per connection, so a test
// can assert close codes, pongs and Pusher messages after the fact.
//
// Everything is bounded: connections (past `max_connections` they are closed at once), every
// read and write (deadlines, and the server's stop flag checked every few milliseconds), the
// bytes buffered from the client. The destructor stops and joins every thread promptly.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pusher::test::hostile {

using Millis = std::chrono::milliseconds;

/// One frame the client sent, unmasked.
struct ClientFrame {
  bool fin = false;
  std::uint8_t rsv = 0;  ///< the three reserved bits, as bits 6-4 of the first byte
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string payload;

  bool is_close() const { return opcode == 0x8; }
  bool is_text() const { return opcode == 0x1; }
  bool is_pong() const { return opcode == 0xA; }
  /// The code of a close frame; 1005 when it has no body, 0 for a 1-byte body.
  std::uint16_t close_code() const;
  /// The reason of a close frame.
  std::string close_reason() const;
};

/// What happened on one connection, as recorded by the server.
struct ConnLog {
  std::string request;              ///< the upgrade request, if read
  std::vector<ClientFrame> frames;  ///< every client frame decoded, in order
  std::size_t bytes_in = 0;         ///< every byte received, request included
  bool peer_closed = false;         ///< the client closed (or reset) TCP
  bool bad_client_frame = false;    ///< the client sent something we could not decode
  bool script_done = false;         ///< the script returned

  /// The first close frame's code, 0 if the client sent none.
  std::uint16_t close_code() const;
  /// The client's text frames containing `needle`.
  std::size_t texts_containing(std::string_view needle) const;
};

class HostileServer;

/// One accepted connection, handed to the script on its own thread. Every call is bounded by
/// its deadline and by the server stopping; calls return false / nullopt when they could not
/// do their job (deadline, peer gone, server stopping).
class Conn {
 public:
  /// 0 for the first connection the server accepted, 1 for the next...
  int index() const { return index_; }
  /// True once the server is being destroyed: a script should return.
  bool stopping() const;

  /// Reads the HTTP upgrade request (up to its blank line, at most 16 KiB).
  bool read_request(Millis timeout = Millis(5000));
  /// The Sec-WebSocket-Key of the request read.
  const std::string& key() const { return key_; }
  /// The upgrade request read (request line, headers and the blank line); empty before.
  const std::string& request() const { return request_; }
  /// The correct 101 answer for key(), or one carrying `accept` as Sec-WebSocket-Accept.
  std::string response_101(std::optional<std::string> accept = std::nullopt) const;
  /// read_request() then the correct 101.
  bool accept(Millis timeout = Millis(5000));

  /// Writes all of `bytes`.
  bool send(std::string_view bytes, Millis timeout = Millis(10000));
  /// Writes `bytes` one byte per write, `gap` apart.
  bool drip(std::string_view bytes, std::chrono::microseconds gap);
  /// A text frame with `text` (unmasked, FIN).
  bool send_text(std::string_view text) { return send(text_frame(text)); }

  /// The next client frame, or nullopt at the deadline or when the peer is gone.
  std::optional<ClientFrame> next_frame(Millis timeout);
  /// Client frames until one satisfies `pred` (returned), the deadline, or the peer leaving.
  std::optional<ClientFrame> wait_frame(const std::function<bool(const ClientFrame&)>& pred,
                                        Millis timeout);
  /// The next client text frame containing `needle`.
  std::optional<ClientFrame> wait_text(std::string_view needle, Millis timeout);
  /// Reads (and records) until the client closes TCP: true if it did within the deadline.
  bool wait_peer_close(Millis timeout);
  /// Reads and records everything, answering nothing, for `duration` (or until the peer
  /// leaves or the server stops).
  void idle(Millis duration);
  /// Behaves like a good server for `duration`: answers ping frames with pongs and
  /// `pusher:ping` with `pusher:pong`, and a close frame with its echo (then closes TCP).
  /// True if the client closed.
  bool serve(Millis duration);
  /// Closes TCP now, without a close frame.
  void drop();
  /// True when the client has closed TCP (as seen so far).
  bool peer_closed() const { return peer_closed_; }

  // Frame builders (server frames: unmasked unless a mask is given).
  /// A frame with first byte `b0` (FIN, RSV, opcode) and `payload`, the shortest length form.
  static std::string frame(std::uint8_t b0, std::string_view payload);
  /// The same frame with the MASK bit and the payload masked with `mask`.
  static std::string masked_frame(std::uint8_t b0, std::string_view payload,
                                  std::uint32_t mask = 0x11223344u);
  /// Just a header announcing `length` bytes in the 64-bit form (no payload follows).
  static std::string header64(std::uint8_t b0, std::uint64_t length);
  static std::string text_frame(std::string_view text) { return frame(0x81, text); }
  /// A close frame with `code` (big-endian) and `reason`, whatever they are.
  static std::string close_frame(std::uint16_t code, std::string_view reason = {});

  Conn(HostileServer& server, int fd, int index);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

 private:
  friend class HostileServer;
  enum class Wait { data, timeout, closed };
  /// Waits for readable bytes and appends them to in_; records them.
  Wait fill(std::chrono::steady_clock::time_point deadline);
  /// Decodes one frame from in_ if complete.
  std::optional<ClientFrame> take_frame();
  void record(const std::function<void(ConnLog&)>& f);

  HostileServer& server_;
  int fd_;
  int index_;
  std::string in_;
  std::size_t in_off_ = 0;  // bytes of in_ already decoded
  std::string key_;
  std::string request_;
  bool peer_closed_ = false;
};

/// The script run for every accepted connection (on that connection's thread).
using Script = std::function<void(Conn& conn)>;

class HostileServer {
 public:
  /// Starts listening on 127.0.0.1 and accepting. Throws std::runtime_error.
  explicit HostileServer(Script script, int max_connections = 32);
  /// Stops accepting, wakes every script, joins every thread, closes every socket.
  ~HostileServer();
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  int port() const { return port_; }
  /// Connections accepted so far (those over max_connections included).
  int connections() const;
  /// A copy of what connection `index` recorded (empty if there is none yet).
  ConnLog log(int index) const;
  /// Waits until `pred` holds over all connection logs, or the deadline.
  bool wait(const std::function<bool(const std::vector<ConnLog>& logs)>& pred, Millis timeout);
  /// Waits until at least `n` connections were accepted.
  bool wait_connections(int n, Millis timeout);
  bool stopping() const { return stop_.load(); }

 private:
  friend class Conn;
  void accept_loop();
  void run_conn(int fd, int index);
  void changed();

  Script script_;
  int max_connections_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ConnLog> logs_;
  std::vector<std::thread> conn_threads_;
  int accepted_ = 0;
  std::thread accept_thread_;
};

// Pusher messages as servers send them.
/// `{"event":..,"data":"<escaped data_json>"}` with data as a JSON string.
std::string pusher_message(std::string_view event, std::string_view data_json,
                           std::string_view channel = {});
/// The same with `data` as the raw JSON value (object, number...).
std::string pusher_message_object(std::string_view event, std::string_view data_json,
                                  std::string_view channel = {});
/// The same without `data`.
std::string pusher_message_no_data(std::string_view event, std::string_view channel = {});
/// `pusher:connection_established` with a string data.
std::string established(std::string_view socket_id = "123.456", int activity_timeout = 120);
/// A JSON string literal (with quotes) for `s`.
std::string json_quote(std::string_view s);

// ---- Reverb mode ----

/// How the Reverb mode is set up. The defaults are Laravel Reverb 1.10.2's stock configuration
/// (config/reverb.php: activity_timeout 30, ping_interval 60, max_message_size 10,000).
struct ReverbConfig {
  std::string app_key = "reverb-key";
  std::string app_secret = "reverb-secret";
  /// Seconds, announced in `pusher:connection_established`.
  int activity_timeout = 30;
  /// A subscribed connection silent this long is inactive: the next tick pings it, and the
  /// tick after prunes it (4201, then a drop) if it is still silent.
  Millis ping_interval{60000};
  /// The period of the timer that prunes stale connections and then pings inactive ones.
  Millis tick{60000};
  /// A message larger than this gets close 1009 "Maximum message size exceeded".
  std::size_t max_message_size = 10000;
  /// Not Reverb: the client's `pusher:pong` messages are lost on the way (as on a network
  /// that drops them), so a connection that does answer the server's ping is pruned anyway.
  bool lose_pongs = false;
};

/// Laravel Reverb 1.10.2 on the hostile server, frame for frame as captured from the real one
/// (Reverb's src/Protocols/Pusher/Server.php, EventHandler.php, ClientEvent.php,
/// Channels/Concerns/InteractsWith{Private,Presence}Channels.php, src/Jobs/
/// PingInactiveConnections.php and PruneStaleConnections.php):
/// - a 101 with `x-powered-by: Laravel Reverb`, then `pusher:connection_established` with its
///   data as a JSON string; an unknown app key gets the 101, then `pusher:error` 4001
///   "Application does not exist", then a TCP drop with no close frame;
/// - `pusher:ping` (any data) answered with `{"event":"pusher:pong"}`, no data; a ping frame
///   with a pong frame carrying its payload;
/// - subscriptions signed with the app secret (the key before ':' is not checked); a bad or
///   missing signature gets a channel-less `pusher:error` 4009 "Connection is unauthorized"
///   and the connection stays; presence data `{"presence":{"count","ids","hash"}}`, with
///   count 0, no ids and `"hash":[]` as soon as one subscriber has no user_id;
///   `pusher_internal:member_added` / `member_removed` to the other subscribers;
/// - client events (`client-` events of members, on any kind of channel) forwarded to the
///   other subscribers as `{"event","channel","data","user_id"?}`, with `data` an object (a
///   JSON string holding an object is decoded), and user_id on presence channels; data that
///   is no object gets 4200; a client event on a channel the sender is not in gets 4009 "The
///   client is not a member of the specified channel."; other events are ignored;
/// - anything unparsable, a binary message, an unknown `pusher:` event or one without its
///   channel: `pusher:error` 4200 "Invalid message format", and the connection stays;
/// - a message over max_message_size: close 1009 "Maximum message size exceeded", no
///   `pusher:error`;
/// - every `tick`: subscribed connections that were pinged and stayed silent get
///   `pusher:error` 4201 "Pong reply not received in time" and a TCP drop with no close frame;
///   then subscribed connections silent for `ping_interval` get `{"event":"pusher:ping"}`.
///   Connections with no subscription are never pinged nor pruned.
/// Server frames are written as PHP's json_encode writes them (`\/`, `\uXXXX`).
class ReverbServer {
 public:
  explicit ReverbServer(ReverbConfig config = {});
  /// Stops the timer, then every connection (joins every thread).
  ~ReverbServer();
  ReverbServer(const ReverbServer&) = delete;
  ReverbServer& operator=(const ReverbServer&) = delete;

  int port() const { return server_->port(); }
  const ReverbConfig& config() const;
  /// The underlying server: connections and what each client sent.
  HostileServer& server() { return *server_; }
  /// Reverb's HTTP API: `{"event":..,"data":"<data>","channel":..}` to every subscriber.
  void trigger(const std::string& channel, const std::string& event, const std::string& data);
  /// The text messages and close frames the server sent on connection `index`, in order
  /// (a close frame as `[close CODE REASON]`, a pong frame as `[pong PAYLOAD]`).
  std::vector<std::string> sent(int index) const;
  /// Waits until connection `index` was sent a message containing `needle`.
  bool wait_sent(int index, std::string_view needle, Millis timeout) const;
  /// The socket id given to connection `index` ("" if none yet).
  std::string socket_id(int index) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<HostileServer> server_;
};

}  // namespace pusher::test::hostile
