#include "layout.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "test_locale.hpp"

using chat::ChatMessage;
using chat::ChatModel;
using chat::Frame;
using chat::InputLine;
using chat::TimePoint;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::hours(1000)};

ChatModel busy_lobby() {
  ChatModel model;
  model.enter_room("lobby");
  model.set_me({"1", "alice"});
  model.set_state(pusher::ConnectionState::connected, kNow);
  model.set_socket_id("123.456");
  model.set_joined(true);
  model.set_members({{"1", "alice"}, {"2", "bob"}, {"3", "李雷"}});
  model.add_message(ChatMessage{"1", {"2", "bob"}, "hello everyone", 1714564800});
  model.add_message(ChatMessage{
      "2", {"3", "李雷"}, "你好，世界！这是一条很长的消息，需要换行显示才能看完。", 1714564860});
  const auto handle = model.begin_send("hi both", 1714564920);
  model.send_succeeded(handle, ChatMessage{"3", {"1", "alice"}, "hi both", 1714564920});
  pusher::MessagesRead read;
  read.reader_id = "2";
  read.last_read_id = "3";
  model.apply_read(read);
  pusher::UserTyping typing;
  typing.user_id = "2";
  typing.name = "bob";
  model.typing(typing, kNow);
  return model;
}

std::string screen(const Frame& frame) {
  std::string out;
  for (const auto& row : frame.rows) out += chat::plain(row) + "\n";
  return out;
}

void check_fits(const Frame& frame, int width, int height) {
  REQUIRE(frame.rows.size() == static_cast<std::size_t>(height));
  for (const auto& row : frame.rows) {
    CAPTURE(chat::plain(row));
    CHECK(chat::row_width(row) <= width);
  }
  if (frame.cursor_row >= 0) {
    CHECK(frame.cursor_row < height);
    CHECK(frame.cursor_col < width);
  }
}

}  // namespace

TEST_CASE("regions at 80x24, and as the terminal shrinks") {
  const chat::Regions big = chat::regions(80, 24);
  CHECK(big.header == 0);
  CHECK(big.messages_top == 1);
  CHECK(big.messages_rows == 20);
  CHECK(big.typing == 21);
  CHECK(big.status == 22);
  CHECK(big.input == 23);
  CHECK(big.panel_width == 16);

  const chat::Regions tiny = chat::regions(10, 3);
  CHECK(tiny.header == -1);
  CHECK(tiny.typing == -1);
  CHECK(tiny.messages_rows == 1);
  CHECK(tiny.status == 1);
  CHECK(tiny.input == 2);
  CHECK(tiny.panel_width == 0);

  CHECK(chat::regions(40, 1).input == 0);
  CHECK(chat::regions(40, 1).status == -1);
  CHECK(chat::regions(0, 0).input == -1);
}

TEST_CASE("the 80x24 screen") {
  ChatModel model = busy_lobby();
  InputLine input;
  input.insert("typing héllo");
  const Frame frame = chat::layout(model, input, 80, 24, kNow);
  check_fits(frame, 80, 24);
  const std::string text = screen(frame);
  CAPTURE(text);

  CHECK(chat::plain(frame.rows[0]).find("#lobby") != std::string::npos);
  CHECK(chat::plain(frame.rows[0]).find("3 online") != std::string::npos);
  CHECK(frame.rows[0][0].style == chat::Style::bar);
  // The panel lists members with "(you)", and marks who is typing.
  CHECK(text.find("│ Online (3)") != std::string::npos);
  CHECK(text.find("alice (you)") != std::string::npos);
  CHECK(text.find("bob ✎") != std::string::npos);
  // Messages, with times and receipts; the long one wraps under the name.
  CHECK(text.find("12:00 bob: hello everyone") != std::string::npos);
  CHECK(text.find("12:02 alice: hi both ✓✓") != std::string::npos);
  CHECK(text.find("12:01 李雷: 你好") != std::string::npos);
  CHECK(chat::plain(frame.rows[21]) == " bob is typing...");
  CHECK(chat::plain(frame.rows[22]).find("connected  ·  socket 123.456") != std::string::npos);
  CHECK(chat::plain(frame.rows[23]) == "> typing héllo");
  CHECK(frame.cursor_row == 23);
  CHECK(frame.cursor_col == 2 + 12);
  // Newest at the bottom of the message area.
  CHECK(chat::plain(frame.rows[20]).find("hi both") != std::string::npos);
}

TEST_CASE("every size from 1x1 to 100x30 lays out without overflowing") {
  ChatModel model = busy_lobby();
  for (int i = 0; i < 40; ++i) model.info("line " + std::to_string(i) + " 中文 😀 text text");
  InputLine input;
  input.insert("中文 input that is long enough to scroll sideways 😀😀");
  for (int width = 1; width <= 100; width += 3) {
    for (int height = 1; height <= 30; height += 2) {
      CAPTURE(width);
      CAPTURE(height);
      check_fits(chat::layout(model, input, width, height, kNow), width, height);
    }
  }
}

TEST_CASE("a tiny 10x3 terminal keeps the essentials") {
  ChatModel model = busy_lobby();
  InputLine input;
  const Frame frame = chat::layout(model, input, 10, 3, kNow);
  check_fits(frame, 10, 3);
  CHECK(chat::plain(frame.rows[1]).find("conn") != std::string::npos);
  CHECK(chat::plain(frame.rows[2]).rfind("> ", 0) == 0);
  CHECK(frame.cursor_row == 2);
  check_fits(chat::layout(model, input, 0, 0, kNow), 0, 0);
}

TEST_CASE("narrow terminals show members in the header instead of a panel") {
  ChatModel model = busy_lobby();
  const Frame frame = chat::layout(model, InputLine(), 50, 12, kNow);
  check_fits(frame, 50, 12);
  CHECK(chat::plain(frame.rows[0]).find("online: alice bob") != std::string::npos);
  CHECK(screen(frame).find("│") == std::string::npos);
}

TEST_CASE("the status line counts down while reconnecting") {
  ChatModel model = busy_lobby();
  model.set_state(pusher::ConnectionState::connecting, kNow);
  model.reconnect_in(3000ms, kNow);
  const Frame frame = chat::layout(model, InputLine(), 80, 24, kNow + 10ms);
  CHECK(chat::plain(frame.rows[22]).rfind(" reconnecting in 3s", 0) == 0);
  CHECK(frame.rows[22][0].style == chat::Style::bar_alert);
  CHECK(screen(frame).find("(joining...)") != std::string::npos);
}

TEST_CASE("empty room hint, placeholder, errors") {
  ChatModel model;
  model.enter_room("dev");
  model.set_me({"1", "alice"});
  Frame frame = chat::layout(model, InputLine(), 80, 24, kNow);
  CHECK(chat::plain(frame.rows[20]).find("No messages in #dev yet") != std::string::npos);
  CHECK(chat::plain(frame.rows[23]).find("Message #dev") != std::string::npos);
  CHECK(frame.cursor_col == 2);
  model.error("auth_failed: 403 from the auth endpoint");
  frame = chat::layout(model, InputLine(), 80, 24, kNow);
  const auto& row = frame.rows[20];
  CHECK(chat::plain(row).rfind("! auth_failed", 0) == 0);
  CHECK(row[0].style == chat::Style::error);
}

TEST_CASE("scrolling shows older rows and says there is more below") {
  ChatModel model = busy_lobby();
  for (int i = 0; i < 60; ++i) model.info("line " + std::to_string(i));
  Frame frame = chat::layout(model, InputLine(), 80, 24, kNow);
  CHECK(chat::plain(frame.rows[20]).find("line 59") != std::string::npos);
  CHECK(frame.max_scroll > 20);
  model.scroll_by(10);
  frame = chat::layout(model, InputLine(), 80, 24, kNow);
  CHECK(chat::plain(frame.rows[19]).find("line 48") != std::string::npos);
  CHECK(chat::plain(frame.rows[20]).find("newer messages below") != std::string::npos);
  model.scroll_by(100000);
  frame = chat::layout(model, InputLine(), 80, 24, kNow);
  model.clamp_scroll(frame.max_scroll);
  CHECK(model.scroll() == frame.max_scroll);
}

TEST_CASE("entry rows: wrapped text is indented under the name, receipts follow") {
  ChatModel model = busy_lobby();
  const auto& entries = model.entries();
  const auto rows = chat::entry_rows(model, entries[1], 30);
  REQUIRE(rows.size() > 1);
  CHECK(chat::plain(rows[1]).rfind("      ", 0) == 0);
  for (const auto& row : rows) CHECK(chat::row_width(row) <= 30);
  const auto own = chat::entry_rows(model, entries[2], 80);
  CHECK(own[0].back().text == " ✓✓");
  CHECK(own[0].back().style == chat::Style::receipt_read);
}

TEST_CASE("name colours are stable per user") {
  CHECK(chat::hue_of("2") == chat::hue_of("2"));
  CHECK(chat::hue_of("2") < 6);
}
