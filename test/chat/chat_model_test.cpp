#include "chat_model.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_locale.hpp"

using chat::ChatMessage;
using chat::ChatModel;
using chat::EntryKind;
using chat::Receipt;
using chat::TimePoint;
using namespace std::chrono_literals;

namespace {

const TimePoint kStart{std::chrono::hours(1000)};  // a manual clock: no sleeps
const std::string kChannel = "presence-chat.lobby";

ChatModel lobby_as_alice() {
  ChatModel model;
  model.enter_room("lobby");
  model.set_me({"1", "alice"});
  return model;
}

pusher::MessageSent sent(const std::string& id, const std::string& sender_id,
                         const std::string& name, const std::string& text) {
  pusher::MessageSent m;
  m.channel = kChannel;
  m.id = id;
  m.sender_id = sender_id;
  m.sender_name = name;
  m.text = text;
  m.sent_at = "2024-05-01T12:00:00.000000Z";
  return m;
}

pusher::MessagesRead read_by(const std::string& reader_id, const std::string& last) {
  pusher::MessagesRead r;
  r.channel = kChannel;
  r.reader_id = reader_id;
  r.reader_name = "reader";
  r.last_read_id = last;
  return r;
}

pusher::UserTyping typing(const std::string& user_id, const std::string& name, bool on = true) {
  pusher::UserTyping t;
  t.channel = kChannel;
  t.user_id = user_id;
  t.name = name;
  t.typing = on;
  return t;
}

std::vector<std::string> message_ids(const ChatModel& model) {
  std::vector<std::string> ids;
  for (const auto& entry : model.entries()) {
    if (entry.kind == EntryKind::message) ids.push_back(entry.message.id);
  }
  return ids;
}

const ChatMessage& last_message(const ChatModel& model) {
  for (auto it = model.entries().rbegin(); it != model.entries().rend(); ++it) {
    if (it->kind == EntryKind::message) return it->message;
  }
  throw std::logic_error("no message");
}

}  // namespace

TEST_CASE("MessageSent adds a message with its sender, text and time") {
  ChatModel model = lobby_as_alice();
  model.apply(sent("5", "2", "bob", "hi alice"), 0, kStart);
  REQUIRE(model.entries().size() == 1);
  const ChatMessage& message = last_message(model);
  CHECK(message.id == "5");
  CHECK(message.sender.name == "bob");
  CHECK(message.text == "hi alice");
  CHECK(message.time == 1714564800);
  CHECK_FALSE(message.own);
  CHECK(model.receipt(message) == Receipt::none);
}

TEST_CASE("a missing sent_at falls back to the receive time; other rooms are ignored") {
  ChatModel model = lobby_as_alice();
  pusher::MessageSent m = sent("5", "2", "bob", "x");
  m.sent_at = "";
  model.apply(m, 1234, kStart);
  CHECK(last_message(model).time == 1234);
  pusher::MessageSent elsewhere = sent("6", "2", "bob", "y");
  elsewhere.channel = "presence-chat.other";
  model.apply(elsewhere, 0, kStart);
  CHECK(message_ids(model) == std::vector<std::string>{"5"});
  model.apply(pusher::Unknown{kChannel, "x", "{}", ""}, 0, kStart);
  CHECK(model.entries().size() == 1);
}

TEST_CASE("messages are de-duplicated by id, and kept in id order") {
  ChatModel model = lobby_as_alice();
  model.apply(sent("10", "2", "bob", "live"), 0, kStart);
  model.info("bob joined");
  // The backend's history arrives after the live message, and the SDK's history repeats it.
  for (const char* id : {"7", "8", "10"}) {
    ChatMessage m;
    m.id = id;
    m.sender = {"3", "carol"};
    m.text = "old";
    model.add_message(m);
  }
  CHECK(message_ids(model) == std::vector<std::string>{"7", "8", "10"});
  CHECK_FALSE(model.add_message(ChatMessage{"8", {"3", "carol"}, "again"}));
  model.apply(sent("11", "2", "bob", "new"), 0, kStart);
  CHECK(message_ids(model) == std::vector<std::string>{"7", "8", "10", "11"});
}

TEST_CASE("history goes before the system lines that followed the last message") {
  ChatModel model = lobby_as_alice();
  model.info("you are in #lobby");
  model.add_message(ChatMessage{"3", {"2", "bob"}, "old"}, true);
  model.apply(sent("4", "2", "bob", "live"), 0, kStart);
  model.info("carol joined");
  model.add_message(ChatMessage{"2", {"2", "bob"}, "older"}, true);
  const auto& entries = model.entries();
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].message.id == "2");
  CHECK(entries[1].message.id == "3");
  CHECK(entries[2].text == "you are in #lobby");
  CHECK(entries[3].message.id == "4");
  CHECK(entries[4].text == "carol joined");
}

TEST_CASE("own messages: … while sending, ✓ on the answer, ✓✓ when someone else read them") {
  ChatModel model = lobby_as_alice();
  const auto handle = model.begin_send("hello", 1000);
  CHECK(model.receipt(last_message(model)) == Receipt::sending);
  CHECK(last_message(model).own);

  ChatMessage stored;
  stored.id = "20";
  stored.sender = {"1", "alice"};
  stored.text = "hello";
  model.send_succeeded(handle, stored);
  CHECK(last_message(model).id == "20");
  CHECK(model.receipt(last_message(model)) == Receipt::sent);

  model.apply(read_by("1", "20"), 0, kStart);  // alice's other tab: not a receipt
  CHECK(model.receipt(last_message(model)) == Receipt::sent);
  model.apply(read_by("2", "19"), 0, kStart);  // bob read an older one
  CHECK(model.receipt(last_message(model)) == Receipt::sent);
  model.apply(read_by("2", "20"), 0, kStart);
  CHECK(model.receipt(last_message(model)) == Receipt::read);
}

TEST_CASE("a read that arrives before the send's answer still counts") {
  ChatModel model = lobby_as_alice();
  const auto handle = model.begin_send("quick", 1000);
  pusher::MessagesRead r = read_by("2", "");
  r.message_ids = {"30", "31"};
  model.apply_read(r);
  ChatMessage stored;
  stored.id = "31";
  model.send_succeeded(handle, stored);
  CHECK(model.receipt(last_message(model)) == Receipt::read);
}

TEST_CASE("a failed send is marked and explained") {
  ChatModel model = lobby_as_alice();
  const auto handle = model.begin_send("lost", 1000);
  model.send_failed(handle, "HTTP 500");
  const auto& entries = model.entries();
  REQUIRE(entries.size() == 2);
  CHECK(model.receipt(entries[0].message) == Receipt::failed);
  CHECK(entries[1].kind == EntryKind::error);
  CHECK(entries[1].text == "not sent: HTTP 500");
}

TEST_CASE("when the broadcast of our message beats the HTTP answer, it shows once") {
  ChatModel model = lobby_as_alice();
  const auto handle = model.begin_send("hello", 1000);
  model.apply(sent("40", "1", "alice", "hello"), 0, kStart);
  ChatMessage stored;
  stored.id = "40";
  model.send_succeeded(handle, stored);
  CHECK(message_ids(model) == std::vector<std::string>{"40"});
  CHECK(model.receipt(last_message(model)) == Receipt::sent);
}

TEST_CASE("history loaded before we know who we are is re-checked for our own messages") {
  ChatModel model;
  model.enter_room("lobby");
  model.add_message(ChatMessage{"1", {"9", "me"}, "mine"});
  CHECK_FALSE(last_message(model).own);
  model.set_me({"9", "me"});
  CHECK(last_message(model).own);
  CHECK(model.receipt(last_message(model)) == Receipt::sent);
}

TEST_CASE("typing shows for 4 s without a refresh, and ends on typing:false or a message") {
  ChatModel model = lobby_as_alice();
  model.apply(typing("2", "bob"), 0, kStart);
  CHECK(model.typing_text(kStart) == "bob is typing...");
  CHECK(model.typing_text(kStart + 3999ms) == "bob is typing...");
  CHECK(model.typing_text(kStart + 4s) == "");
  REQUIRE(model.next_deadline(kStart));
  CHECK(*model.next_deadline(kStart) == kStart + 4s);

  model.apply(typing("2", "bob"), 0, kStart + 3s);  // a refresh extends it
  CHECK(model.typing_text(kStart + 6s) == "bob is typing...");
  model.tick(kStart + 7s);
  CHECK(model.typing_names(kStart + 7s).empty());

  model.apply(typing("2", "bob"), 0, kStart);
  model.apply(typing("2", "bob", false), 0, kStart + 1s);
  CHECK(model.typing_text(kStart + 1s) == "");

  model.apply(typing("2", "bob"), 0, kStart);
  model.apply(sent("50", "2", "bob", "done"), 0, kStart + 1s);
  CHECK(model.typing_text(kStart + 1s) == "");
}

TEST_CASE("typing lines for several people; our own whispers are ignored") {
  ChatModel model = lobby_as_alice();
  model.apply(typing("1", "alice"), 0, kStart);
  CHECK(model.typing_text(kStart) == "");
  model.apply(typing("2", "bob"), 0, kStart);
  model.apply(typing("3", "carol"), 0, kStart);
  CHECK(model.typing_text(kStart) == "bob and carol are typing...");
  model.apply(typing("4", "dave"), 0, kStart);
  CHECK(model.typing_text(kStart) == "bob, carol and dave are typing...");
  model.apply(typing("5", "erin"), 0, kStart);
  CHECK(model.typing_text(kStart) == "bob, carol and 2 others are typing...");
}

TEST_CASE("a typist without a name is named from the members") {
  ChatModel model = lobby_as_alice();
  model.set_members({{"2", "bob"}});
  model.apply(typing("2", ""), 0, kStart);
  CHECK(model.typing_text(kStart) == "bob is typing...");
}

TEST_CASE("our typing whisper goes out at most every 2 s, and false once when cleared") {
  ChatModel model = lobby_as_alice();
  CHECK(model.typing_signal(true, kStart) == true);
  CHECK_FALSE(model.typing_signal(true, kStart + 1s));
  CHECK_FALSE(model.typing_signal(true, kStart + 1999ms));
  CHECK(model.typing_signal(true, kStart + 2s) == true);
  CHECK(model.typing_signal(false, kStart + 2500ms) == false);
  CHECK_FALSE(model.typing_signal(false, kStart + 3s));   // said once
  CHECK(model.typing_signal(true, kStart + 3s) == true);  // typing again: no wait
}

TEST_CASE("members: here, joining and leaving") {
  ChatModel model = lobby_as_alice();
  model.set_members({{"2", "bob"}, {"1", "alice"}, {"2", "bob"}});
  REQUIRE(model.members().size() == 2);
  CHECK(model.members()[0].name == "alice");
  model.member_joined({"3", "Carol"});
  CHECK(model.members().size() == 3);
  CHECK(model.members()[2].name == "Carol");
  CHECK(model.entries().back().text == "Carol joined");
  model.member_joined({"3", "Carol"});  // already there: no second line
  CHECK(model.entries().size() == 1);
  model.apply(typing("3", "Carol"), 0, kStart);
  model.member_left("3");
  CHECK(model.members().size() == 2);
  CHECK(model.entries().back().text == "Carol left");
  CHECK(model.typing_text(kStart) == "");
  model.member_left("42");
  CHECK(model.entries().size() == 2);
  CHECK(model.who_line() == "online in #lobby (2): alice (you), bob");
}

TEST_CASE("read receipts: once per newest message from others, after a short delay") {
  ChatModel model = lobby_as_alice();
  CHECK_FALSE(model.read_receipt_due(kStart));
  model.apply(sent("5", "2", "bob", "one"), 0, kStart);
  model.apply(sent("6", "2", "bob", "two"), 0, kStart);
  CHECK_FALSE(model.read_receipt_due(kStart));
  CHECK(model.next_deadline(kStart) == kStart + chat::kReadDelay);
  CHECK(model.read_receipt_due(kStart + chat::kReadDelay) == std::string("6"));
  CHECK_FALSE(model.read_receipt_due(kStart + 10s));  // once

  model.begin_send("mine", 0);  // our own messages need no receipt from us
  CHECK_FALSE(model.read_receipt_due(kStart + 11s));

  model.apply(sent("7", "3", "carol", "three"), 0, kStart);
  model.scroll_by(5);  // not on screen while scrolled up
  CHECK_FALSE(model.read_receipt_due(kStart + 20s));
  CHECK_FALSE(model.read_receipt_due(kStart + 30s));
  model.scroll_to_bottom();
  CHECK_FALSE(model.read_receipt_due(kStart + 30s));
  CHECK(model.read_receipt_due(kStart + 31s) == std::string("7"));
}

TEST_CASE("status: connected, joining, and the reconnect countdown") {
  using pusher::ConnectionState;
  ChatModel model = lobby_as_alice();
  CHECK(model.status_text(kStart) == "starting");
  model.set_state(ConnectionState::connecting, kStart);
  CHECK(model.status_text(kStart) == "connecting...");
  model.set_state(ConnectionState::connected, kStart);
  CHECK(model.status_text(kStart) == "joining #lobby...");
  model.set_joined(true);
  CHECK(model.status_text(kStart) == "connected");
  CHECK_FALSE(model.status_alert());

  model.set_joined(false);
  model.set_join_failed();
  CHECK(model.status_text(kStart) == "could not join #lobby");
  CHECK(model.status_alert());
  model.set_joined(true);

  model.set_members({{"1", "alice"}, {"2", "bob"}});
  model.set_state(ConnectionState::connecting, kStart);
  CHECK(model.members().empty());  // forgotten until here() tells them again
  model.reconnect_in(3000ms, kStart);
  CHECK(model.status_text(kStart) == "reconnecting in 3s");
  CHECK(model.next_deadline(kStart) == kStart + 1s);
  CHECK(model.status_text(kStart + 1s) == "reconnecting in 2s");
  CHECK(model.status_text(kStart + 1500ms) == "reconnecting in 2s");
  CHECK(model.next_deadline(kStart + 1500ms) == kStart + 2s);
  CHECK(model.status_text(kStart + 2500ms) == "reconnecting in 1s");
  CHECK(model.status_text(kStart + 3s) == "connecting...");
  CHECK_FALSE(model.next_deadline(kStart + 3s));
  CHECK(model.status_alert());

  model.set_state(ConnectionState::unavailable, kStart + 3s);
  model.reconnect_in(2000ms, kStart + 3s);
  CHECK(model.status_text(kStart + 3s) == "offline, reconnecting in 2s");
  model.set_state(ConnectionState::connected, kStart + 5s);
  CHECK(model.status_text(kStart + 5s) == "joining #lobby...");
  model.set_state(ConnectionState::failed, kStart + 5s);
  CHECK(model.status_text(kStart + 5s) == "failed: gave up reconnecting");
}

TEST_CASE("enter_room starts over but keeps who we are and the connection") {
  ChatModel model = lobby_as_alice();
  model.set_state(pusher::ConnectionState::connected, kStart);
  model.set_socket_id("1.2");
  model.apply(sent("5", "2", "bob", "one"), 0, kStart);
  model.set_members({{"1", "alice"}});
  model.set_joined(true);
  const auto old_send = model.begin_send("in flight", 0);
  model.enter_room("dev");
  CHECK(model.room() == "dev");
  CHECK(model.entries().empty());
  CHECK(model.members().empty());
  CHECK_FALSE(model.joined());
  CHECK(model.me().name == "alice");
  CHECK(model.socket_id() == "1.2");
  CHECK(model.state() == pusher::ConnectionState::connected);
  model.add_message(ChatMessage{"5", {"2", "bob"}, "same id, new room"});
  CHECK(model.entries().size() == 1);
  model.send_succeeded(old_send, ChatMessage{"9", {}, "late"});  // answer for the old room
  CHECK(model.entries().size() == 1);
}

TEST_CASE("errors are not repeated back to back; text is made safe") {
  ChatModel model = lobby_as_alice();
  model.error("auth_failed: 403");
  model.error("auth_failed: 403");
  CHECK(model.entries().size() == 1);
  model.info("x");
  model.error("auth_failed: 403");
  CHECK(model.entries().size() == 3);
  model.apply(sent("1", "2", "bob\x1b[31m", "evil\x1b]0;title\x07"), 0, kStart);
  CHECK(last_message(model).text.find('\x1b') == std::string::npos);
  CHECK(last_message(model).sender.name.find('\x1b') == std::string::npos);
}

TEST_CASE("the list keeps the newest kMaxEntries") {
  ChatModel model = lobby_as_alice();
  for (std::size_t i = 0; i < chat::kMaxEntries + 10; ++i) model.info(std::to_string(i));
  CHECK(model.entries().size() == chat::kMaxEntries);
  CHECK(model.entries().front().text == "10");
}

TEST_CASE("numeric_id") {
  CHECK(chat::numeric_id("42") == 42u);
  CHECK_FALSE(chat::numeric_id(""));
  CHECK_FALSE(chat::numeric_id("4a"));
  CHECK_FALSE(chat::numeric_id("99999999999999999999"));
}
