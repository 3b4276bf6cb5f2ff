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

/// Checks that `e` is Unknown with the raw event, and returns it for its reason.
pusher::Unknown check_unknown(const Event& e, const EventNames& names = {}) {
  pusher::Unknown u = decode_as<pusher::Unknown>(e, names);
  CHECK(u.channel == e.channel);
  CHECK(u.name == e.name);
  CHECK(u.data == e.data);
  return u;
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
  custom.message_sent = {".message.sent"};
  custom.messages_read = {"Read.Receipt"};
  custom.user_typing = {"typing"};
  EventNames bare;
  bare.event_namespace = "";
  EventNames aliases;  // the renamed events, and the old names old clients still send
  aliases.message_sent = {"MessageSent", ".chat.message", "Chat.MessagePosted"};
  aliases.messages_read = {".chat.read", "MessagesRead"};
  aliases.user_typing = {"typing", "client-composing"};
  EventNames none;
  none.message_sent = {};
  none.messages_read = {""};
  none.user_typing = {"", "."};
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
      {aliases, kSent, "MessageSent"},
      {aliases, "chat.message", "MessageSent"},
      {aliases, ".chat.message", "MessageSent"},
      {aliases, "App\\Events\\Chat\\MessagePosted", "MessageSent"},
      {aliases, "chat.read", "MessagesRead"},
      {aliases, kRead, "MessagesRead"},
      {aliases, "client-typing", "UserTyping"},
      {aliases, "client-composing", "UserTyping"},
      {aliases, "composing", "Unknown"},
      {aliases, "App\\Events\\chat.message", "Unknown"},
      {none, kSent, "Unknown"},
      {none, kRead, "Unknown"},
      {none, "", "Unknown"},
      {none, "client-typing", "Unknown"},
      {none, "client-", "Unknown"},
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
      {"UUID keys",
       R"({"uuid":"9b2f6c1e-1d2a-4c3b-8e4f-5a6b7c8d9e0f","text":"a","sender_uuid":"u-5","conversation_uuid":"c-9"})",
       {"", "9b2f6c1e-1d2a-4c3b-8e4f-5a6b7c8d9e0f", "c-9", "u-5", "", "a", ""}},
      {"UUIDs inside the message model and its related objects",
       R"({"message":{"uuid":"m-1","body":"b","user":{"uuid":"u-1","name":"Ann"},"room":{"uuid":"r-1"}}})",
       {"", "m-1", "r-1", "u-1", "Ann", "b", ""}},
      {"an id wins over its UUID twin, whatever the order",
       R"({"uuid":"m-u","id":5,"text":"a","user_uuid":"u-u","user_id":7,"room_uuid":"r-u","room_id":3})",
       {"", "5", "3", "7", "", "a", ""}},
      {"sender as a plain string",
       R"({"text":"a","user":"bob"})",
       {"", "", "", "", "bob", "a", ""}},
      {"sender key as a plain string, with an id beside it",
       R"({"text":"a","sender":"bob","sender_id":4})",
       {"", "", "", "4", "bob", "a", ""}},
      {"a sender string wins over a flat name",
       R"({"text":"a","sender_name":"Bobby","author":"bob"})",
       {"", "", "", "", "bob", "a", ""}},
      {"the nested message's sender object wins over a top-level string",
       R"({"user":"bob","message":{"text":"a","user":{"id":2,"name":"Ann"}}})",
       {"", "", "", "2", "Ann", "a", ""}},
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
      {"Echo docs whisper: name only", R"({"name":"Ann"})", "", {"", "", "Ann", true, ""}},
      {"object data re-broadcast by Reverb",
       R"({"user":{"id":7,"name":"Ann"},"typing":true})",
       "",
       {"", "7", "Ann", true, ""}},
      {"stopped typing",
       R"({"user_id":"7","user_name":"Ann","typing":false})",
       "",
       {"", "7", "Ann", false, ""}},
      {"id alias", R"({"id":8})", "", {"", "8", "", true, ""}},
      {"user id only from the presence event",
       R"({"typing":true})",
       "42",
       {"", "42", "", true, ""}},
      {"payload id wins over the event's", R"({"user_id":1})", "42", {"", "1", "", true, ""}},
      {"empty data on presence", "", "42", {"", "42", "", true, ""}},
      {"JSON null data on presence", "null", "42", {"", "42", "", true, ""}},
      {"empty object on presence", "{}", "42", {"", "42", "", true, ""}},
      {"double-encoded (string data sent as a string)",
       R"("{\"name\":\"Ann\"}")",
       "",
       {"", "", "Ann", true, ""}},
      {"user as a plain string, on presence",
       R"({"user":"bob"})",
       "42",
       {"", "42", "bob", true, ""}},
      {"user as a plain string, nothing else", R"({"user":"bob"})", "", {"", "", "bob", true, ""}},
      {"UUID keys", R"({"user_uuid":"u-1","typing":false})", "", {"", "u-1", "", false, ""}},
      {"user object with a UUID", R"({"user":{"uuid":"u-2"}})", "", {"", "u-2", "", true, ""}},
      {"bare uuid", R"({"uuid":"u-3","name":"Cy"})", "", {"", "u-3", "Cy", true, ""}},
      {"conversation id",
       R"({"name":"Ann","conversation_id":12})",
       "",
       {"", "", "Ann", true, "12"}},
      {"room object and a typing user object (ids do not mix)",
       R"({"user":{"id":7},"room":{"id":"lobby","name":"Lobby"}})",
       "",
       {"", "7", "", true, "lobby"}},
      {"conversation UUID on presence",
       R"({"conversation_uuid":"c-1"})",
       "42",
       {"", "42", "", true, "c-1"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const auto t =
        decode_as<pusher::UserTyping>(make_event("client-typing", row.data, row.event_user_id));
    CHECK(t.channel == "private-chat.1");
    CHECK(t.user_id == row.expected.user_id);
    CHECK(t.name == row.expected.name);
    CHECK(t.typing == row.expected.typing);
    CHECK(t.conversation == row.expected.conversation);
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
       {"", "7", "", "3", {"1", "2", "3"}, "2024-05-01T10:00:00Z", ""}},
      {"last read only, user object",
       R"({"user":{"id":"u-7","name":"Ann"},"last_read_message_id":"m-9","timestamp":1714557600})",
       {"", "u-7", "Ann", "m-9", {"m-9"}, "1714557600", ""}},
      {"message_id alias, flat names",
       R"({"user_id":7,"user_name":"Ann","message_id":12})",
       {"", "7", "Ann", "12", {"12"}, "", ""}},
      {"last read appended to the list",
       R"({"reader":{"id":1},"message_ids":[4,5],"last_read_id":6})",
       {"", "1", "", "6", {"4", "5", "6"}, "", ""}},
      {"ids before the reader, empty strings skipped",
       R"({"message_ids":["a","",7],"user":{"id":3}})",
       {"", "3", "", "", {"a", "7"}, "", ""}},
      {"empty array but a last read",
       R"({"reader_id":"1","message_ids":[],"last_read_id":"x"})",
       {"", "1", "", "x", {"x"}, "", ""}},
      {"a whole conversation read: no message id",
       R"({"reader_id":7,"conversation_id":3,"read_at":"2024-05-01T10:00:00Z"})",
       {"", "7", "", "", {}, "2024-05-01T10:00:00Z", "3"}},
      {"conversation as a related model, reader as a plain string",
       R"({"reader":"bob","conversation":{"id":"c-1","title":"x"}})",
       {"", "", "bob", "", {}, "", "c-1"}},
      {"user as a plain string, with an id beside it",
       R"({"user":"bob","user_id":2,"message_id":5})",
       {"", "2", "bob", "5", {"5"}, "", ""}},
      {"conversation and ids together",
       R"({"reader":{"id":1},"room_id":"lobby","message_ids":[8,9]})",
       {"", "1", "", "", {"8", "9"}, "", "lobby"}},
      {"UUID keys",
       R"({"reader_uuid":"u-1","message_uuids":["m-1","m-2"],"last_read_uuid":"m-2","conversation_uuid":"c-1"})",
       {"", "u-1", "", "m-2", {"m-1", "m-2"}, "", "c-1"}},
      {"message_uuid and a reader object with a UUID",
       R"({"reader":{"uuid":"u-2","name":"Ann"},"message_uuid":"m-3"})",
       {"", "u-2", "Ann", "m-3", {"m-3"}, "", ""}},
      {"last_read_message_uuid, user_uuid",
       R"({"user_uuid":"u-3","last_read_message_uuid":"m-4","chat_uuid":"c-3"})",
       {"", "u-3", "", "m-4", {"m-4"}, "", "c-3"}},
      {"message_ids wins over message_uuids, whatever the order",
       R"({"reader_id":1,"message_uuids":["u"],"message_ids":[1]})",
       {"", "1", "", "", {"1"}, "", ""}},
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
    CHECK(r.conversation == row.expected.conversation);
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
  names.message_sent = {".message.sent"};
  names.messages_read = {"MessagesWereRead"};
  names.user_typing = {"client-composing"};
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
      {"user is a number", kSent, R"({"text":"a","user":5})"},
      {"sender is an array", kSent, R"({"text":"a","sender":["bob"]})"},
      {"conversation is a boolean", kSent, R"({"text":"a","conversation_uuid":true})"},
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
      {"read, a conversation but no reader", kRead, R"({"conversation_id":3})"},
      {"read, an empty conversation and no ids", kRead, R"({"reader_id":1,"room_id":""})"},
      {"read conversation is an array", kRead, R"({"reader_id":1,"room":[3]})"},
      {"read reader is a number", kRead, R"({"reader":1,"message_id":2})"},
      {"typing conversation is a boolean", "client-typing", R"({"name":"A","room_id":false})"},
      {"typing user is an array", "client-typing", R"({"user":["bob"]})"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const pusher::Unknown u = check_unknown(make_event(row.name, row.data));
    // A typed name that does not fit says why; an unrelated one is not looked at.
    CHECK(u.reason.empty() == (std::string(row.name) == "App\\Events\\OrderShipped"));
  }
}

TEST_CASE("Unknown::reason says what did not fit") {
  struct Row {
    const char* name;
    const char* data;
    const char* reason;
  };
  const Row rows[] = {
      {"App\\Events\\OrderShipped", R"({"text":"hi"})", ""},
      {"client-whatever", "", ""},
      {kSent, R"({"id":1,"user_id":2})",
       "MessageSent needs a text: none of text, body, content, message is a string"},
      {kSent, R"({"message":{"id":1}})",
       "MessageSent needs a text: none of text, body, content, message is a string"},
      {kSent, R"({"text":)", "MessageSent needs a JSON object: the data is not valid JSON"},
      {kSent, "", "MessageSent needs a JSON object: the data is empty or JSON null"},
      {kSent, "null", "MessageSent needs a JSON object: the data is empty or JSON null"},
      {kSent, R"([{"text":"a"}])",
       "MessageSent needs a JSON object: the data is not a JSON object"},
      {kSent, R"("\"{}\"")", "MessageSent needs a JSON object: the data is not a JSON object"},
      {kSent, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
       "MessageSent needs a JSON object: the data nests deeper than 64 levels"},
      {kSent, R"({"text":42})", R"(MessageSent: "text" is not a string)"},
      {kSent, R"({"message":[1]})", R"(MessageSent: "message" is not a string)"},
      {kSent, R"({"text":"a","id":1.5})", R"(MessageSent: "id" is not a string or an integer)"},
      {kSent, R"({"text":"a","user":5})", R"(MessageSent: "user" is not an object or a string)"},
      {kSent, R"({"text":"a","sender":{"uuid":true}})",
       R"(MessageSent: "sender.uuid" is not a string or an integer)"},
      {kSent, R"({"message":{"text":"a","user":{"name":7}}})",
       R"(MessageSent: "message.user.name" is not a string)"},
      {kSent, R"({"message":{"text":"a","room":{"id":[1]}}})",
       R"(MessageSent: "message.room.id" is not a string or an integer)"},
      {kSent, R"({"text":"a","created_at":true})",
       R"(MessageSent: "created_at" is not a string or a number)"},
      {kSent, R"({"text":"a","chat_uuid":1.5})",
       R"(MessageSent: "chat_uuid" is not a string, an integer or an object)"},
      {"client-typing", "[1]",
       "UserTyping needs a JSON object or no data: the data is not a JSON object"},
      {"client-typing", R"({"typing":true})",
       "UserTyping needs a user id or name: none in the data, nor a user_id on the event"},
      {"client-typing", R"({"name":"A","typing":"yes"})",
       R"(UserTyping: "typing" is not a boolean)"},
      {"client-typing", R"({"user":{"uuid":{}}})",
       R"(UserTyping: "user.uuid" is not a string or an integer)"},
      {kRead, R"({"message_ids":[1]})", "MessagesRead needs a reader id or name: none in the data"},
      {kRead, R"({"reader_id":1})",
       "MessagesRead needs a message id or a conversation: neither in the data"},
      {kRead, R"({"reader_id":1,"message_ids":[1,{}]})",
       R"(MessagesRead: "message_ids" is not an array of strings and integers)"},
      {kRead, R"({"reader_id":1,"message_uuids":"a,b"})",
       R"(MessagesRead: "message_uuids" is not an array of strings and integers)"},
      {kRead, R"({"reader":[1],"message_id":1})",
       R"(MessagesRead: "reader" is not an object or a string)"},
      {kRead, R"({"reader_id":1,"room":{"uuid":false}})",
       R"(MessagesRead: "room.uuid" is not a string or an integer)"},
      {kRead, "7", "MessagesRead needs a JSON object: the data is not a JSON object"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CAPTURE(row.data);
    CHECK(check_unknown(make_event(row.name, row.data)).reason == row.reason);
  }
}

TEST_CASE("aliases: several names decode to one type") {
  EventNames names;
  names.message_sent = {"MessageSent", ".chat.message"};
  const char* data = R"({"text":"hi","user":"bob"})";
  for (const char* name : {kSent, "chat.message", ".chat.message"}) {
    CAPTURE(name);
    const auto m = decode_as<pusher::MessageSent>(make_event(name, data), names);
    CHECK(m.text == "hi");
    CHECK(m.sender_name == "bob");
  }
  // Each alias under Echo's rule: without the '.', the second name takes the namespace.
  check_unknown(make_event("chat.message", data));
  check_unknown(make_event("App\\Events\\.chat.message", data), names);
  // The other lists keep their defaults.
  decode_as<pusher::MessagesRead>(make_event(kRead, R"({"reader_id":1,"message_id":2})"), names);
  decode_as<pusher::UserTyping>(make_event("client-typing", R"({"name":"A"})"), names);

  EventNames typing;
  typing.user_typing = {"typing", ".client-composing", "client-user.typing"};
  for (const char* name : {"client-typing", "typing", "client-composing", "client-user.typing"}) {
    CAPTURE(name);
    CHECK(decode_as<pusher::UserTyping>(make_event(name, "", "5"), typing).user_id == "5");
  }
}

TEST_CASE("precedence holds between lists, whatever a name's place in them") {
  const char* data = R"({"text":"hi","user_id":1,"name":"A","message_ids":[1]})";
  EventNames names;
  names.message_sent = {"Other", ".shared"};
  names.messages_read = {".shared", ".read.or.typing", "client-read"};
  names.user_typing = {"client-read", "read.or.typing", "typing"};
  const auto type_of = [&](const char* name) {
    return std::string(pusher::type_name(pusher::decode_app_event(make_event(name, data), names)));
  };
  CHECK(type_of("shared") == "MessageSent");
  CHECK(type_of("read.or.typing") == "MessagesRead");
  CHECK(type_of("client-read") == "MessagesRead");
  CHECK(type_of("client-typing") == "UserTyping");
  // The winning type decides the shape: a read receipt payload that is no message is Unknown,
  // though the name is also a MessagesRead one.
  const auto u = check_unknown(make_event("shared", R"({"reader_id":1,"message_ids":[1]})"), names);
  CHECK(u.reason.rfind("MessageSent needs a text", 0) == 0);
}

TEST_CASE("decode_app_event without names uses the defaults") {
  const Event events[] = {
      make_event(kSent, R"({"text":"hi"})"),
      make_event(kRead, R"({"reader_id":1,"conversation_id":2})"),
      make_event("client-typing", "", "3"),
      make_event("MessageSent", R"({"text":"hi"})"),
      make_event(kSent, R"({"text":1})"),
  };
  for (const Event& e : events) {
    CAPTURE(e.name);
    const AppEvent by_default = pusher::decode_app_event(e);
    const AppEvent with_defaults = pusher::decode_app_event(e, EventNames{});
    CHECK(std::string(pusher::type_name(by_default)) == pusher::type_name(with_defaults));
    if (const auto* u = std::get_if<pusher::Unknown>(&by_default))
      CHECK(u->reason == std::get<pusher::Unknown>(with_defaults).reason);
  }
  const EventNames defaults;
  CHECK(defaults.event_namespace == "App.Events");
  CHECK(defaults.message_sent == std::vector<std::string>{"MessageSent"});
  CHECK(defaults.messages_read == std::vector<std::string>{"MessagesRead"});
  CHECK(defaults.user_typing == std::vector<std::string>{"client-typing"});
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
