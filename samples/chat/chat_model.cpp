#include "chat_model.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>
#include <variant>

#include "command.hpp"
#include "styled_text.hpp"
#include "time_text.hpp"

namespace chat {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// a is newer than b: by number when both are numbers, else a (the later one) wins.
bool newer(const std::string& a, const std::string& b) {
  const auto x = numeric_id(a);
  const auto y = numeric_id(b);
  return !x || !y || *x > *y;
}

}  // namespace

std::optional<std::uint64_t> numeric_id(const std::string& id) {
  if (id.empty() || id.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

void ChatModel::set_me(User me) {
  me_ = std::move(me);
  newest_from_others_.clear();
  for (Entry& entry : entries_) {
    if (entry.kind != EntryKind::message) continue;
    ChatMessage& message = entry.message;
    if (!me_.id.empty() && message.sender.id == me_.id && !message.own) {
      message.own = true;
      message.receipt = Receipt::sent;
    }
    note_newest_from_others(message);
  }
}

void ChatModel::enter_room(std::string room) {
  const User me = me_;
  const pusher::ConnectionState state = state_;
  const std::string socket_id = socket_id_;
  const std::uint64_t next_local_id = next_local_id_;
  *this = ChatModel();
  me_ = me;
  room_ = std::move(room);
  state_ = state;
  socket_id_ = socket_id;
  next_local_id_ = next_local_id;  // late answers for the old room must not match new sends
}

bool ChatModel::add_message(ChatMessage message, bool history) {
  if (!message.id.empty() && ids_.count(message.id) != 0) return false;
  message.text = sanitize(message.text, true);
  message.sender.name = name_of(message.sender.id, message.sender.name);
  if (!me_.id.empty() && message.sender.id == me_.id) {
    message.own = true;
    if (message.receipt == Receipt::none) message.receipt = Receipt::sent;
  }
  if (!message.id.empty()) ids_.insert(message.id);
  typists_.erase(message.sender.id);  // their message ends their typing
  note_newest_from_others(message);

  // Walk back over newer messages (and our own still being sent): history fetched after
  // live messages arrived goes before them.
  auto position = entries_.end();
  if (const auto id = numeric_id(message.id)) {
    for (auto it = entries_.end(); it != entries_.begin();) {
      --it;
      if (it->kind != EntryKind::message) {
        if (history) position = it;
        continue;
      }
      const auto other = numeric_id(it->message.id);
      const bool in_flight = it->message.id.empty() && it->message.receipt != Receipt::failed;
      if (!in_flight && (!other || *other < *id)) break;
      position = it;
    }
  }
  entries_.insert(position, Entry{EntryKind::message, std::move(message), {}});
  trim();
  return true;
}

void ChatModel::apply(const pusher::AppEvent& event, std::time_t fallback_time, TimePoint now) {
  const std::string channel = room_channel(room_);
  if (const auto* sent = std::get_if<pusher::MessageSent>(&event)) {
    if (!sent->channel.empty() && sent->channel != channel) return;
    ChatMessage message;
    message.id = sent->id;
    message.sender = User{sent->sender_id, sent->sender_name};
    message.text = sent->text;
    message.time = parse_time(sent->sent_at).value_or(fallback_time);
    add_message(std::move(message));
  } else if (const auto* read = std::get_if<pusher::MessagesRead>(&event)) {
    if (read->channel.empty() || read->channel == channel) apply_read(*read);
  } else if (const auto* typing_event = std::get_if<pusher::UserTyping>(&event)) {
    if (typing_event->channel.empty() || typing_event->channel == channel)
      typing(*typing_event, now);
  }
}

std::uint64_t ChatModel::begin_send(const std::string& text, std::time_t now) {
  ChatMessage message;
  message.sender = me_;
  message.text = sanitize(text, true);
  message.time = now;
  message.own = true;
  message.receipt = Receipt::sending;
  message.local_id = next_local_id_++;
  const std::uint64_t local_id = message.local_id;
  entries_.push_back(Entry{EntryKind::message, std::move(message), {}});
  trim();
  scroll_ = 0;
  return local_id;
}

void ChatModel::send_succeeded(std::uint64_t local_id, const ChatMessage& stored) {
  const auto pending = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& entry) {
    return entry.kind == EntryKind::message && entry.message.local_id == local_id;
  });
  if (pending == entries_.end()) return;  // the room changed meanwhile
  if (!stored.id.empty() && ids_.count(stored.id) != 0) {
    entries_.erase(pending);  // the broadcast came first (we had no socket id to exclude us)
    return;
  }
  ChatMessage& message = pending->message;
  message.id = stored.id;
  message.receipt = Receipt::sent;
  if (stored.time != 0) message.time = stored.time;
  if (!stored.text.empty()) message.text = sanitize(stored.text, true);
  if (!stored.id.empty()) ids_.insert(stored.id);
}

void ChatModel::send_failed(std::uint64_t local_id, const std::string& why) {
  for (Entry& entry : entries_) {
    if (entry.kind == EntryKind::message && entry.message.local_id == local_id) {
      entry.message.receipt = Receipt::failed;
      error("not sent: " + why);
      return;
    }
  }
}

void ChatModel::apply_read(const pusher::MessagesRead& read) {
  if (!me_.id.empty() && read.reader_id == me_.id) return;  // our other tabs
  std::uint64_t last = numeric_id(read.last_read_id).value_or(0);
  for (const std::string& id : read.message_ids) last = std::max(last, numeric_id(id).value_or(0));
  read_by_others_ = std::max(read_by_others_, last);
}

Receipt ChatModel::receipt(const ChatMessage& message) const {
  if (!message.own) return Receipt::none;
  if (message.receipt == Receipt::sent) {
    const auto id = numeric_id(message.id);
    if (id && *id <= read_by_others_) return Receipt::read;
  }
  return message.receipt;
}

void ChatModel::info(const std::string& text) {
  add_line(EntryKind::info, text);
}

void ChatModel::error(const std::string& text) {
  const std::string clean = sanitize(text, false);
  if (!entries_.empty() && entries_.back().kind == EntryKind::error &&
      entries_.back().text == clean)
    return;
  add_line(EntryKind::error, clean);
}

void ChatModel::add_line(EntryKind kind, const std::string& text) {
  entries_.push_back(Entry{kind, {}, sanitize(text, false)});
  trim();
}

void ChatModel::trim() {
  while (entries_.size() > kMaxEntries) entries_.pop_front();
}

void ChatModel::set_members(std::vector<User> members) {
  members_.clear();
  for (User& member : members) {
    const bool seen = std::any_of(members_.begin(), members_.end(),
                                  [&](const User& m) { return m.id == member.id; });
    if (seen) continue;  // one user in two tabs is one member
    member.name = sanitize(member.name.empty() ? member.id : member.name, false);
    members_.push_back(std::move(member));
  }
  std::sort(members_.begin(), members_.end(), [](const User& a, const User& b) {
    const std::string x = lower(a.name);
    const std::string y = lower(b.name);
    return x != y ? x < y : a.id < b.id;
  });
}

void ChatModel::member_joined(User member) {
  const bool known = std::any_of(members_.begin(), members_.end(),
                                 [&](const User& m) { return m.id == member.id; });
  if (known) return;
  std::vector<User> members = members_;
  members.push_back(member);
  set_members(std::move(members));
  info(name_of(member.id, member.name) + " joined");
}

void ChatModel::member_left(const std::string& id) {
  const auto it =
      std::find_if(members_.begin(), members_.end(), [&](const User& m) { return m.id == id; });
  if (it == members_.end()) return;
  const std::string name = it->name;
  members_.erase(it);
  typists_.erase(id);
  info(name + " left");
}

std::string ChatModel::who_line() const {
  if (members_.empty()) return "nobody is online in #" + room_ + " (not joined yet)";
  std::string line = "online in #" + room_ + " (" + std::to_string(members_.size()) + "): ";
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) line += ", ";
    line += members_[i].name;
    if (members_[i].id == me_.id) line += " (you)";
  }
  return line;
}

std::string ChatModel::name_of(const std::string& user_id, const std::string& given) const {
  if (!given.empty()) return sanitize(given, false);
  for (const User& member : members_) {
    if (member.id == user_id) return member.name;
  }
  return user_id.empty() ? "someone" : sanitize(user_id, false);
}

void ChatModel::note_newest_from_others(const ChatMessage& message) {
  if (message.own || message.id.empty()) return;
  if (newest_from_others_.empty() || newer(message.id, newest_from_others_))
    newest_from_others_ = message.id;
}

}  // namespace chat
