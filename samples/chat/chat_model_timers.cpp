// ChatModel: what changes with time (typing, read receipts, the connection status), and scrolling.
#include "chat_model.hpp"

#include <algorithm>
#include <utility>

namespace chat {

void ChatModel::typing(const pusher::UserTyping& typing, TimePoint now) {
  if (typing.user_id.empty() || (!me_.id.empty() && typing.user_id == me_.id)) return;
  if (!typing.typing) {
    typists_.erase(typing.user_id);
    return;
  }
  Typist& typist = typists_[typing.user_id];
  if (typist.order == 0 || typist.expires <= now) typist.order = ++typing_order_;
  typist.name = name_of(typing.user_id, typing.name);
  typist.expires = now + kTypingTimeout;
}

bool ChatModel::is_typing(const std::string& user_id, TimePoint now) const {
  const auto it = typists_.find(user_id);
  return it != typists_.end() && it->second.expires > now;
}

std::vector<std::string> ChatModel::typing_names(TimePoint now) const {
  std::vector<const Typist*> active;
  for (const auto& entry : typists_) {
    if (entry.second.expires > now) active.push_back(&entry.second);
  }
  std::sort(active.begin(), active.end(),
            [](const Typist* a, const Typist* b) { return a->order < b->order; });
  std::vector<std::string> names;
  names.reserve(active.size());
  for (const Typist* typist : active) names.push_back(typist->name);
  return names;
}

std::string ChatModel::typing_text(TimePoint now) const {
  const std::vector<std::string> names = typing_names(now);
  switch (names.size()) {
    case 0:
      return "";
    case 1:
      return names[0] + " is typing...";
    case 2:
      return names[0] + " and " + names[1] + " are typing...";
    case 3:
      return names[0] + ", " + names[1] + " and " + names[2] + " are typing...";
    default:
      return names[0] + ", " + names[1] + " and " + std::to_string(names.size() - 2) +
             " others are typing...";
  }
}

std::optional<bool> ChatModel::typing_signal(bool has_text, TimePoint now) {
  if (has_text) {
    if (typing_sent_at_ && now - *typing_sent_at_ < kTypingThrottle) return std::nullopt;
    typing_sent_at_ = now;
    typing_announced_ = true;
    return true;
  }
  if (!typing_announced_) return std::nullopt;
  typing_announced_ = false;
  typing_sent_at_.reset();
  return false;
}

std::optional<std::string> ChatModel::read_receipt_due(TimePoint now) {
  if (newest_from_others_.empty() || newest_from_others_ == read_reported_ || scroll_ != 0) {
    read_seen_at_.reset();  // nothing new, or not on screen
    return std::nullopt;
  }
  if (!read_seen_at_) read_seen_at_ = now;
  if (now - *read_seen_at_ < kReadDelay) return std::nullopt;
  read_seen_at_.reset();
  read_reported_ = newest_from_others_;
  return read_reported_;
}

void ChatModel::set_state(pusher::ConnectionState state, TimePoint now) {
  using pusher::ConnectionState;
  state_ = state;
  const bool settled = state == ConnectionState::connected ||
                       state == ConnectionState::disconnected || state == ConnectionState::failed;
  if (settled || (reconnect_at_ && *reconnect_at_ <= now)) reconnect_at_.reset();
  if (state != ConnectionState::connected) {
    // The SDK forgets members while reconnecting; here() tells them again.
    joined_ = false;
    join_failed_ = false;  // tried again after the reconnect
    socket_id_.clear();
    members_.clear();
    typists_.clear();
  }
}

void ChatModel::reconnect_in(std::chrono::milliseconds delay, TimePoint now) {
  reconnect_at_ = now + delay;
}

std::string ChatModel::status_text(TimePoint now) const {
  using pusher::ConnectionState;
  std::string countdown;
  if (reconnect_at_ && *reconnect_at_ > now) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(*reconnect_at_ - now);
    countdown = "reconnecting in " + std::to_string(seconds.count()) + "s";
  }
  switch (state_) {
    case ConnectionState::initialized:
      return "starting";
    case ConnectionState::connecting:
      return countdown.empty() ? "connecting..." : countdown;
    case ConnectionState::connected:
      if (joined_) return "connected";
      return join_failed_ ? "could not join #" + room_ : "joining #" + room_ + "...";
    case ConnectionState::unavailable:
      return "offline, " + (countdown.empty() ? std::string("connecting...") : countdown);
    case ConnectionState::disconnected:
      return "disconnected";
    case ConnectionState::failed:
      return "failed: gave up reconnecting";
  }
  return "";
}

bool ChatModel::status_alert() const {
  return state_ != pusher::ConnectionState::connected || join_failed_;
}

void ChatModel::scroll_by(int rows) {
  scroll_ = std::max(0, scroll_ + rows);
}

void ChatModel::clamp_scroll(int max_rows) {
  scroll_ = std::max(0, std::min(scroll_, max_rows));
}

void ChatModel::tick(TimePoint now) {
  for (auto it = typists_.begin(); it != typists_.end();) {
    it = it->second.expires <= now ? typists_.erase(it) : std::next(it);
  }
}

std::optional<TimePoint> ChatModel::next_deadline(TimePoint now) const {
  std::optional<TimePoint> next;
  const auto consider = [&](TimePoint at) {
    if (at > now && (!next || at < *next)) next = at;
  };
  for (const auto& entry : typists_) consider(entry.second.expires);
  if (read_seen_at_)
    consider(std::max(*read_seen_at_ + kReadDelay, now + std::chrono::milliseconds(1)));
  if (reconnect_at_ && *reconnect_at_ > now) {
    // When the countdown's whole seconds change.
    const auto left = *reconnect_at_ - now;
    const auto shown = std::chrono::ceil<std::chrono::seconds>(left);
    consider(now + (left - (shown - std::chrono::seconds(1))));
  }
  return next;
}

}  // namespace chat
