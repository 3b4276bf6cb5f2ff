#pragma once

// The curses layer: paints Frames and turns keys into KeyPresses. Nothing else in the chat
// knows about curses.

#include <string>
#include <vector>

#include "input_line.hpp"
#include "layout.hpp"

namespace chat {

enum class KeyKind {
  text,  ///< KeyPress::text holds what was typed (or pasted)
  edit,  ///< KeyPress::edit
  enter,
  up,  ///< recall the previous line
  down,
  page_up,
  page_down,
  interrupt,  ///< Ctrl-C
  eof,        ///< Ctrl-D
  redraw,     ///< Ctrl-L
  resize,
};

struct KeyPress {
  KeyKind kind = KeyKind::text;
  EditKey edit = EditKey::left;
  std::string text;
};

/// The terminal in curses mode for its lifetime (raw: Ctrl-C arrives as a key).
///
/// Thread safety: the UI thread only.
class Terminal {
 public:
  /// Throws std::runtime_error when there is no terminal to drive.
  Terminal();
  /// Restores the terminal.
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  int width() const;
  int height() const;
  /// Paints `frame` (curses sends only what changed).
  void paint(const Frame& frame);
  /// Repaints everything on the next paint (Ctrl-L).
  void invalidate();
  /// Every key waiting, without blocking. Consecutive characters come as one text press.
  std::vector<KeyPress> read_keys();
};

}  // namespace chat
