// ManagerCore: what the connection reports, routed to the subscriptions and the callbacks.
// (manager_core.cpp holds the registry and the calls; signin.cpp the user sign-in.)
#include "manager/manager_core.hpp"

#include <utility>

#include "error_codes.hpp"
#include "protocol/encode.hpp"

namespace pusher::detail {

void ManagerCore::on_state_change(StateChange change) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_ = change.current;
    // Valid inside the "connected" callbacks already (apps send it as X-Socket-ID).
    socket_id_ = change.current == ConnectionState::connected ? service_->socket_id() : std::string();
    connected_socket_id_ = socket_id_;
  }
  log_.info(std::string("state ") + to_string(change.previous) + " -> " + to_string(change.current));
  if (change.current != ConnectionState::connected) {
    signin_in_flight_ = false;
    auto now = scheduler_.now();
    for (auto& channel : channels_snapshot()) channel->on_connection_lost(*this, now);
  }
  state_handlers.dispatch({}, [this](auto&& call) { guarded("state", call); }, change);
}

void ManagerCore::on_connected(const std::string& socket_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_id_ = socket_id;
  }
  connected_socket_id_ = socket_id;
  // Every channel again, with the new socket id (pusher-js channels resubscribe on connect);
  // the sign-in too.
  if (signin_wanted_) send_signin();
  for (auto& channel : channels_snapshot()) {
    channel->on_connected(*this);
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

void ManagerCore::on_error(const Error& error) { report(error); }

void ManagerCore::on_message(protocol::Inbound& message) {
  if (auto* event = std::get_if<protocol::ChannelEvent>(&message)) {
    on_channel_event(*event);
  } else if (auto* ok = std::get_if<protocol::SubscriptionSucceeded>(&message)) {
    if (auto channel = live(ok->channel)) channel->on_succeeded(*this, *ok);
  } else if (auto* failed = std::get_if<protocol::SubscriptionError>(&message)) {
    auto channel = live(failed->channel);
    if (!channel || !channel->on_refused(*this, *failed)) {
      report(make_error(ErrorCode::subscription_failed,
                        "subscription to " + failed->channel + " refused: " + failed->type + " " +
                            failed->error,
                        failed->status, CodeKind::http, failed->channel));
    }
  } else if (auto* error = std::get_if<protocol::ServerError>(&message)) {
    on_server_error(*error);
  } else if (auto* count = std::get_if<protocol::SubscriptionCount>(&message)) {
    auto channel = live(count->channel);
    if (channel) channel->set_subscription_count(count->count);
    notify(channel.get(), count->channel, "pusher:subscription_count",
           protocol::notice_number("subscription_count", count->count));
  } else if (auto* miss = std::get_if<protocol::CacheMiss>(&message)) {
    notify(live(miss->channel).get(), miss->channel, "pusher:cache_miss", "");
  } else if (auto* added = std::get_if<protocol::MemberAdded>(&message)) {
    if (auto channel = live(added->channel)) channel->on_member_added(*this, added->member);
  } else if (auto* removed = std::get_if<protocol::MemberRemoved>(&message)) {
    if (auto channel = live(removed->channel)) channel->on_member_removed(*this, removed->user_id);
  } else if (auto* signed_in = std::get_if<protocol::SigninSuccess>(&message)) {
    on_signin_success(*signed_in);
  } else if (auto* ignored = std::get_if<protocol::Ignored>(&message)) {
    log_.debug("ignored unknown event " + ignored->event);
  }
}

void ManagerCore::on_server_error(const protocol::ServerError& m) {
  if (m.code == 4009 && m.channel.empty()) {
    // Reverb answers a bad signature with a channel-less 4009 and no subscription_error
    // (Reverb src/Protocols/Pusher/Exceptions/ConnectionUnauthorized.php): it belongs to the
    // oldest authorised subscription whose subscribe frame went out unanswered.
    std::shared_ptr<Subscription> oldest;
    for (const auto& [name, c] : channels_) {
      if (c->awaits_authorised_answer() && (!oldest || c->send_seq() < oldest->send_seq())) {
        oldest = c;
      }
    }
    if (oldest) {
      oldest->on_unauthorized(*this, m.message);
      return;
    }
  }
  Error error = make_error(ErrorCode::server_error, "server error: " + m.message, m.code,
                           CodeKind::pusher, m.channel);
  // 4100-4299 announce a close after which the SDK reconnects (Pusher protocol reference).
  error.transient = m.code >= 4100 && m.code <= 4299;
  report(error);
}

void ManagerCore::on_channel_event(protocol::ChannelEvent& m) {
  Event event{std::move(m.channel), std::move(m.event), std::move(m.data), std::move(m.user_id),
              std::chrono::system_clock::now()};
  // A counted reference, not a plain pointer: a callback that destroys the Manager makes the
  // registry forget a left channel while its event is still being dispatched.
  auto channel = event.channel.empty() ? nullptr : live(event.channel);
  if (channel && channel->kind() == protocol::ChannelKind::private_encrypted &&
      event.name.rfind("pusher", 0) != 0 && !channel->open(*this, event)) {
    return;  // held for a fresh key, or reported
  }
  deliver(channel, event);
  // The buffers go back to the message: the Service decodes the next one into them.
  m.channel.swap(event.channel);
  m.event.swap(event.name);
  m.data.swap(event.data);
  m.user_id.swap(event.user_id);
}

void ManagerCore::deliver(const std::shared_ptr<Subscription>& channel, const Event& event) {
  dispatch(channel.get(), event, true);
  history_.push(event);  // after the callbacks: they do not wait for the copy
}

void ManagerCore::notify(Subscription& subscription, const std::string& name, std::string data) {
  notify(&subscription, subscription.name(), name, std::move(data));
}

void ManagerCore::notify(Subscription* channel, const std::string& channel_name,
                         const std::string& name, std::string data) {
  const Event event{channel_name, name, std::move(data), {}, std::chrono::system_clock::now()};
  dispatch(channel, event, false);
}

void ManagerCore::dispatch(Subscription* channel, const Event& event, bool app_event) {
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
