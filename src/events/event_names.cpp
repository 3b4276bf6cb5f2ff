#include "events/event_names.hpp"

#include <algorithm>
#include <cstring>

namespace pusher::detail::events {
namespace {

constexpr char kClientPrefix[] = "client-";
constexpr std::size_t kClientPrefixSize = sizeof kClientPrefix - 1;

/// With the prefix's length a constant the compiler compares inline, without calling memcmp.
template <std::size_t N>
bool starts_with(std::string_view text, const char (&prefix)[N]) {
  return text.size() >= N - 1 && std::memcmp(text.data(), prefix, N - 1) == 0;
}

bool is_taken_literally(std::string_view name) {
  return !name.empty() && (name.front() == '.' || name.front() == '\\');
}

/// `formatted == raw` with every '.' of `raw` read as '\'.
bool equals_with_backslashes(std::string_view formatted, std::string_view raw) {
  if (formatted.size() != raw.size()) return false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char expected = raw[i] == '.' ? '\\' : raw[i];
    if (formatted[i] != expected) return false;
  }
  return true;
}

}  // namespace

bool is_verbatim(std::string_view name) {
  return starts_with(name, kClientPrefix) || starts_with(name, "pusher:");
}

bool matches_formatted(std::string_view event, std::string_view name,
                       std::string_view event_namespace) {
  if (name.empty()) return false;
  if (is_verbatim(name)) return event == name;
  // A `broadcastAs()` name: Echo drops the '.', the wire carries the rest. The name with its
  // '.' is accepted too, for senders that keep it.
  if (is_taken_literally(name)) return event == name.substr(1) || event == name;
  if (event_namespace.empty()) return equals_with_backslashes(event, name);
  const std::size_t ns = event_namespace.size();
  return event.size() == ns + 1 + name.size() &&
         equals_with_backslashes(event.substr(0, ns), event_namespace) && event[ns] == '\\' &&
         equals_with_backslashes(event.substr(ns + 1), name);
}

bool matches_whisper(std::string_view event, std::string_view name) {
  if (!name.empty() && name.front() == '.') name.remove_prefix(1);
  if (name.empty()) return false;
  if (event == name) return true;
  return !starts_with(name, kClientPrefix) && starts_with(event, kClientPrefix) &&
         event.substr(kClientPrefixSize) == name;
}

bool matches_any_formatted(std::string_view event, const std::vector<std::string>& names,
                           std::string_view event_namespace) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return matches_formatted(event, name, event_namespace);
  });
}

bool matches_any_whisper(std::string_view event, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& name) { return matches_whisper(event, name); });
}

Kind classify(std::string_view event, const EventNames& names) {
  // Each list whole before the next: the precedence is between types, not between names.
  if (matches_any_formatted(event, names.message_sent, names.event_namespace))
    return Kind::kMessageSent;
  if (matches_any_formatted(event, names.messages_read, names.event_namespace))
    return Kind::kMessagesRead;
  if (matches_any_whisper(event, names.user_typing)) return Kind::kUserTyping;
  return Kind::kNone;
}

}  // namespace pusher::detail::events
