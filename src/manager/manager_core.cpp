#include "manager/manager_core.hpp"

#include <algorithm>
#include <functional>
#include <future>
#include <random>
#include <stdexcept>
#include <utility>

#include "auth/http_authorizer.hpp"
#include "net/websocket.hpp"
#include "protocol/encode.hpp"

namespace pusher::detail {
namespace {

// The destructor waits this long for the server to answer our close 1000.
constexpr auto kCloseWait = std::chrono::milliseconds(1000);

std::uint64_t seed_from_system() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

ManagerCore::ManagerCore(Options options, net::EventLoop& loop, std::shared_ptr<LoopRef> loop_ref,
                         service::TransportFactory make_transport, net::Scheduler* scheduler,
                         std::uint64_t random_seed)
    : options_((validate_options(options), std::move(options))),
      subscription_config_(std::make_shared<const SubscriptionConfig>(SubscriptionConfig{
          options_.max_presence_members, options_.outbound_queue_limit,
          options_.max_client_event_size, options_.reconnect.initial_delay,
          options_.reconnect.max_delay, options_.event_names.event_namespace})),
      loop_ref_(std::move(loop_ref)),
      loop_(loop),
      scheduler_(scheduler != nullptr ? *scheduler : loop),
      client_limiter_(options_.client_events_per_second),
      log_(options_.logger, options_.log_level),
      random_state_(random_seed != 0 ? random_seed : seed_from_system()),
      history_(options_.history_capacity, options_.history_max_bytes) {
  if (!make_transport) {
    make_transport = [&loop](net::WebSocketListener& listener) {
      return std::make_unique<net::WebSocket>(loop, listener);
    };
  }
  authorizer_ = options_.authorizer;
  if (!authorizer_ && !options_.auth.endpoint.empty()) {
    authorizer_ = auth::make_http_authorizer(loop, options_.auth);
  }
  // Connects are paced per loop; a test's own scheduler has no loop turns to pace with.
  net::ConnectPacer* pacer = scheduler == nullptr ? &loop.connect_pacer() : nullptr;
  service_ = std::make_unique<service::Service>(scheduler_, std::move(make_transport), *this,
                                                service::service_config(options_), log_,
                                                [this] { return random_unit(); }, pacer);
}

double ManagerCore::random_unit() {
  // splitmix64, then the top 53 bits as a double in [0, 1).
  std::uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

ManagerCore::~ManagerCore() = default;

void ManagerCore::start() {
  // Tasks and timers that throw end up here, on the loop thread, as an internal_error.
  auto sink = [weak = weak_from_this()](const std::string& what) {
    if (auto core = weak.lock()) {
      core->report(Error{ErrorCode::internal_error, "the SDK caught an exception: " + what, 0, {}});
    }
  };
  loop_ref_->set_fault_sink(sink);
  scheduler_.set_fault_sink(sink);
}

void ManagerCore::report(const Error& error) {
  if (closed_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = error;
  }
  log_.warn(std::string(to_string(error.code)) + ": " + error.message);
  error_handlers.dispatch({}, [](auto&& call) {
    try {
      call();
    } catch (...) {
      // An error handler that throws has nowhere left to report to.
    }
  }, error);
}

void ManagerCore::report_async(Error error) {
  loop_ref_->post([self = weak_from_this(), error = std::move(error)] {
    if (auto core = self.lock()) core->report(error);
  });
}

void ManagerCore::connect() {
  loop_ref_->post([self = weak_from_this()] {
    if (auto core = self.lock()) core->service_->connect();
  });
}

void ManagerCore::disconnect() {
  loop_ref_->post([self = weak_from_this()] {
    if (auto core = self.lock()) core->service_->disconnect();
  });
}

void ManagerCore::shutdown() {
  if (loop_ref_->in_loop_thread()) {
    // Inside a callback: the stack above may still be in this Manager's code. Close now, stop
    // every callback, and finish once the running one has returned.
    closed_ = true;
    service_->disconnect();
    loop_ref_->shut();
    loop_.post([self = shared_from_this()] { self->teardown_on_loop(); });
    return;
  }
  auto closed = std::make_shared<std::promise<void>>();
  auto closed_future = closed->get_future();
  bool posted = loop_ref_->post([self = shared_from_this(), closed] {
    self->service_->disconnect_then([closed] { closed->set_value(); });
  });
  if (posted) closed_future.wait_for(kCloseWait);
  if (!thread_) {
    // A shared loop keeps running for other Managers: tear down on it, then refuse posts.
    loop_ref_->call([self = shared_from_this()] { self->teardown_on_loop(); });
    loop_ref_->shut();
    return;
  }
  loop_ref_->shut();
  thread_->stop_and_join();
  // The loop is stopped: tearing down on this thread races with nothing.
  teardown_on_loop();
  thread_.reset();
}

void ManagerCore::teardown_on_loop() {
  closed_ = true;
  if (client_flush_timer_ != 0) scheduler_.cancel_timer(client_flush_timer_);
  client_flush_timer_ = 0;
  service_.reset();
  // The authorizer goes before the loop: an HTTP authorizer's transfers live in its multi handle.
  authorizer_.reset();
}

std::shared_ptr<Subscription> ManagerCore::subscribe(const std::string& name) {
  std::string problem = protocol::validate_channel_name(name);
  if (!problem.empty()) throw std::invalid_argument("invalid channel name '" + name + "': " + problem);
  // The handle and the loop task are made under one lock: calls from several threads reach
  // the loop in the order their handles were decided.
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = handles_[name];
  if (!slot) {
    slot = std::make_shared<Subscription>(name, loop_ref_, weak_from_this(), subscription_config_);
  }
  loop_ref_->post([self = weak_from_this(), channel = slot] {
    if (auto core = self.lock()) core->do_subscribe(channel);
  });
  return slot;
}

void ManagerCore::do_subscribe(const std::shared_ptr<Subscription>& channel) {
  if (channel->stale()) return;  // unsubscribed again before this ran: nothing to do
  auto& slot = channels_[channel->name()];
  std::shared_ptr<Subscription> previous = std::move(slot);  // alive while it hands over
  slot = channel;
  channel->start(*this, previous.get());
}

void ManagerCore::unsubscribe(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handles_.find(name);
  if (it == handles_.end()) return;
  std::shared_ptr<Subscription> channel = std::move(it->second);
  handles_.erase(it);
  channel->mark_stale();
  loop_ref_->post([self = weak_from_this(), channel] {
    if (auto core = self.lock()) channel->leave(*core);
  });
}

std::shared_ptr<Subscription> ManagerCore::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Subscription>> ManagerCore::handles() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Subscription>> out;
  out.reserve(handles_.size());
  for (const auto& [name, channel] : handles_) {
    if (name[0] != '#') out.push_back(channel);
  }
  return out;
}

std::shared_ptr<Subscription> ManagerCore::live(const std::string& name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Subscription>> ManagerCore::channels_snapshot() const {
  std::vector<std::shared_ptr<Subscription>> out;
  out.reserve(channels_.size());
  for (const auto& [name, channel] : channels_) out.push_back(channel);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

std::size_t ManagerCore::queued_client_events() const {
  std::size_t n = 0;
  for (const auto& [name, channel] : channels_) n += channel->queued_client_events();
  return n;
}

ConnectionState ManagerCore::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

std::string ManagerCore::socket_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return socket_id_;
}

std::optional<Error> ManagerCore::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::vector<AppEvent> ManagerCore::app_history() const {
  std::vector<Event> events = history_.snapshot();
  std::vector<AppEvent> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(decode_app_event(e, options_.event_names));
  return out;
}

// ---- SubscriptionHost ------------------------------------------------------------------

const std::string& ManagerCore::connected_socket_id() const { return connected_socket_id_; }

bool ManagerCore::send_now(const std::string& frame) { return service_->send_now(frame); }

void ManagerCore::send(std::string frame, const std::string& what) {
  service_->send(std::move(frame), what);
}

bool ManagerCore::authorize(const AuthRequest& request, std::function<void(AuthResult)> done) {
  if (!authorizer_) return false;
  // The answer may come on any thread, or inside this call: always continue on the loop. A
  // custom authorizer may give a number without its kind: that is an HTTP status.
  authorizer_->authorize(request, [loop = loop_ref_, done = std::move(done)](AuthResult r) {
    if (r.error.server_code != 0 && r.error.code_kind == CodeKind::none) {
      r.error.code_kind = CodeKind::http;
    }
    loop->post([done, r = std::move(r)]() mutable { done(std::move(r)); });
  });
  return true;
}

bool ManagerCore::registered(const Subscription& subscription) const {
  auto it = channels_.find(subscription.name());
  return it != channels_.end() && it->second.get() == &subscription;
}

void ManagerCore::unregister(Subscription& subscription) {
  auto it = channels_.find(subscription.name());
  if (it != channels_.end() && it->second.get() == &subscription) channels_.erase(it);
}

void ManagerCore::client_events_ready() {
  auto now = scheduler_.now();
  bool waiting = false;
  for (auto& channel : channels_snapshot()) {
    waiting = channel->flush_client_events(*this, client_limiter_, now) || waiting;
  }
  if (waiting && client_flush_timer_ == 0) {
    // Over the rate: go on when the oldest send leaves the one-second window.
    client_flush_timer_ = scheduler_.add_timer(client_limiter_.next_free() - now,
                                               [self = weak_from_this()] {
      auto core = self.lock();
      if (!core) return;
      core->client_flush_timer_ = 0;
      core->client_events_ready();
    });
  }
}

}  // namespace pusher::detail
