#pragma once

#include <pusher/error.hpp>
#include <pusher/state.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "log.hpp"
#include "net/connect_pacer.hpp"
#include "net/scheduler.hpp"
#include "net/transport.hpp"
#include "protocol/message.hpp"
#include "service/close_action.hpp"
#include "service/service_config.hpp"

namespace pusher::detail::service {

/// What the Service tells the layer above (the Manager). Calls come on the loop thread.
class ServiceListener {
 public:
  virtual ~ServiceListener() = default;
  virtual void on_state_change(StateChange change) = 0;
  /// The handshake finished. Resubscribe here: the outbound queue is flushed right after.
  virtual void on_connected(const std::string& socket_id) = 0;
  /// Every inbound message that is not about the connection itself.
  virtual void on_message(protocol::Inbound& message) = 0;
  virtual void on_error(const Error& error) = 0;
  /// Attempt `attempt` (1 for the first after a drop) starts after `delay`.
  virtual void on_connecting_in(std::chrono::milliseconds delay, unsigned attempt) = 0;
  /// Every inbound text message, before it is decoded.
  virtual void on_frame(std::string_view /*frame*/) {}
};

/// Counters of one connection's life, over all reconnects.
struct ServiceStats {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t reconnects = 0;
  std::chrono::milliseconds time_connected{0};
  std::optional<std::chrono::microseconds> last_ping_rtt;
};

/// Makes transports; the real one makes WebSockets on the loop.
using TransportFactory =
    std::function<std::unique_ptr<net::Transport>(net::WebSocketListener& listener)>;

/// One Pusher connection: the WebSocket URL, `pusher:connection_established`, the heartbeat,
/// reconnects with back-off, and the bounded queue of messages sent while not connected.
///
/// Thread safety: loop thread only (the Manager posts to it).
class Service final : private net::WebSocketListener {
 public:
  /// `pacer` paces the connects of every Service on one loop (null: none) and must outlive
  /// the Service.
  Service(net::Scheduler& scheduler, TransportFactory make_transport, ServiceListener& listener,
          ServiceConfig config, Log log, std::function<double()> random_unit,
          net::ConnectPacer* pacer = nullptr);
  ~Service() override;

  void connect();
  /// Closes with 1000 and stops reconnecting, always.
  void disconnect();
  /// disconnect(), then calls `closed` once the connection has ended (at once when there is
  /// none). Destroying the Service drops a `closed` not yet called.
  void disconnect_then(std::function<void()> closed);
  /// Sends now when connected, else queues (in order) until the next handshake. Returns false
  /// and reports queue_overflow when the queue is full. `what` names it in that error.
  bool send(std::string message, const std::string& what);
  /// Sends now if connected (subscriptions: the Manager redoes them on every connect).
  bool send_now(const std::string& message);

  ConnectionState state() const noexcept { return state_; }
  const std::string& socket_id() const noexcept { return socket_id_; }
  /// True between a connect and the end of that connection (closing included).
  bool transport_active() const noexcept { return transport_active_; }
  ServiceStats stats() const;
  /// The URL of endpoint `index` (tests and logs; it holds no secret).
  std::string url_for(std::size_t index) const;

 private:
  // net::WebSocketListener
  void on_open() override;
  void on_text(std::string_view message) override;
  void on_binary(std::string_view message) override;
  void on_pong(std::string_view payload) override;
  void on_close(const net::CloseEvent& event) override;

  void start_attempt();
  void begin_attempt();
  void leave_pacer();
  void on_established(const protocol::ConnectionEstablished& established);
  void handle(protocol::Inbound& inbound);
  void on_server_error(const protocol::ServerError& error, protocol::Inbound& inbound);
  void after_drop(int close_code, Ending ending, Error error, bool explained,
                  const std::string& server_message);
  Error close_error(const net::CloseEvent& event) const;
  void schedule_reconnect(CloseAction action, Ending ending);
  void set_state(ConnectionState state);
  void arm_activity_timer(std::chrono::milliseconds after);
  void on_activity_timeout();
  void on_pong_timeout();
  void flush_queue();
  void fail_write_backlog();
  void report(ErrorCode code, std::string message, int server_code = 0,
              CodeKind kind = CodeKind::none);
  void cancel(net::Scheduler::TimerId& timer) noexcept;
  net::WebSocketOptions transport_options(std::size_t endpoint) const;

  net::Scheduler& scheduler_;
  TransportFactory make_transport_;
  ServiceListener& listener_;
  const ServiceConfig config_;
  Log log_;
  std::function<double()> random_unit_;
  net::ConnectPacer* pacer_;

  std::unique_ptr<net::Transport> transport_;
  ConnectionState state_ = ConnectionState::initialized;
  bool transport_active_ = false;   // between connect() and on_close
  bool upgraded_ = false;           // the transport opened (the WebSocket upgrade was answered)
  bool handshake_done_ = false;     // connection_established seen on this transport
  bool stopping_ = false;           // disconnect() or refused: no reconnect
  bool force_tls_ = false;          // 4000 asked for TLS
  bool ever_connected_ = false;
  std::size_t endpoint_ = 0;
  unsigned attempts_ = 0;           // failed attempts since the last stable connection
  unsigned failures_ = 0;           // of those, the ones a server answered (or timeouts)
  bool stable_ = false;             // this connection has stayed up for an activity timeout
  net::ConnectPacer::Ticket pacer_ticket_ = 0;  // a slot held or waited for
  std::string socket_id_;
  std::chrono::milliseconds activity_timeout_{0};
  // Each message is decoded into this, so a channel event reuses the last one's strings. A
  // message that arrives while one is being handled (none does today) gets its own.
  protocol::Inbound inbound_;
  bool handling_message_ = false;

  int recent_error_code_ = 0;
  std::string recent_error_message_;
  bool recent_error_reported_ = false;  // the Manager reported it: its close is not reported again
  net::Scheduler::Clock::time_point recent_error_at_{};

  net::Scheduler::TimerId connect_timer_ = 0;      // the one deadline of an attempt
  net::Scheduler::TimerId activity_timer_ = 0;
  net::Scheduler::TimerId pong_timer_ = 0;
  net::Scheduler::TimerId reconnect_timer_ = 0;
  net::Scheduler::TimerId unavailable_timer_ = 0;
  net::Scheduler::TimerId stable_timer_ = 0;       // up this long: the attempt count resets
  net::Scheduler::TimerId backlog_timer_ = 0;      // drops a connection whose peer stopped reading
  net::Scheduler::TimerId admitted_timer_ = 0;     // the pacer gave this attempt its slot
  std::function<void()> on_closed_;
  // Vectors, not deques: an idle connection allocates nothing for them (libstdc++'s deque
  // allocates ~600 bytes even when empty).
  std::vector<net::Scheduler::Clock::time_point> pings_in_flight_;  // for the round trip
  net::Scheduler::Clock::time_point connected_at_{};
  net::Scheduler::Clock::time_point last_activity_{};

  std::vector<std::string> queue_;
  ServiceStats stats_;
};

/// The WebSocket URL of an endpoint: `ws[s]://host:port[/path]/app/<key>?protocol=7&client=cpp&version=X`.
std::string build_url(const Endpoint& endpoint, const std::string& key);

}  // namespace pusher::detail::service
