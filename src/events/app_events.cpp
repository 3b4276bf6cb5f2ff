#include <pusher/app_events.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <variant>

#include "events/event_names.hpp"
#include "events/typed_decoders.hpp"

namespace pusher {
namespace {

using detail::events::Kind;

// Results are built in place inside the variant: moving a just-built struct in copies its
// short strings' bytes straight back, which stalls on store forwarding.

void fill_unknown(Unknown& out, const Event& event) {
  out.channel = event.channel;
  out.name = event.name;
  out.data = event.data;
}

AppEvent unknown(const Event& event) {
  AppEvent result(std::in_place_type<Unknown>);
  fill_unknown(*std::get_if<Unknown>(&result), event);
  return result;
}

/// Runs `decoder` into a T; Unknown, with the decoder's reason, when it refuses the payload.
template <typename T>
AppEvent decode_as(bool (*decoder)(const Event&, T&, std::string&), const Event& event) {
  AppEvent result(std::in_place_type<T>);
  T& out = *std::get_if<T>(&result);
  std::string reason;  // only written on failure: a success allocates nothing for it
  if (decoder(event, out, reason)) {
    out.channel = event.channel;
  } else {
    Unknown& unknown = result.emplace<Unknown>();
    fill_unknown(unknown, event);
    unknown.reason = std::move(reason);
  }
  return result;
}

AppEvent decode(const Event& event, const EventNames& names) {
  namespace events = detail::events;
  switch (events::classify(event.name, names)) {
    case Kind::kMessageSent:
      return decode_as(&events::decode_message_sent, event);
    case Kind::kMessagesRead:
      return decode_as(&events::decode_messages_read, event);
    case Kind::kUserTyping:
      return decode_as(&events::decode_user_typing, event);
    case Kind::kNone:
      break;
  }
  return unknown(event);  // not worth parsing
}

/// What std::bad_alloc leaves: Unknown with the raw event, or an empty one when not even a
/// copy fits (that allocates nothing).
AppEvent out_of_memory(const Event& event) noexcept {
  try {
    return unknown(event);
  } catch (...) {
    return AppEvent(std::in_place_type<Unknown>);
  }
}

}  // namespace

std::string format_event_name(const std::string& name, const std::string& event_namespace) {
  if (detail::events::is_verbatim(name)) return name;
  // laravel-echo src/util/event-formatter.ts: a leading '.' or '\' means "as is".
  if (!name.empty() && (name.front() == '.' || name.front() == '\\')) return name.substr(1);
  std::string out;
  out.reserve(event_namespace.size() + 1 + name.size());
  if (!event_namespace.empty()) {
    out += event_namespace;
    out += '.';
  }
  out += name;
  std::replace(out.begin(), out.end(), '.', '\\');
  return out;
}

AppEvent decode_app_event(const Event& event, const EventNames& names) {
  try {
    return decode(event, names);
  } catch (...) {  // std::bad_alloc: the promise is Unknown, never an exception
  }
  return out_of_memory(event);
}

AppEvent decode_app_event(const Event& event) {
  try {
    // Built once: a default argument would allocate the names' lists on every call.
    static const EventNames defaults;
    return decode(event, defaults);
  } catch (...) {  // std::bad_alloc, decoding or building the defaults
  }
  return out_of_memory(event);
}

const char* type_name(const AppEvent& event) noexcept {
  static constexpr const char* kNames[] = {"MessageSent", "UserTyping", "MessagesRead", "Unknown"};
  const std::size_t index = event.index();
  return index < std::size(kNames) ? kNames[index] : "Unknown";
}

}  // namespace pusher
