#pragma once

// What a line typed into the chat means: a message, or one of the slash commands.

#include <string>
#include <string_view>

namespace chat {

enum class CommandKind {
  none,     ///< nothing to do (a blank line)
  message,  ///< `text` is the message ("//x" sends "/x")
  quit,     ///< /quit (or /exit)
  who,      ///< /who: list the members
  room,     ///< /room NAME: `text` is the room
  help,     ///< /help
  invalid,  ///< `text` says what is wrong
};

struct Command {
  CommandKind kind = CommandKind::none;
  std::string text;
};

/// Parses one entered line. Leading and trailing blanks are not part of a message.
Command parse_command(std::string_view line);

/// True when `room` can follow `presence-chat.` in a channel name: 1-100 of the characters
/// Pusher allows in channel names (letters, digits, `_-=@,.;`).
bool valid_room_name(std::string_view room);

/// The presence channel of a room: `presence-chat.<room>`.
std::string room_channel(std::string_view room);

/// The lines /help prints.
const char* const* help_lines();

}  // namespace chat
