// Test that the header under test is self-contained.
#include <pusher/app_events.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "events/event_names.hpp"

namespace {

using pusher::AppEvent;
using pusher::Event;
using pusher::EventNames;

Event make_event(std::string name, std::string data, std::string user_id = {}) {
  Event e;
  e.channel = "private-chat.1";
  e.name = std::move(name);
  e.data = std::move(data);
  e.user_id = std::move(user_id);
  return e;
}

const char* const kSent = "App\\Events\\MessageSent";
const char* const kRead = "App\\Events\\MessagesRead";

/// Decodes and checks the type, so a mismatch reports both names.
template <typename T>
T decode_as(const Event& e, const EventNames& names = {}) {
  const AppEvent out = pusher::decode_app_event(e, names);
  const std::string expected = pusher::type_name(AppEvent{T{}});
  REQUIRE_MESSAGE(expected == pusher::type_name(out), "data: " << e.data);
  return std::get<T>(out);
}

void check_unknown(const Event& e, const EventNames& names = {}) {
  const pusher::Unknown u = decode_as<pusher::Unknown>(e, names);
  CHECK(u.channel == e.channel);
  CHECK(u.name == e.name);
  CHECK(u.data == e.data);
}

}  // namespace

TEST_CASE("format_event_name follows Echo's event formatter") {
  struct Row {
    const char* name;
    const char* ns;
    const char* expected;
  };
  const Row rows[] = {
      {"MessageSent", "App.Events", "App\\Events\\MessageSent"},
      {"Chat.MessageSent", "App.Events", "App\\Events\\Chat\\MessageSent"},
      {".message.sent", "App.Events", "message.sent"},
      {"\\Foo", "App.Events", "Foo"},
      {"\\Acme\\Events\\Ping", "App.Events", "Acme\\Events\\Ping"},
      {"MessageSent", "", "MessageSent"},
      {"Chat.MessageSent", "", "Chat\\MessageSent"},
      {"MessageSent", "Acme.Chat.Events", "Acme\\Chat\\Events\\MessageSent"},
      {"client-typing", "App.Events", "client-typing"},
      {"client-user.typing", "App.Events", "client-user.typing"},
      {".client-typing", "App.Events", "client-typing"},
      {"pusher:subscription_succeeded", "App.Events", "pusher:subscription_succeeded"},
      {"Illuminate.Notifications.Events.BroadcastNotificationCreated", "",
       "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CAPTURE(row.ns);
    const std::string formatted = pusher::format_event_name(row.name, row.ns);
    CHECK(formatted == row.expected);
    // The allocation-free matcher used by decoding agrees with the formatter.
    using pusher::detail::events::matches_formatted;
    CHECK(matches_formatted(formatted, row.name, row.ns));
    CHECK_FALSE(matches_formatted(formatted + "x", row.name, row.ns));
    CHECK_FALSE(matches_formatted(formatted.substr(1), row.name, row.ns));
  }
  CHECK_FALSE(pusher::detail::events::matches_formatted("", "", "App.Events"));
  CHECK_FALSE(pusher::detail::events::matches_formatted("App.Events.MessageSent", "MessageSent",
                                                        "App.Events"));
}

TEST_CASE("event names map to types, Echo-style") {
  struct Row {
    EventNames names;
    const char* event;
    const char* type;
  };
  EventNames custom;
  custom.event_namespace = "Acme.Chat";
  custom.message_sent = ".message.sent";
  custom.messages_read = "Read.Receipt";
  custom.user_typing = "typing";
  EventNames bare;
  bare.event_namespace = "";
  const Row rows[] = {
      {{}, kSent, "MessageSent"},
      {{}, "MessageSent", "Unknown"},
      {{}, "App\\Events\\Chat\\MessageSent", "Unknown"},
      {custom, "message.sent", "MessageSent"},
      {custom, ".message.sent", "MessageSent"},
      {custom, kSent, "Unknown"},
      {custom, "Acme\\Chat\\Read\\Receipt", "MessagesRead"},
      {custom, "client-typing", "UserTyping"},
      {custom, "typing", "UserTyping"},
      {bare, "MessageSent", "MessageSent"},
      {bare, kSent, "Unknown"},
      {{}, "client-typing", "UserTyping"},
      {{}, "client-typin", "Unknown"},
      {{}, "pusher:subscription_succeeded", "Unknown"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.event);
    // Every row's payload fits each type, so the name alone decides.
    const char* data = R"({"text":"hi","user_id":1,"message_ids":[1]})";
    const AppEvent out = pusher::decode_app_event(make_event(row.event, data), row.names);
    CHECK(std::string(pusher::type_name(out)) == row.type);
  }
}

TEST_CASE("MessageSent from realistic Laravel payloads") {
  struct Row {
    const char* what;
    const char* data;
    pusher::MessageSent expected;
  };
  const Row rows[] = {
      {"flat",
       R"({"id":1,"text":"hi","user_id":7,"user_name":"Ann","sent_at":"2024-05-01T10:00:00.000000Z","conversation_id":3})",
       {"", "1", "3", "7", "Ann", "hi", "2024-05-01T10:00:00.000000Z"}},
      {"nested message model + top-level user",
       R"({"message":{"id":42,"conversation_id":9,"user_id":7,"message":"Hello","created_at":"2024-05-01T10:00:00.000000Z","updated_at":"2024-05-01T10:00:00.000000Z"},"user":{"id":7,"name":"Ann","email":"ann@example.com"},"socket":null})",
       {"", "42", "9", "7", "Ann", "Hello", "2024-05-01T10:00:00.000000Z"}},
      {"sender inside the message, uuid id, unix time",
       R"({"message":{"id":"9f1c2a7e-0d4b-4f8e-9a51-3c6e2b7d8f10","body":"yo","sender":{"id":"u-1","name":"Bob"},"timestamp":1714557600,"room_id":"lobby"}})",
       {"", "9f1c2a7e-0d4b-4f8e-9a51-3c6e2b7d8f10", "lobby", "u-1", "Bob", "yo", "1714557600"}},
      {"author + content + related room object",
       R"({"content":"x","author":{"id":3,"name":"Cy"},"room":{"id":12,"name":"general"}})",
       {"", "", "12", "3", "Cy", "x", ""}},
      {"UTF-8, escapes and emoji",
       R"({"text":"h\u00e9llo \ud83d\ude00 \"q\"\n\\ 😀 Grüße","sender_id":"5","sender_name":"Zoë","chat_id":"c-1"})",
       {"", "", "c-1", "5", "Zoë", "héllo 😀 \"q\"\n\\ 😀 Grüße", ""}},
      {"64-bit and negative ids",
       R"({"id":18446744073709551615,"text":"a","user_id":-3,"conversation":9223372036854775807})",
       {"", "18446744073709551615", "9223372036854775807", "-3", "", "a", ""}},
      {"fractional timestamp",
       R"({"text":"a","timestamp":1714557600.5})",
       {"", "", "", "", "", "a", "1714557600.5"}},
      {"nulls are absent",
       R"({"id":null,"text":"a","user":null,"conversation_id":null,"name":"N"})",
       {"", "", "", "", "N", "a", ""}},
      {"flat message string",
       R"({"message":"plain","sender_id":2})",
       {"", "", "", "2", "", "plain", ""}},
      {"empty text is still a text", R"({"text":""})", {"", "", "", "", "", "", ""}},
      {"double-encoded", R"("{\"text\":\"hi\",\"id\":5}")", {"", "5", "", "", "", "hi", ""}},
      {"top-level user before the nested message",
       R"({"user":{"name":"Ann","id":7},"socket":null,"message":{"user_id":"8","body":"b","user":{"id":9}}})",
       {"", "", "", "9", "Ann", "b", ""}},
      {"better alias later in the object wins",
       R"({"author":{"id":1,"name":"A"},"content":"c","text":"t","user":{"id":2}})",
       {"", "", "", "2", "A", "t", ""}},
      {"unrelated nesting is skipped",
       R"({"meta":{"text":"no","user":{"id":0}},"attachments":[{"text":"no"},[1,2]],"text":"yes"})",
       {"", "", "", "", "", "yes", ""}},
      {"int64 extremes",
       R"({"text":"a","id":-9223372036854775808,"user_id":0})",
       {"", "-9223372036854775808", "", "0", "", "a", ""}},
      {"whitespace around", " \n\t{ \"text\" : \"a\" }\r\n ", {"", "", "", "", "", "a", ""}},
      {"object key order and first duplicate wins",
       R"({"sent_at":"t","text":"first","body":"second","text":"third"})",
       {"", "", "", "", "", "first", "t"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const auto m = decode_as<pusher::MessageSent>(make_event(kSent, row.data));
    CHECK(m.channel == "private-chat.1");
    CHECK(m.id == row.expected.id);
    CHECK(m.conversation == row.expected.conversation);
    CHECK(m.sender_id == row.expected.sender_id);
    CHECK(m.sender_name == row.expected.sender_name);
    CHECK(m.text == row.expected.text);
    CHECK(m.sent_at == row.expected.sent_at);
  }
}

TEST_CASE("UserTyping from whispers") {
  struct Row {
    const char* what;
    const char* data;
    const char* event_user_id;
    pusher::UserTyping expected;
  };
  const Row rows[] = {
      {"Echo docs whisper: name only", R"({"name":"Ann"})", "", {"", "", "Ann", true}},
      {"object data re-broadcast by Reverb",
       R"({"user":{"id":7,"name":"Ann"},"typing":true})",
       "",
       {"", "7", "Ann", true}},
      {"stopped typing",
       R"({"user_id":"7","user_name":"Ann","typing":false})",
       "",
       {"", "7", "Ann", false}},
      {"id alias", R"({"id":8})", "", {"", "8", "", true}},
      {"user id only from the presence event", R"({"typing":true})", "42", {"", "42", "", true}},
      {"payload id wins over the event's", R"({"user_id":1})", "42", {"", "1", "", true}},
      {"empty data on presence", "", "42", {"", "42", "", true}},
      {"JSON null data on presence", "null", "42", {"", "42", "", true}},
      {"empty object on presence", "{}", "42", {"", "42", "", true}},
      {"double-encoded (string data sent as a string)",
       R"("{\"name\":\"Ann\"}")",
       "",
       {"", "", "Ann", true}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const auto t =
        decode_as<pusher::UserTyping>(make_event("client-typing", row.data, row.event_user_id));
    CHECK(t.channel == "private-chat.1");
    CHECK(t.user_id == row.expected.user_id);
    CHECK(t.name == row.expected.name);
    CHECK(t.typing == row.expected.typing);
  }
}

TEST_CASE("MessagesRead from read receipts") {
  struct Row {
    const char* what;
    const char* data;
    pusher::MessagesRead expected;
  };
  const Row rows[] = {
      {"ids and last read",
       R"({"reader_id":7,"message_ids":[1,"2",3],"last_read_id":3,"read_at":"2024-05-01T10:00:00Z"})",
       {"", "7", "", "3", {"1", "2", "3"}, "2024-05-01T10:00:00Z"}},
      {"last read only, user object",
       R"({"user":{"id":"u-7","name":"Ann"},"last_read_message_id":"m-9","timestamp":1714557600})",
       {"", "u-7", "Ann", "m-9", {"m-9"}, "1714557600"}},
      {"message_id alias, flat names",
       R"({"user_id":7,"user_name":"Ann","message_id":12})",
       {"", "7", "Ann", "12", {"12"}, ""}},
      {"last read appended to the list",
       R"({"reader":{"id":1},"message_ids":[4,5],"last_read_id":6})",
       {"", "1", "", "6", {"4", "5", "6"}, ""}},
      {"ids before the reader, empty strings skipped",
       R"({"message_ids":["a","",7],"user":{"id":3}})",
       {"", "3", "", "", {"a", "7"}, ""}},
      {"empty array but a last read",
       R"({"reader_id":"1","message_ids":[],"last_read_id":"x"})",
       {"", "1", "", "x", {"x"}, ""}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const auto r = decode_as<pusher::MessagesRead>(make_event(kRead, row.data));
    CHECK(r.channel == "private-chat.1");
    CHECK(r.reader_id == row.expected.reader_id);
    CHECK(r.reader_name == row.expected.reader_name);
    CHECK(r.last_read_id == row.expected.last_read_id);
    CHECK(r.message_ids == row.expected.message_ids);
    CHECK(r.read_at == row.expected.read_at);
  }
}

TEST_CASE("MessagesRead with many ids keeps them all, in order") {
  std::string data = R"({"reader_id":1,"message_ids":[)";
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    data +=
        (i > 0 ? "," : "") + (i % 2 == 0 ? std::to_string(i) : "\"m" + std::to_string(i) + "\"");
    expected.push_back(i % 2 == 0 ? std::to_string(i) : "m" + std::to_string(i));
  }
  data += R"(],"last_read_id":"m99"})";
  const auto r = decode_as<pusher::MessagesRead>(make_event(kRead, data));
  CHECK(r.message_ids == expected);
  CHECK(r.last_read_id == "m99");
}

TEST_CASE("nesting up to 64 levels decodes, deeper is Unknown") {
  const auto nested = [](int arrays) {
    return R"({"text":"a","x":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  CHECK(decode_as<pusher::MessageSent>(make_event(kSent, nested(63))).text == "a");
  check_unknown(make_event(kSent, nested(64)));
}

TEST_CASE("custom EventNames") {
  EventNames names;
  names.event_namespace = "Domain.Chat.Events";
  names.message_sent = ".message.sent";
  names.messages_read = "MessagesWereRead";
  names.user_typing = "client-composing";
  const auto m =
      decode_as<pusher::MessageSent>(make_event("message.sent", R"({"body":"b"})"), names);
  CHECK(m.text == "b");
  const auto r = decode_as<pusher::MessagesRead>(
      make_event("Domain\\Chat\\Events\\MessagesWereRead", R"({"reader_id":1,"message_id":2})"),
      names);
  CHECK(r.message_ids == std::vector<std::string>{"2"});
  decode_as<pusher::UserTyping>(make_event("client-composing", "", "5"), names);
  check_unknown(make_event("client-typing", "", "5"), names);
  check_unknown(make_event(kSent, R"({"body":"b"})"), names);
}

TEST_CASE("anything that does not decode is Unknown with the raw event") {
  struct Row {
    const char* what;
    const char* name;
    std::string data;
  };
  const std::string bomb(100000, '[');
  const std::string closed_bomb = R"({"text":"a","x":)" + bomb + std::string(100000, ']') + "}";
  const Row rows[] = {
      {"unrelated name", "App\\Events\\OrderShipped", R"({"text":"hi"})"},
      {"invalid JSON", kSent, R"({"text":)"},
      {"plain text", kSent, "hello"},
      {"trailing garbage", kSent, R"({"text":"a"} x)"},
      {"embedded NUL", kSent, std::string(R"({"text":"a"})") + '\0' + "junk"},
      {"empty data", kSent, ""},
      {"JSON null", kSent, "null"},
      {"array root", kSent, R"([{"text":"a"}])"},
      {"missing text", kSent, R"({"id":1,"user_id":2})"},
      {"numeric text", kSent, R"({"text":42})"},
      {"message array", kSent, R"({"message":[1]})"},
      {"bool id", kSent, R"({"text":"a","id":true})"},
      {"fractional id", kSent, R"({"text":"a","id":1.5})"},
      {"huge id", kSent, R"({"text":"a","id":123456789012345678901234567890})"},
      {"number out of range", kSent, R"({"text":"a","sent_at":1e400})"},
      {"user is a string", kSent, R"({"text":"a","user":"ann"})"},
      {"user id is an object", kSent, R"({"text":"a","user":{"id":{}}})"},
      {"nesting bomb", kSent, bomb},
      {"closed nesting bomb in a field", kSent, closed_bomb},
      {"triple-encoded", kSent, R"("\"{\\\"text\\\":\\\"a\\\"}\"")"},
      {"empty string value", kSent, R"("")"},
      {"double-encoded garbage", kSent, R"("not json")"},
      {"typing without any user", "client-typing", R"({"typing":true})"},
      {"typing, empty data, no user", "client-typing", ""},
      {"typing array", "client-typing", "[1]"},
      {"typing flag is a string", "client-typing", R"({"name":"A","typing":"yes"})"},
      {"typing invalid JSON", "client-typing", "{"},
      {"read without ids", kRead, R"({"reader_id":1})"},
      {"read without reader", kRead, R"({"message_ids":[1]})"},
      {"read ids not an array", kRead, R"({"reader_id":1,"message_ids":"1,2"})"},
      {"read id of wrong type", kRead, R"({"reader_id":1,"message_ids":[1,{}]})"},
      {"read null id", kRead, R"({"reader_id":1,"message_ids":[null]})"},
      {"read empty data", kRead, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    check_unknown(make_event(row.name, row.data));
  }
}

TEST_CASE("type_name") {
  CHECK(std::string(pusher::type_name(AppEvent{pusher::MessageSent{}})) == "MessageSent");
  CHECK(std::string(pusher::type_name(AppEvent{pusher::UserTyping{}})) == "UserTyping");
  CHECK(std::string(pusher::type_name(AppEvent{pusher::MessagesRead{}})) == "MessagesRead");
  CHECK(std::string(pusher::type_name(AppEvent{pusher::Unknown{}})) == "Unknown");
}

TEST_CASE("one thread decodes many events of every size with one scratch") {
  // The per-thread scratch is reused and released after a large payload; results own data.
  const std::string big_text(200000, 'z');
  const auto big =
      decode_as<pusher::MessageSent>(make_event(kSent, R"({"text":")" + big_text + R"("})"));
  CHECK(big.text == big_text);
  for (int i = 0; i < 3; ++i) {
    const auto small = decode_as<pusher::MessageSent>(make_event(kSent, R"({"text":"s"})"));
    CHECK(small.text == "s");
  }
  CHECK(big.text.size() == big_text.size());
}
