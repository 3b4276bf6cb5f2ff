#include <pusher/manager.hpp>

#include <stdexcept>

#include "manager/manager_core.hpp"
#include "protocol/channel.hpp"
#include "service/service.hpp"

namespace pusher {

Manager::Manager(Options options) {
  detail::validate_options(options);  // before a thread is started for it
  if (options.loop) {
    std::shared_ptr<SharedLoop> shared = options.loop;
    detail::net::EventLoop& loop = shared->impl().thread.loop();
    auto loop_ref = std::make_shared<detail::LoopRef>(loop);
    core_ = std::make_shared<detail::ManagerCore>(std::move(options), loop, loop_ref);
    core_->share_loop(std::move(shared));
    core_->start();
    return;
  }
  auto thread = std::make_unique<detail::net::LoopThread>();
  auto loop_ref = std::make_shared<detail::LoopRef>(thread->loop());
  core_ = std::make_shared<detail::ManagerCore>(std::move(options), thread->loop(), loop_ref);
  core_->adopt_thread(std::move(thread));
  core_->start();
}

static_assert(LoopOptions{}.max_connecting == detail::net::kDefaultMaxConnecting,
              "a Manager's own loop paces like a default SharedLoop");

SharedLoop::SharedLoop() : SharedLoop(LoopOptions{}) {}

SharedLoop::SharedLoop(LoopOptions options) : impl_(std::make_unique<detail::SharedLoopImpl>()) {
  // Set before any Manager can use the loop: the first post to it orders this write before
  // the loop thread's reads.
  impl_->thread.loop().connect_pacer().set_limit(options.max_connecting);
}

SharedLoop::~SharedLoop() = default;

Manager::~Manager() { core_->shutdown(); }

void Manager::connect() { core_->connect(); }

void Manager::disconnect() { core_->disconnect(); }

void Manager::signin() { core_->signin(); }

Channel Manager::subscribe(const std::string& channel_name) {
  return Channel(core_->subscribe(channel_name));
}

void Manager::unsubscribe(const std::string& channel_name) { core_->unsubscribe(channel_name); }

std::optional<Channel> Manager::channel(const std::string& channel_name) const {
  auto found = core_->find(channel_name);
  if (!found) return std::nullopt;
  return Channel(std::move(found));
}

std::vector<Channel> Manager::channels() const {
  std::vector<Channel> out;
  // push_back, not emplace_back: a template instance returning pusher::Channel& would match
  // the version script's pusher:: pattern and be exported.
  for (auto& core : core_->handles()) out.push_back(Channel(std::move(core)));
  return out;
}

Channel Manager::private_channel(const std::string& name) { return subscribe("private-" + name); }

Channel Manager::encrypted_private_channel(const std::string& name) {
  return subscribe("private-encrypted-" + name);
}

Channel Manager::join(const std::string& name) { return subscribe("presence-" + name); }

void Manager::leave(const std::string& name) {
  // laravel-echo src/connector/pusher-connector.ts leave(): the name under every prefix.
  std::string problem = detail::protocol::validate_channel_name(name);
  if (!problem.empty()) throw std::invalid_argument("invalid channel name '" + name + "': " + problem);
  for (const char* prefix : {"", "private-", "private-encrypted-", "presence-"}) {
    core_->unsubscribe(prefix + name);
  }
}

namespace {

template <typename RegistryT, typename Fn>
Binding register_on_loop(const std::shared_ptr<detail::ManagerCore>& core,
                         RegistryT detail::ManagerCore::*registry, std::string filter, Fn fn) {
  return detail::bind_on_loop(core, core->loop_ref(), registry, std::move(filter), std::move(fn));
}

}  // namespace

Binding Manager::bind(const std::string& event, EventHandler handler) {
  return register_on_loop(core_, &detail::ManagerCore::events, event, std::move(handler));
}

Binding Manager::bind_global(EventHandler handler) {
  return register_on_loop(core_, &detail::ManagerCore::events, std::string(), std::move(handler));
}

Binding Manager::bind_app_events(AppEventHandler handler) {
  return register_on_loop(core_, &detail::ManagerCore::app_events, std::string(), std::move(handler));
}

Binding Manager::on_state_change(std::function<void(const StateChange&)> handler) {
  return register_on_loop(core_, &detail::ManagerCore::state_handlers, std::string(),
                          std::move(handler));
}

Binding Manager::on_error(std::function<void(const Error&)> handler) {
  return register_on_loop(core_, &detail::ManagerCore::error_handlers, std::string(),
                          std::move(handler));
}

Binding Manager::on_connecting_in(std::function<void(std::chrono::milliseconds)> handler) {
  return on_connecting_in(
      [handler = std::move(handler)](std::chrono::milliseconds delay, unsigned) { handler(delay); });
}

Binding Manager::on_connecting_in(
    std::function<void(std::chrono::milliseconds, unsigned)> handler) {
  return register_on_loop(core_, &detail::ManagerCore::connecting_in_handlers, std::string(),
                          std::move(handler));
}

Binding Manager::bind_message(std::function<void(const std::string&)> handler) {
  return register_on_loop(core_, &detail::ManagerCore::message_handlers, std::string(),
                          std::move(handler));
}

ConnectionState Manager::state() const { return core_->state(); }

std::string Manager::socket_id() const { return core_->socket_id(); }

std::vector<Event> Manager::history() const { return core_->history(); }

std::vector<AppEvent> Manager::app_history() const { return core_->app_history(); }

std::optional<Error> Manager::last_error() const { return core_->last_error(); }

Stats Manager::stats() const {
  // call() waits until the task ran (or was refused): nothing writes `result` after.
  auto result = std::make_shared<Stats>();
  std::weak_ptr<detail::ManagerCore> weak = core_;
  core_->loop_ref()->call([weak, result] {
    auto core = weak.lock();
    if (!core || !core->has_service()) return;
    detail::service::ServiceStats s = core->service().stats();
    result->messages_in = s.messages_in;
    result->messages_out = s.messages_out;
    result->bytes_in = s.bytes_in;
    result->bytes_out = s.bytes_out;
    result->reconnects = s.reconnects;
    result->time_connected = s.time_connected;
    result->last_ping_rtt = s.last_ping_rtt;
  });
  return *result;
}

}  // namespace pusher
