#include "service/service.hpp"

#include <pusher/version.hpp>

#include <algorithm>
#include <utility>

#include "error_codes.hpp"
#include "protocol/encode.hpp"

namespace pusher::detail::service {
namespace {

using Clock = net::Scheduler::Clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// A pusher:error this recent explains a code-less close that follows it: Reverb sends the
// error and then drops TCP without a close frame.
constexpr auto kErrorExplainsClose = std::chrono::seconds(3);
// Pusher's code for "pong reply not received": a pong timeout reconnects at once.
constexpr int kPongTimeoutCode = 4201;
constexpr std::size_t kMaxPingsInFlight = 8;
// Past this much unsent data a server's ping goes unanswered (RFC 6455 §5.5.3 lets a pong be
// skipped): a server that pings but never reads must not grow our write buffer.
constexpr std::size_t kPongBacklog = 64 * 1024;
// A channel event's data buffer up to this size is kept for the next message.
constexpr std::size_t kKeptMessageBytes = 4096;
// A close 1009 from the server: what we sent was over its limit (RFC 6455 §7.4.1).
constexpr int kCloseTooBig = 1009;

std::string normalised_path(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  return path;
}

// RFC 3986 §2.3: unreserved characters stay, every other byte becomes %XX (§2.1, upper case).
void append_encoded(std::string& out, const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
}

// Options::query after the protocol parameters: `&name=value`, both percent-encoded.
void append_query(std::string& url, const Fields& query) {
  for (const auto& [name, value] : query) {
    url.push_back('&');
    append_encoded(url, name);
    url.push_back('=');
    append_encoded(url, value);
  }
}

}  // namespace

std::string build_url(const Endpoint& endpoint, const std::string& key) {
  int port = endpoint.port != 0 ? endpoint.port : (endpoint.tls ? 443 : 80);
  std::string host = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]"
                                                                   : endpoint.host;
  return std::string(endpoint.tls ? "wss://" : "ws://") + host + ":" + std::to_string(port) +
         normalised_path(endpoint.path) + "/app/" + key +
         "?protocol=7&client=cpp&version=" PUSHER_VERSION_STRING;
}

Service::Service(net::Scheduler& scheduler, TransportFactory make_transport,
                 ServiceListener& listener, ServiceConfig config, Log log,
                 std::function<double()> random_unit, net::ConnectPacer* pacer)
    : scheduler_(scheduler),
      make_transport_(std::move(make_transport)),
      listener_(listener),
      config_(std::move(config)),
      log_(std::move(log)),
      random_unit_(std::move(random_unit)),
      pacer_(pacer) {}

Service::~Service() {
  for (auto* timer : {&connect_timer_, &activity_timer_, &pong_timer_, &reconnect_timer_,
                      &unavailable_timer_, &stable_timer_, &backlog_timer_, &admitted_timer_}) {
    cancel(*timer);
  }
  leave_pacer();
  transport_.reset();  // drops the connection without callbacks
}

void Service::leave_pacer() {
  if (pacer_ != nullptr) pacer_->leave(pacer_ticket_);
  pacer_ticket_ = 0;
}

void Service::cancel(net::Scheduler::TimerId& timer) noexcept {
  if (timer != 0) scheduler_.cancel_timer(timer);
  timer = 0;
}

std::string Service::url_for(std::size_t index) const {
  Endpoint endpoint = config_.endpoints.at(index % config_.endpoints.size());
  if (force_tls_ && !endpoint.tls) {
    endpoint.tls = true;
    if (endpoint.port == 80) endpoint.port = 443;
  }
  std::string url = build_url(endpoint, config_.key);
  append_query(url, config_.query);
  return url;
}

net::WebSocketOptions Service::transport_options(std::size_t endpoint) const {
  net::WebSocketOptions o;
  o.url = url_for(endpoint);
  o.headers = config_.headers;
  o.verify_peer = config_.verify_peer;
  o.ca_file = config_.ca_file;
  o.proxy = config_.proxy;
  o.connect_timeout = config_.connect_timeout;  // libcurl's backstop; the deadline is ours
  o.max_message_size = config_.max_message_size;
  return o;
}

void Service::connect() {
  if (state_ == ConnectionState::connecting || state_ == ConnectionState::connected ||
      state_ == ConnectionState::unavailable) {
    return;
  }
  if (config_.endpoints.empty()) {
    report(ErrorCode::connect_failed, "no server configured: set Options::host or cluster");
    return;
  }
  if (transport_active_) {
    stopping_ = true;  // the old connection is still closing: its on_close must not reconnect
    transport_->abort(Error{ErrorCode::connection_closed, "replaced by a new connect()", 0, {}});
  }
  stopping_ = false;
  attempts_ = 0;
  set_state(ConnectionState::connecting);
  if (state_ != ConnectionState::connecting) return;  // a state callback disconnected
  start_attempt();
}

void Service::disconnect() {
  stopping_ = true;
  for (auto* timer : {&connect_timer_, &activity_timer_, &pong_timer_, &reconnect_timer_,
                      &unavailable_timer_, &stable_timer_, &backlog_timer_, &admitted_timer_}) {
    cancel(*timer);
  }
  leave_pacer();  // a closing connection needs no connect slot, and a waiting one never starts
  if (transport_active_) transport_->close(1000, "");
  if (state_ != ConnectionState::initialized) set_state(ConnectionState::disconnected);
}

void Service::disconnect_then(std::function<void()> closed) {
  disconnect();
  if (!transport_active_) {
    closed();
    return;
  }
  on_closed_ = std::move(closed);
}

void Service::start_attempt() {
  reconnect_timer_ = 0;
  if (stopping_) return;
  if (unavailable_timer_ == 0 && state_ == ConnectionState::connecting) {
    unavailable_timer_ = scheduler_.add_timer(config_.unavailable_timeout, [this] {
      unavailable_timer_ = 0;
      if (state_ == ConnectionState::connecting) set_state(ConnectionState::unavailable);
    });
  }
  if (pacer_ == nullptr) {
    begin_attempt();
    return;
  }
  leave_pacer();
  auto entry = pacer_->enter([this] {
    // Called from another connection's leave(): start on a turn of our own.
    admitted_timer_ = scheduler_.add_timer(milliseconds(0), [this] {
      admitted_timer_ = 0;
      begin_attempt();
    });
  });
  pacer_ticket_ = entry.ticket;
  if (entry.now) {
    begin_attempt();
  } else {
    log_.debug("waiting for a connect slot (" + std::to_string(pacer_->in_flight()) +
               " connects in flight on this loop, LoopOptions::max_connecting)");
  }
}

void Service::begin_attempt() {
  if (stopping_) return;
  if (!transport_) transport_ = make_transport_(*this);
  upgraded_ = false;
  handshake_done_ = false;
  socket_id_.clear();
  transport_active_ = true;
  net::WebSocketOptions o = transport_options(endpoint_);
  if (!o.verify_peer) log_.warn("TLS peer verification is OFF: the server is not authenticated");
  // Options::query may carry a gateway's token: the log shows the URL without it.
  log_.info("connecting to " + o.url.substr(0, o.url.find('&', o.url.find("version="))));
  // The one deadline of the attempt, from now (a paced connect's slot) to connection_established:
  // the transport arms none of its own (net/transport.hpp), so this is the only timeout reported.
  connect_timer_ = scheduler_.add_timer(config_.connect_timeout, [this] {
    connect_timer_ = 0;
    if (!transport_active_ || handshake_done_) return;
    std::string what = upgraded_ ? "no pusher:connection_established"
                                 : "the WebSocket did not open";
    what += " within the connect timeout (" + std::to_string(config_.connect_timeout.count()) +
            " ms)";
    transport_->abort(Error{ErrorCode::timeout, std::move(what), 0, {}});
  });
  transport_->connect(std::move(o));
}

void Service::on_open() {
  upgraded_ = true;
  log_.debug("WebSocket open; waiting for pusher:connection_established");
}

void Service::on_text(std::string_view message) {
  ++stats_.messages_in;
  stats_.bytes_in += message.size();
  last_activity_ = scheduler_.now();
  // Any message proves the connection alive (Pusher protocol reference, "Ping and pong").
  if (pong_timer_ != 0) {
    cancel(pong_timer_);
    arm_activity_timer(activity_timeout_);
  }
  listener_.on_frame(message);
  if (!transport_active_) return;  // a frame callback ended the connection
  protocol::Inbound nested;
  protocol::Inbound& inbound = handling_message_ ? nested : inbound_;
  protocol::DecodeFailure failure;
  if (!protocol::decode(message, inbound, failure)) {
    report(ErrorCode::malformed_message, "skipped a malformed message: " + failure.message);
    return;
  }
  const bool outer = !handling_message_;
  handling_message_ = true;
  handle(inbound);
  if (!outer) return;
  handling_message_ = false;
  // Buffers kept for the next message, up to a size; a rare large one is not held for good.
  if (auto* event = std::get_if<protocol::ChannelEvent>(&inbound_);
      event != nullptr && event->data.capacity() > kKeptMessageBytes) {
    inbound_.emplace<protocol::ChannelEvent>();
  }
}

void Service::handle(protocol::Inbound& inbound) {
  if (auto* established = std::get_if<protocol::ConnectionEstablished>(&inbound)) {
    on_established(*established);
  } else if (std::holds_alternative<protocol::Ping>(inbound)) {
    if (transport_active_ && transport_->queued_bytes() <= kPongBacklog) {
      send_now(protocol::encode_pong());
    }
  } else if (std::holds_alternative<protocol::Pong>(inbound)) {
    // Pongs come back in the order of the pings: the oldest one in flight is answered.
    if (!pings_in_flight_.empty()) {
      stats_.last_ping_rtt = std::chrono::duration_cast<std::chrono::microseconds>(
          scheduler_.now() - pings_in_flight_.front());
      pings_in_flight_.erase(pings_in_flight_.begin());
    }
  } else if (auto* error = std::get_if<protocol::ServerError>(&inbound)) {
    on_server_error(*error, inbound);
  } else if (handshake_done_) {
    listener_.on_message(inbound);
  }
}

void Service::on_binary(std::string_view message) {
  report(ErrorCode::malformed_message, "skipped a binary message of " +
                                           std::to_string(message.size()) +
                                           " bytes: the Pusher protocol is text only");
}

void Service::on_pong(std::string_view) {}

void Service::on_established(const protocol::ConnectionEstablished& established) {
  if (handshake_done_) return;
  cancel(connect_timer_);
  cancel(unavailable_timer_);
  leave_pacer();
  handshake_done_ = true;
  stable_ = false;
  socket_id_ = established.socket_id;
  if (ever_connected_) ++stats_.reconnects;
  ever_connected_ = true;
  connected_at_ = scheduler_.now();
  // The server's activity_timeout wins when it is lower (pusher-js does the same).
  activity_timeout_ = config_.activity_timeout;
  if (established.activity_timeout > 0) {
    activity_timeout_ = std::min(activity_timeout_, milliseconds(established.activity_timeout * 1000LL));
  }
  log_.info("connected, socket id " + socket_id_);
  set_state(ConnectionState::connected);
  if (state_ != ConnectionState::connected) return;
  listener_.on_connected(socket_id_);
  if (state_ != ConnectionState::connected) return;
  flush_queue();
  arm_activity_timer(activity_timeout_);
  // The attempt count resets only once the connection has stayed up for an activity timeout:
  // a server that accepts and then closes at once must not get a reconnect loop with no delay.
  cancel(stable_timer_);
  stable_timer_ = scheduler_.add_timer(activity_timeout_.count() > 0 ? activity_timeout_
                                                                     : config_.activity_timeout,
                                       [this] {
                                         stable_timer_ = 0;
                                         stable_ = true;
                                         attempts_ = 0;
                                         failures_ = 0;
                                       });
}

void Service::on_server_error(const protocol::ServerError& error, protocol::Inbound& inbound) {
  // Remembered to explain a code-less close that follows. Not a 4009 once connected: Reverb's
  // channel-less 4009 refuses one subscription and keeps the connection, and a network drop
  // soon after must not read as "refused, never reconnect".
  const bool closes = error.code >= 4000 && error.code <= 4299 && error.code != 4009;
  if (!handshake_done_ || error.code != 4009) {
    recent_error_code_ = error.code;
    recent_error_message_ = error.message;
    recent_error_at_ = scheduler_.now();
    recent_error_reported_ = false;
  }
  if (!handshake_done_) {
    // Before the handshake a pusher:error decides like a close code: Reverb sends 4004 and
    // 4009 as messages and leaves the socket open (Pusher protocol reference, "Error codes").
    // Reported once, through on_close, as the reason the attempt ended.
    if (transport_active_) {
      transport_->abort(make_error(ErrorCode::server_error,
                                   "the server refused the handshake: " + error.message,
                                   error.code, CodeKind::pusher));
    }
    return;
  }
  if (closes && error.code < 4100) return;  // 4000-4099: the close that follows reports it
  // After the handshake the Manager reports it (and ties a channel-less 4009 to a pending
  // subscription); a close it announces is then not reported a second time.
  if (closes) recent_error_reported_ = true;
  listener_.on_message(inbound);
}

void Service::on_close(const net::CloseEvent& event) {
  transport_active_ = false;
  leave_pacer();
  bool was_connected = handshake_done_;
  Ending ending = Ending::answered;
  if (was_connected) {
    ending = stable_ ? Ending::dropped : Ending::answered;
  } else if (event.unreachable && event.error.code != ErrorCode::timeout) {
    // A timed-out attempt backs off like an answered failure, whichever timer ended it.
    ending = Ending::unreachable;
  }
  stable_ = false;
  upgraded_ = false;
  handshake_done_ = false;
  cancel(connect_timer_);
  cancel(activity_timer_);
  cancel(pong_timer_);
  cancel(stable_timer_);
  cancel(backlog_timer_);
  pings_in_flight_.clear();
  if (was_connected) {
    stats_.time_connected += duration_cast<milliseconds>(scheduler_.now() - connected_at_);
  }
  if (on_closed_) {
    auto closed = std::move(on_closed_);
    on_closed_ = nullptr;
    closed();
  }
  if (stopping_) return;
  bool recent = recent_error_code_ != 0 && scheduler_.now() - recent_error_at_ <= kErrorExplainsClose;
  int code = effective_close_code(event.code, recent ? recent_error_code_ : 0);
  bool explained = recent && recent_error_reported_;  // already reported by the Manager
  std::string server_message = recent ? recent_error_message_ : event.reason;
  recent_error_code_ = 0;
  recent_error_reported_ = false;
  // A failed attempt moves on to the next endpoint; a drop first retries the same one.
  if (!was_connected) endpoint_ = (endpoint_ + 1) % config_.endpoints.size();
  after_drop(code, ending, close_error(event), explained, server_message);
}

Error Service::close_error(const net::CloseEvent& event) const {
  Error error = event.error;
  // A close 1009 from the server (echoed by us, RFC 6455 §5.5.1): what we sent was too big.
  if (event.code == kCloseTooBig && error.code == ErrorCode::connection_closed) {
    error = Error{ErrorCode::message_too_large,
                  "the server closed with 1009: a message we sent was over its size limit "
                  "(Reverb's is 10,000 bytes; see Options::max_client_event_size)",
                  kCloseTooBig, {}};
    error.code_kind = CodeKind::close;
  }
  return error;
}

void Service::after_drop(int code, Ending ending, Error error, bool explained,
                         const std::string& server_message) {
  // One drop, one error: the close's own, flagged transient when a reconnect follows, or the
  // refusal or the giving up that ends the reconnects.
  CloseAction action = classify_close(code);
  if (action == CloseAction::refused) {
    stopping_ = true;
    cancel(unavailable_timer_);
    set_state(ConnectionState::disconnected);
    report(ErrorCode::connection_refused,
           "the server refused the connection (" + std::to_string(code) + ")" +
               (server_message.empty() ? "" : ": " + server_message) + "; not reconnecting",
           code, close_code_kind(code));
    return;
  }
  if (action == CloseAction::tls_only) force_tls_ = true;
  if (config_.reconnect.max_attempts != 0 && attempts_ >= config_.reconnect.max_attempts) {
    stopping_ = true;
    cancel(unavailable_timer_);
    set_state(ConnectionState::failed);
    report(ErrorCode::connect_failed, "gave up after " + std::to_string(attempts_) +
                                          " failed attempts" +
                                          (error ? ": the last one: " + error.message : ""));
    return;
  }
  if (error && !explained) {
    error.transient = config_.reconnect.enabled;
    listener_.on_error(error);
    if (stopping_) return;
  }
  if (!config_.reconnect.enabled) {
    stopping_ = true;
    cancel(unavailable_timer_);
    set_state(ConnectionState::disconnected);
    log_.info("automatic reconnects are off (ReconnectPolicy::enabled): staying disconnected");
    return;
  }
  schedule_reconnect(action, ending);
}

void Service::schedule_reconnect(CloseAction action, Ending ending) {
  if (state_ == ConnectionState::connected) set_state(ConnectionState::connecting);
  if (stopping_) return;
  const ReconnectPolicy& policy = config_.reconnect;
  milliseconds delay;
  const char* why;
  if (ending == Ending::unreachable ||
      (ending == Ending::dropped && action == CloseAction::backoff)) {
    // A refused connect costs the server nothing: try again soon, however long it has been.
    delay = retry_delay(policy.retry_interval, policy.max_delay, random_unit_());
    why = ending == Ending::unreachable ? "the server is unreachable" : "the connection dropped";
  } else {
    // A server that answers and fails, or does not answer in time, may be overloaded.
    delay = backoff_delay(action, failures_++, policy.initial_delay, policy.max_delay,
                          random_unit_());
    why = "backing off";
  }
  ++attempts_;
  log_.info(std::string("reconnecting in ") + std::to_string(delay.count()) + " ms (" + why + ")");
  listener_.on_connecting_in(delay, attempts_);
  if (stopping_) return;
  reconnect_timer_ = scheduler_.add_timer(delay, [this] { start_attempt(); });
}

void Service::set_state(ConnectionState state) {
  if (state == state_) return;
  StateChange change{state_, state};
  state_ = state;
  listener_.on_state_change(change);
}

void Service::arm_activity_timer(milliseconds after) {
  cancel(activity_timer_);
  if (!handshake_done_ || activity_timeout_.count() <= 0) return;
  activity_timer_ = scheduler_.add_timer(after, [this] {
    activity_timer_ = 0;
    on_activity_timeout();
  });
}

void Service::on_activity_timeout() {
  // Messages do not re-arm the timer (that would cost a heap operation per message); the
  // timer checks how long it has really been quiet and sleeps again for the rest.
  auto quiet = scheduler_.now() - last_activity_;
  if (quiet < activity_timeout_) {
    arm_activity_timer(std::chrono::ceil<milliseconds>(activity_timeout_ - quiet));
    return;
  }
  send_now(protocol::encode_ping());
  // A slow link can have several pings in flight; a server that drops pongs must not grow it.
  if (pings_in_flight_.size() >= kMaxPingsInFlight) pings_in_flight_.erase(pings_in_flight_.begin());
  pings_in_flight_.push_back(scheduler_.now());
  pong_timer_ = scheduler_.add_timer(config_.pong_timeout, [this] {
    pong_timer_ = 0;
    on_pong_timeout();
  });
}

void Service::on_pong_timeout() {
  if (!transport_active_) return;
  log_.warn("no pong within the pong timeout: reconnecting");
  recent_error_code_ = kPongTimeoutCode;
  recent_error_at_ = scheduler_.now();
  transport_->abort(Error{ErrorCode::timeout, "no pong within the pong timeout", 0, {}});
}

bool Service::send(std::string message, const std::string& what) {
  // A connection that is going away refuses the write: the message then waits for the next
  // one like any other, rather than vanishing between the drop and its on_close.
  if (state_ == ConnectionState::connected && handshake_done_ && queue_.empty() &&
      send_now(message)) {
    return true;
  }
  if (queue_.size() >= config_.outbound_queue_limit) {
    report(ErrorCode::queue_overflow, "the outbound queue is full (" +
                                          std::to_string(queue_.size()) +
                                          " messages): not sent: " + what);
    return false;
  }
  queue_.push_back(std::move(message));
  return true;
}

bool Service::send_now(const std::string& message) {
  if (!transport_active_ || !handshake_done_ || backlog_timer_ != 0) return false;
  if (transport_->queued_bytes() + message.size() > config_.write_buffer_limit) {
    fail_write_backlog();
    return false;
  }
  if (!transport_->send_text(message)) return false;
  ++stats_.messages_out;
  stats_.bytes_out += message.size();
  return true;
}

void Service::fail_write_backlog() {
  // Dropped from a timer, not here: send_now runs inside loops over channels and the queue.
  std::size_t backlog = transport_->queued_bytes();
  backlog_timer_ = scheduler_.add_timer(milliseconds(0), [this, backlog] {
    backlog_timer_ = 0;
    if (!transport_active_) return;
    transport_->abort(Error{ErrorCode::io_error,
                            "the server is not reading: " + std::to_string(backlog) +
                                " bytes unsent, over Options::write_buffer_limit",
                            0, {}});
  });
}

void Service::flush_queue() {
  std::size_t sent = 0;
  while (sent < queue_.size() && handshake_done_) {
    if (!send_now(queue_[sent])) break;
    ++sent;
  }
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(std::min(sent, queue_.size())));
}

void Service::report(ErrorCode code, std::string message, int server_code, CodeKind kind) {
  log_.warn(std::string(to_string(code)) + ": " + message);
  listener_.on_error(make_error(code, std::move(message), server_code, kind));
}

ServiceStats Service::stats() const {
  ServiceStats s = stats_;
  if (handshake_done_) s.time_connected += duration_cast<milliseconds>(scheduler_.now() - connected_at_);
  return s;
}

}  // namespace pusher::detail::service
