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

/// Runs `decoder` into a T; Unknown when it refuses the payload.
template <typename T>
AppEvent decode_as(bool (*decoder)(const Event&, T&), const Event& event) {
  AppEvent result(std::in_place_type<T>);
  T& out = *std::get_if<T>(&result);
  if (decoder(event, out)) {
    out.channel = event.channel;
  } else {
    fill_unknown(result.emplace<Unknown>(), event);
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
  try {
    return unknown(event);
  } catch (...) {
    return AppEvent(std::in_place_type<Unknown>);  // not even a copy fits: allocates nothing
  }
}

const char* type_name(const AppEvent& event) noexcept {
  static constexpr const char* kNames[] = {"MessageSent", "UserTyping", "MessagesRead", "Unknown"};
  const std::size_t index = event.index();
  return index < std::size(kNames) ? kNames[index] : "Unknown";
}

}  // namespace pusher
