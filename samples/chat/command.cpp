#include "command.hpp"

namespace chat {
namespace {

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

constexpr const char* kHelp[] = {
    "Commands:",
    "  /room NAME   leave this room and join NAME",
    "  /who         list who is online",
    "  /help        this help",
    "  /quit        leave (also Ctrl-C, or Ctrl-D on an empty line)",
    "  //text       send a message that starts with '/'",
    "Keys: Left/Right, Home/End (Ctrl-A/E), Ctrl-U/K/W delete, Up/Down recall, PgUp/PgDn scroll",
    nullptr,
};

}  // namespace

Command parse_command(std::string_view line) {
  line = trim(line);
  if (line.empty()) return {};
  if (line.front() != '/') return {CommandKind::message, std::string(line)};
  if (line.size() > 1 && line[1] == '/') return {CommandKind::message, std::string(line.substr(1))};

  const std::size_t space = line.find_first_of(" \t");
  const std::string_view verb =
      line.substr(1, space == std::string_view::npos ? line.npos : space - 1);
  const std::string_view argument = space == std::string_view::npos ? "" : trim(line.substr(space));

  if (verb == "quit" || verb == "exit" || verb == "q") return {CommandKind::quit, {}};
  if (verb == "who") return {CommandKind::who, {}};
  if (verb == "help" || verb == "?") return {CommandKind::help, {}};
  if (verb == "room" || verb == "join") {
    if (argument.empty()) return {CommandKind::invalid, "usage: /room NAME"};
    if (!valid_room_name(argument)) {
      return {CommandKind::invalid, "a room name is 1-100 letters, digits or _-=@,.; (no spaces)"};
    }
    return {CommandKind::room, std::string(argument)};
  }
  return {CommandKind::invalid, "unknown command /" + std::string(verb) + " (try /help)"};
}

bool valid_room_name(std::string_view room) {
  if (room.empty() || room.size() > 100) return false;
  for (const char c : room) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("_-=@,.;").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string room_channel(std::string_view room) {
  return "presence-chat." + std::string(room);
}

const char* const* help_lines() {
  return kHelp;
}

}  // namespace chat
