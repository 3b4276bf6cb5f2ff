#include "manager/manager_core.hpp"

#include <algorithm>
#include <functional>
#include <future>
#include <stdexcept>
#include <utility>

#include "auth/http_authorizer.hpp"
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
      loop_ref_(std::move(loop_ref)),
      loop_(loop),
      scheduler_(scheduler != nullptr ? *scheduler : loop),
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
                                                options_, log_, [this] { return next_random(); },
                                                pacer);
}

double ManagerCore::next_random() {
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

void ManagerCore::signin() {
  loop_ref_->post([self = weak_from_this()] {
    auto core = self.lock();
    if (!core) return;
    core->signin_wanted_ = true;
    if (core->service_->state() == ConnectionState::connected) core->send_signin();
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

std::shared_ptr<ChannelCore> ManagerCore::subscribe(const std::string& name) {
  std::string problem = protocol::validate_channel_name(name);
  if (!problem.empty()) throw std::invalid_argument("invalid channel name '" + name + "': " + problem);
  // The handle and the loop task are made under one lock: calls from several threads reach
  // the loop in the order their handles were decided.
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = handles_[name];
  if (!slot) {
    slot = std::make_shared<ChannelCore>(name, loop_ref_);
    slot->manager = weak_from_this();
  }
  loop_ref_->post([self = weak_from_this(), channel = slot] {
    if (auto core = self.lock()) core->do_subscribe(channel);
  });
  return slot;
}

void ManagerCore::unsubscribe(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handles_.find(name);
  if (it == handles_.end()) return;
  std::shared_ptr<ChannelCore> channel = std::move(it->second);
  handles_.erase(it);
  channel->stale = true;
  loop_ref_->post([self = weak_from_this(), channel] {
    if (auto core = self.lock()) core->do_unsubscribe(channel);
  });
}

std::shared_ptr<ChannelCore> ManagerCore::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

std::shared_ptr<ChannelCore> ManagerCore::live(const std::string& name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ChannelCore>> ManagerCore::channels_snapshot() const {
  std::vector<std::shared_ptr<ChannelCore>> out;
  out.reserve(channels_.size());
  for (const auto& [name, channel] : channels_) out.push_back(channel);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

std::size_t ManagerCore::queued_client_events() const {
  std::size_t n = 0;
  for (const auto& [name, channel] : channels_) n += channel->client_events.size();
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

void ManagerCore::on_state_change(StateChange change) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_ = change.current;
    // Valid inside the "connected" callbacks already (apps send it as X-Socket-ID).
    socket_id_ = change.current == ConnectionState::connected ? service_->socket_id() : std::string();
  }
  log_.info(std::string("state ") + to_string(change.previous) + " -> " + to_string(change.current));
  if (change.current != ConnectionState::connected) {
    // Every subscription died with the connection (pusher-js channel.disconnect()).
    signin_in_flight_ = false;
    auto now = scheduler_.now();
    for (auto& channel : channels_snapshot()) {
      if (channel->sub == ChannelCore::Sub::subscribed) channel->lost_at = now;
      if (channel->cancelled) {
        forget(*channel);
        continue;
      }
      if (channel->sub == ChannelCore::Sub::authorizing) ++channel->auth_generation;
      channel->auth_attempts = 0;
      channel->sub = ChannelCore::Sub::idle;
      channel->subscribed = false;
      channel->sent_seq = 0;
      channel->set_members({}, 0);
      if (channel->refreshing_key) {
        // The key's answer belonged to the lost connection: the held events go with it.
        channel->refreshing_key = false;
        report(Error{ErrorCode::malformed_message,
                     std::to_string(channel->awaiting_key.size()) + " encrypted events on " +
                         channel->name() + " dropped: the connection ended while a fresh key was fetched",
                     0, channel->name()});
        channel->awaiting_key.clear();
      }
    }
  }
  state_handlers.dispatch({}, [this](auto&& call) { guarded("state", call); }, change);
}

void ManagerCore::on_connected(const std::string& socket_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_id_ = socket_id;
  }
  // Every channel again, with the new socket id (pusher-js channels resubscribe on connect);
  // the sign-in too.
  if (signin_wanted_) send_signin();
  for (auto& channel : channels_snapshot()) {
    // #server-to-user-<id> waits for signin_success: the server wants the sign-in first.
    if (channel->sub == ChannelCore::Sub::idle && channel->name()[0] != '#') send_subscribe(channel);
    if (service_->state() != ConnectionState::connected) return;
  }
}

void ManagerCore::on_connecting_in(std::chrono::milliseconds delay, unsigned attempt) {
  connecting_in_handlers.dispatch({}, [this](auto&& call) { guarded("connecting_in", call); },
                                  delay, attempt);
}

void ManagerCore::on_frame(std::string_view frame) {
  if (message_handlers.empty()) return;  // no copy unless someone listens
  const std::string text(frame);
  message_handlers.dispatch({}, [this](auto&& call) { guarded("message", call); }, text);
}

std::vector<AppEvent> ManagerCore::app_history() const {
  std::vector<Event> events = history_.snapshot();
  std::vector<AppEvent> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(decode_app_event(e, options_.event_names));
  return out;
}

std::optional<Error> ManagerCore::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::vector<std::shared_ptr<ChannelCore>> ManagerCore::handles() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<ChannelCore>> out;
  out.reserve(handles_.size());
  for (const auto& [name, channel] : handles_) {
    if (name[0] != '#') out.push_back(channel);
  }
  return out;
}

void ManagerCore::on_error(const Error& error) { report(error); }

void ManagerCore::on_message(protocol::Inbound& message) {
  if (auto* event = std::get_if<protocol::ChannelEvent>(&message)) {
    on_channel_event(*event);
  } else if (auto* ok = std::get_if<protocol::SubscriptionSucceeded>(&message)) {
    on_subscription_succeeded(*ok);
  } else if (auto* failed = std::get_if<protocol::SubscriptionError>(&message)) {
    on_subscription_error(*failed);
  } else if (auto* error = std::get_if<protocol::ServerError>(&message)) {
    on_server_error(*error);
  } else if (auto* count = std::get_if<protocol::SubscriptionCount>(&message)) {
    auto channel = live(count->channel);
    if (channel) channel->subscription_count = count->count;
    notify(channel.get(), count->channel, "pusher:subscription_count",
           "{\"subscription_count\":" + std::to_string(count->count) + "}");
  } else if (auto* miss = std::get_if<protocol::CacheMiss>(&message)) {
    notify(live(miss->channel).get(), miss->channel, "pusher:cache_miss", "");
  } else if (auto* added = std::get_if<protocol::MemberAdded>(&message)) {
    on_member_added(*added);
  } else if (auto* removed = std::get_if<protocol::MemberRemoved>(&message)) {
    on_member_removed(*removed);
  } else if (auto* signed_in = std::get_if<protocol::SigninSuccess>(&message)) {
    on_signin_success(*signed_in);
  } else if (auto* ignored = std::get_if<protocol::Ignored>(&message)) {
    log_.debug("ignored unknown event " + ignored->event);
  }
}

void ManagerCore::on_channel_event(protocol::ChannelEvent& m) {
  Event event{std::move(m.channel), std::move(m.event), std::move(m.data), std::move(m.user_id),
              std::chrono::system_clock::now()};
  // A counted reference, not a plain pointer: a callback that destroys the Manager makes the
  // registry forget a cancelled channel while its event is still being dispatched.
  auto channel = event.channel.empty() ? nullptr : live(event.channel);
  if (channel && channel->kind() == protocol::ChannelKind::private_encrypted &&
      event.name.rfind("pusher", 0) != 0 && !open_encrypted(channel, event)) {
    return;  // held for a fresh key, or reported
  }
  deliver(channel, event);
}

void ManagerCore::deliver(const std::shared_ptr<ChannelCore>& channel, const Event& event) {
  dispatch(channel.get(), event, true);
  history_.push(event);  // after the callbacks: they do not wait for the copy
}

void ManagerCore::notify(ChannelCore* channel, const std::string& channel_name,
                         const std::string& name, std::string data) {
  Event event;
  event.channel = channel_name;
  event.name = name;
  event.data = std::move(data);
  event.received_at = std::chrono::system_clock::now();
  dispatch(channel, event, false);
}

void ManagerCore::dispatch(ChannelCore* channel, const Event& event, bool app_event) {
  auto guard = [this](auto&& call) { guarded("event", call); };
  // Channel handlers first, then the Manager's, as pusher-js does.
  if (channel != nullptr) channel->events.dispatch(event.name, guard, event);
  events.dispatch(event.name, guard, event);
  if (!app_event) return;
  bool channel_wants = channel != nullptr && !channel->app_events.empty();
  if (!channel_wants && app_events.empty()) return;  // decode only when someone listens
  AppEvent decoded = decode_app_event(event, options_.event_names);
  if (log_.enabled(LogLevel::debug)) {
    const auto* unknown = std::get_if<Unknown>(&decoded);
    if (unknown != nullptr && !unknown->reason.empty()) {
      log_.debug("event " + event.name + " on " + event.channel + " stays Unknown: " + unknown->reason);
    }
  }
  if (channel_wants) channel->app_events.dispatch({}, guard, decoded, event);
  app_events.dispatch({}, guard, decoded, event);
}

}  // namespace pusher::detail
