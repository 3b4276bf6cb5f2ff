// libFuzzer target: the typed-event decoder (pusher::decode_app_event, src/events/). The input
// is the event name, a newline, then the data, e.g. "App\Events\MessageSent\n{...}"; without
// a newline it is all data under the name App\Events\MessageSent. Each input is decoded with
// the default names, with Echo-style custom ones holding several aliases per type, and with
// names that collide between types, with and without a sender user_id.
//
// Checked: never throws; Unknown carries the raw event unchanged, with a reason exactly when
// the name is a typed one; a typed result is the type its name maps to and keeps the channel;
// the required fields of each type are present; the default-names overload agrees with
// explicit defaults.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <pusher/app_events.hpp>

#include "events/event_names.hpp"
#include "fuzz_check.hpp"

namespace {

using pusher::detail::events::Kind;

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

void check(const pusher::Event& event, const pusher::EventNames& names) {
  const pusher::AppEvent result = pusher::decode_app_event(event, names);
  FUZZ_CHECK(pusher::type_name(result) != nullptr);
  const Kind kind = pusher::detail::events::classify(event.name, names);
  if (const auto* u = std::get_if<pusher::Unknown>(&result)) {
    FUZZ_CHECK(u->channel == event.channel);
    FUZZ_CHECK(u->name == event.name);
    FUZZ_CHECK(u->data == event.data);
    // Only a typed name is decoded, and then a refusal says which type refused.
    FUZZ_CHECK(u->reason.empty() == (kind == Kind::kNone));
    switch (kind) {
      case Kind::kMessageSent:
        FUZZ_CHECK(starts_with(u->reason, "MessageSent"));
        break;
      case Kind::kMessagesRead:
        FUZZ_CHECK(starts_with(u->reason, "MessagesRead"));
        break;
      case Kind::kUserTyping:
        FUZZ_CHECK(starts_with(u->reason, "UserTyping"));
        break;
      case Kind::kNone:
        break;
    }
  } else if (const auto* m = std::get_if<pusher::MessageSent>(&result)) {
    FUZZ_CHECK(kind == Kind::kMessageSent);
    FUZZ_CHECK(m->channel == event.channel);
  } else if (const auto* t = std::get_if<pusher::UserTyping>(&result)) {
    FUZZ_CHECK(kind == Kind::kUserTyping);
    FUZZ_CHECK(t->channel == event.channel);
    FUZZ_CHECK(!t->user_id.empty() || !t->name.empty());
  } else if (const auto* r = std::get_if<pusher::MessagesRead>(&result)) {
    FUZZ_CHECK(kind == Kind::kMessagesRead);
    FUZZ_CHECK(r->channel == event.channel);
    FUZZ_CHECK(!r->reader_id.empty() || !r->reader_name.empty());
    FUZZ_CHECK(!r->message_ids.empty() || !r->conversation.empty());
    const auto& ids = r->message_ids;
    FUZZ_CHECK(r->last_read_id.empty() ||
               std::find(ids.begin(), ids.end(), r->last_read_id) != ids.end());
  }
}

/// The default-names overload decodes as explicit defaults do.
void check_defaults(const pusher::Event& event) {
  const pusher::AppEvent implicit = pusher::decode_app_event(event);
  const pusher::AppEvent explicit_defaults = pusher::decode_app_event(event, {});
  FUZZ_CHECK(implicit.index() == explicit_defaults.index());
  if (const auto* u = std::get_if<pusher::Unknown>(&implicit))
    FUZZ_CHECK(u->reason == std::get<pusher::Unknown>(explicit_defaults).reason);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  pusher::Event event;
  event.channel = "presence-chat.1";
  const std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos) {
    event.name = "App\\Events\\MessageSent";
    event.data.assign(input);
  } else {
    event.name.assign(input.substr(0, nl));
    event.data.assign(input.substr(nl + 1));
  }

  // Echo with `namespace: false`: broadcastAs() names, renamed events and their old names.
  static const pusher::EventNames echo = [] {
    pusher::EventNames names;
    names.event_namespace = "";
    names.message_sent = {".message.sent", "MessageSent", "Chat.MessagePosted"};
    names.messages_read = {"messages.read", ".read.receipt"};
    names.user_typing = {"typing", ".client-composing", "client-user.typing"};
    return names;
  }();
  // The same names in several lists (precedence decides), and names that match nothing.
  static const pusher::EventNames colliding = [] {
    pusher::EventNames names;
    names.event_namespace = "Acme.Chat";
    names.message_sent = {"", ".shared"};
    names.messages_read = {".shared", "client-read", "Read"};
    names.user_typing = {"client-read", "", ".", "shared"};
    return names;
  }();

  for (const char* user_id : {"", "42"}) {
    event.user_id = user_id;
    check(event, pusher::EventNames{});
    check(event, echo);
    check(event, colliding);
    check_defaults(event);
  }
  return 0;
}
