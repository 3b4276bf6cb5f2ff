#include "command.hpp"

#include <doctest/doctest.h>

using chat::CommandKind;

TEST_CASE("parse_command: messages and commands") {
  struct Case {
    const char* line;
    CommandKind kind;
    const char* text;
  };
  const Case cases[] = {
      {"", CommandKind::none, ""},
      {"   ", CommandKind::none, ""},
      {"hello", CommandKind::message, "hello"},
      {"  hello there  ", CommandKind::message, "hello there"},
      {"//shrug", CommandKind::message, "/shrug"},
      {"/quit", CommandKind::quit, ""},
      {"/exit", CommandKind::quit, ""},
      {"/who", CommandKind::who, ""},
      {"/help", CommandKind::help, ""},
      {"/room general", CommandKind::room, "general"},
      {"/room   dev-ops  ", CommandKind::room, "dev-ops"},
      {"/join x", CommandKind::room, "x"},
      {"/room", CommandKind::invalid, "usage: /room NAME"},
      {"/dance", CommandKind::invalid, "unknown command /dance (try /help)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    const chat::Command command = chat::parse_command(c.line);
    CHECK(command.kind == c.kind);
    CHECK(command.text == c.text);
  }
}

TEST_CASE("room names are what a channel name allows") {
  CHECK(chat::valid_room_name("lobby"));
  CHECK(chat::valid_room_name("a_b-c=d@e,f.g;h"));
  CHECK_FALSE(chat::valid_room_name(""));
  CHECK_FALSE(chat::valid_room_name("two words"));
  CHECK_FALSE(chat::valid_room_name("caf\xC3\xA9"));
  CHECK_FALSE(chat::valid_room_name(std::string(101, 'a')));
  CHECK(chat::parse_command("/room two words").kind == CommandKind::invalid);
  CHECK(chat::room_channel("lobby") == "presence-chat.lobby");
}

TEST_CASE("help has lines") {
  int lines = 0;
  for (const char* const* line = chat::help_lines(); *line != nullptr; ++line) ++lines;
  CHECK(lines > 3);
}
