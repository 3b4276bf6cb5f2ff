#include "sdk_bridge.hpp"

#include <stdexcept>

#include "chat_json.hpp"
#include "command.hpp"

namespace chat {
namespace {

std::vector<User> users_of(const std::vector<pusher::Member>& members) {
  std::vector<User> users;
  users.reserve(members.size());
  for (const pusher::Member& member : members) users.push_back(member_user(member));
  return users;
}

}  // namespace

ChatConnection::ChatConnection(pusher::Options options, UiQueue& queue, SdkListener& listener)
    : queue_(queue),
      listener_(listener),
      event_names_(options.event_names),
      manager_(std::move(options)) {
  // Bound before connect(), so that no state change is missed.
  connection_bindings_.push_back(manager_.on_state_change([this](const pusher::StateChange& c) {
    post([state = c.current](SdkListener& l) { l.on_state(state); });
  }));
  connection_bindings_.push_back(manager_.on_connecting_in([this](std::chrono::milliseconds delay) {
    post([delay](SdkListener& l) { l.on_connecting_in(delay); });
  }));
  connection_bindings_.push_back(manager_.on_error([this](const pusher::Error& error) {
    post([error](SdkListener& l) { l.on_error(error); });
  }));
}

ChatConnection::~ChatConnection() {
  room_bindings_.clear();
  connection_bindings_.clear();
}

void ChatConnection::join(const std::string& room) {
  room_bindings_.clear();  // unbind first: the old room's events stop here
  if (channel_) manager_.unsubscribe(channel_name_);
  channel_name_ = room_channel(room);
  pusher::Channel channel = manager_.subscribe(channel_name_);
  const std::string name = channel_name_;

  // Presence, as Echo's join(): here() on every (re)subscription, then joining/leaving.
  room_bindings_.push_back(channel.here([this, name](const std::vector<pusher::Member>& all) {
    std::optional<User> me;
    if (const std::optional<pusher::Channel> subscribed = manager_.channel(name)) {
      if (const std::optional<pusher::Member> member = subscribed->me()) me = member_user(*member);
    }
    post([name, users = users_of(all), me](SdkListener& l) { l.on_here(name, users, me); });
  }));
  room_bindings_.push_back(channel.joining([this, name](const pusher::Member& member) {
    post([name, user = member_user(member)](SdkListener& l) { l.on_joining(name, user); });
  }));
  room_bindings_.push_back(channel.leaving([this, name](const pusher::Member& member) {
    post([name, user = member_user(member)](SdkListener& l) { l.on_leaving(name, user); });
  }));
  // MessageSent, MessagesRead and the typing whisper arrive typed; the rest is Unknown.
  room_bindings_.push_back(
      channel.bind_app_events([this](const pusher::AppEvent& event, const pusher::Event& raw) {
        if (std::holds_alternative<pusher::Unknown>(event)) return;
        post([event, raw](SdkListener& l) { l.on_app_event(event, raw); });
      }));
  room_bindings_.push_back(channel.bind("pusher:resubscribed", [this, name](const pusher::Event&) {
    post([name](SdkListener& l) { l.on_resubscribed(name); });
  }));
  channel_ = channel;
}

void ChatConnection::whisper_typing(const User& me, bool typing) {
  if (!channel_ || !channel_->subscribed()) return;
  try {
    channel_->whisper("typing", typing_body(me, typing));
  } catch (const std::invalid_argument& e) {
    pusher::Error error{pusher::ErrorCode::client_event_rejected, e.what(), 0, channel_name_};
    post([error](SdkListener& l) { l.on_error(error); });
  }
}

std::vector<std::pair<pusher::AppEvent, pusher::Event>> ChatConnection::room_history() const {
  std::vector<std::pair<pusher::AppEvent, pusher::Event>> out;
  for (pusher::Event& event : manager_.history()) {
    if (event.channel != channel_name_) continue;
    pusher::AppEvent decoded = pusher::decode_app_event(event, event_names_);
    // Old typing would show as fresh; only messages and receipts are history.
    if (std::holds_alternative<pusher::MessageSent>(decoded) ||
        std::holds_alternative<pusher::MessagesRead>(decoded))
      out.emplace_back(std::move(decoded), std::move(event));
  }
  return out;
}

std::string describe(const pusher::Error& error) {
  // The SDK's messages already say what failed; the code name is for when there is none.
  std::string text = error.message.empty() ? pusher::to_string(error.code) : error.message;
  if (error.server_code != 0) {
    // "HTTP 403", "close 1006", "Pusher 4001", "libcurl 7": which number it is matters.
    static const char* const kinds[] = {"", "Pusher ", "close ", "HTTP ", "libcurl "};
    const auto kind = static_cast<std::size_t>(error.code_kind);
    text += " (" + std::string(kind < 5 ? kinds[kind] : "") + std::to_string(error.server_code) + ")";
  }
  return text;
}

}  // namespace chat
