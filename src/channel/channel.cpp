#include <pusher/channel.hpp>

#include <cstdio>
#include <stdexcept>

#include <rapidjson/document.h>

#include "channel/subscription.hpp"

namespace pusher {
namespace {

// A handle whose channel was unsubscribed binds nothing: the call is reported instead, so a
// program that kept an old handle across leave-and-rejoin hears why its handler never runs.
bool refuse_if_stale(const std::shared_ptr<detail::Subscription>& core, const char* what) {
  if (!core->stale()) return false;
  core->report_async(Error{ErrorCode::stale_channel,
                           std::string(what) + " on " + core->name() +
                               ": this handle's channel was unsubscribed; use the Channel "
                               "that a new subscribe() returns",
                           0, core->name()});
  return true;
}

template <typename RegistryT, typename Fn>
Binding register_on_loop(const std::shared_ptr<detail::Subscription>& core,
                         RegistryT detail::Subscription::*registry, std::string filter, Fn fn) {
  if (refuse_if_stale(core, "bind")) return Binding();
  return detail::bind_on_loop(core, core->loop(), registry, std::move(filter), std::move(fn));
}

}  // namespace

std::string Member::info_string(const std::string& field) const {
  rapidjson::Document doc;
  doc.Parse(info.c_str(), info.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  auto it = doc.FindMember(rapidjson::StringRef(field.c_str(), field.size()));
  if (it == doc.MemberEnd()) return {};
  const auto& v = it->value;
  if (v.IsString()) return {v.GetString(), v.GetStringLength()};
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsDouble()) {
    // As JSON wrote it would be best; the shortest round-tripping form is close enough.
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v.GetDouble());
    return buffer;
  }
  return {};
}

Channel::Channel(std::shared_ptr<detail::Subscription> core) noexcept : core_(std::move(core)) {}

const std::string& Channel::name() const noexcept { return core_->name(); }

bool Channel::subscribed() const noexcept { return core_->subscribed(); }

int Channel::subscription_count() const noexcept { return core_->subscription_count(); }

Binding Channel::bind(const std::string& event, EventHandler handler) {
  return register_on_loop(core_, &detail::Subscription::events, event, std::move(handler));
}

Binding Channel::bind_global(EventHandler handler) {
  return register_on_loop(core_, &detail::Subscription::events, std::string(), std::move(handler));
}

Binding Channel::bind_app_events(AppEventHandler handler) {
  return register_on_loop(core_, &detail::Subscription::app_events, std::string(),
                          std::move(handler));
}

void Channel::trigger(const std::string& event, const std::string& data_json) {
  using Kind = detail::protocol::ChannelKind;
  if (core_->kind() == Kind::private_encrypted) {
    throw std::invalid_argument("client events are not supported on private-encrypted channels");
  }
  if (core_->kind() == Kind::public_channel) {
    throw std::invalid_argument("client events need a private- or presence- channel, not " +
                                core_->name());
  }
  if (event.rfind("client-", 0) != 0) {
    throw std::invalid_argument("client event names must start with 'client-': " + event);
  }
  core_->trigger(event, data_json.empty() ? std::string("{}") : data_json);
}

void Channel::whisper(const std::string& name, const std::string& data_json) {
  trigger("client-" + name, data_json);
}

Binding Channel::listen_for_whisper(const std::string& name, EventHandler handler) {
  return bind("client-" + name, std::move(handler));
}

namespace {

constexpr const char* kNotificationEvent =
    "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated";

const std::string& namespace_of(const std::shared_ptr<detail::Subscription>& core) {
  return core->config().event_namespace;
}

// laravel-echo src/channel/pusher-channel.ts listenToAll(): the namespace comes off, and a
// name outside it is given a leading '.', the form listen() takes for it.
std::string strip_namespace(const std::string& event, const std::string& event_namespace) {
  if (event_namespace.empty()) return event;
  std::string prefix = event_namespace;
  for (char& c : prefix) {
    if (c == '.') c = '\\';
  }
  prefix += '\\';
  if (event.rfind(prefix, 0) == 0) return event.substr(prefix.size());
  return "." + event;
}

}  // namespace

Binding Channel::listen(const std::string& name, EventHandler handler) {
  return bind(format_event_name(name, namespace_of(core_)), std::move(handler));
}

void Channel::stop_listening(const std::string& name) {
  std::string event = format_event_name(name, namespace_of(core_));
  // Waits for the loop, as Binding::unbind() does: none of them runs after this returns.
  core_->loop()->call([core = core_, event] { core->events.unbind_filter(event); });
}

Binding Channel::listen_to_all(
    std::function<void(const std::string& event, const Event& e)> handler) {
  std::string event_namespace = namespace_of(core_);
  return bind_global([handler = std::move(handler), event_namespace](const Event& e) {
    if (e.name.rfind("pusher:", 0) == 0 || e.name.rfind("pusher_internal:", 0) == 0) return;
    handler(strip_namespace(e.name, event_namespace), e);
  });
}

Binding Channel::notification(EventHandler handler) {
  return bind(kNotificationEvent, std::move(handler));
}

std::vector<Member> Channel::members() const { return core_->members().snapshot(); }

std::optional<Member> Channel::me() const { return core_->members().me(); }

int Channel::count() const { return core_->members().count(); }

Binding Channel::here(std::function<void(const std::vector<Member>&)> handler) {
  return register_on_loop(core_, &detail::Subscription::here_handlers, std::string(),
                          std::move(handler));
}

Binding Channel::joining(std::function<void(const Member&)> handler) {
  return register_on_loop(core_, &detail::Subscription::joining_handlers, std::string(),
                          std::move(handler));
}

Binding Channel::leaving(std::function<void(const Member&)> handler) {
  return register_on_loop(core_, &detail::Subscription::leaving_handlers, std::string(),
                          std::move(handler));
}

}  // namespace pusher
