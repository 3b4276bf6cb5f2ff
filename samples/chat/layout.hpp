#pragma once

// The screen as rows of styled text, for a given size: header, messages (with the members
// panel at the side when there is room), typing line, status bar and input line. Pure; the
// curses layer paints what it returns.

#include <cstdint>
#include <string>
#include <vector>

#include "chat_model.hpp"
#include "input_line.hpp"
#include "styled_text.hpp"

namespace chat {

/// Where each part of the screen goes; -1 (or 0 rows, 0 width) for parts that do not fit.
struct Regions {
  int header = -1;
  int messages_top = 0;
  int messages_rows = 0;
  int typing = -1;
  int status = -1;
  int input = -1;
  int panel_width = 0;  ///< members panel at the right of the messages; 0 when too narrow
};

/// Decides the regions: the input line first, then the status bar, the messages, the typing
/// line and the header as height allows; the panel from 64 columns.
Regions regions(int width, int height);

/// A painted screen.
struct Frame {
  int width = 0;
  int height = 0;
  std::vector<Row> rows;  ///< exactly `height` rows, none wider than `width`
  int cursor_row = -1;    ///< -1: hide the cursor
  int cursor_col = 0;
  int max_scroll = 0;  ///< how far up the messages can scroll now
};

Frame layout(const ChatModel& model, const InputLine& input, int width, int height, TimePoint now);

/// The rows one message-list entry takes at `width`: "HH:MM name: text ✓" with wrapped
/// lines indented under the name.
std::vector<Row> entry_rows(const ChatModel& model, const Entry& entry, int width);

/// Which name colour a user gets (stable for an id).
std::uint8_t hue_of(const std::string& user_id);

/// The whole row as plain text (tests, and the screen dump).
std::string plain(const Row& row);

}  // namespace chat
