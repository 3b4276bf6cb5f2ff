// libFuzzer target: the typed-event decoder (pusher::decode_app_event, src/events/). The input
// is the event name, a newline, then the data, e.g. "App\Events\MessageSent\n{...}"; without
// a newline it is all data under the name App\Events\MessageSent. Each input is decoded with
// the default names and with Echo-style custom ones, with and without a sender user_id.
//
// Checked: never throws; Unknown carries the raw event unchanged; a typed result keeps the
// channel; the required fields of each type are present.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <pusher/app_events.hpp>

#include "fuzz_check.hpp"

namespace {

void check(const pusher::Event& event, const pusher::EventNames& names) {
  const pusher::AppEvent result = pusher::decode_app_event(event, names);
  FUZZ_CHECK(pusher::type_name(result) != nullptr);
  if (const auto* u = std::get_if<pusher::Unknown>(&result)) {
    FUZZ_CHECK(u->channel == event.channel);
    FUZZ_CHECK(u->name == event.name);
    FUZZ_CHECK(u->data == event.data);
  } else if (const auto* m = std::get_if<pusher::MessageSent>(&result)) {
    FUZZ_CHECK(m->channel == event.channel);
  } else if (const auto* t = std::get_if<pusher::UserTyping>(&result)) {
    FUZZ_CHECK(t->channel == event.channel);
    FUZZ_CHECK(!t->user_id.empty() || !t->name.empty());
  } else if (const auto* r = std::get_if<pusher::MessagesRead>(&result)) {
    FUZZ_CHECK(r->channel == event.channel);
    FUZZ_CHECK(!r->reader_id.empty());
    FUZZ_CHECK(!r->message_ids.empty() || !r->last_read_id.empty());
  }
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

  pusher::EventNames echo;  // Echo with `namespace: false` and broadcastAs() names
  echo.event_namespace = "";
  echo.message_sent = ".message.sent";
  echo.messages_read = "messages.read";
  echo.user_typing = "typing";

  for (const char* user_id : {"", "42"}) {
    event.user_id = user_id;
    check(event, pusher::EventNames{});
    check(event, echo);
  }
  return 0;
}
