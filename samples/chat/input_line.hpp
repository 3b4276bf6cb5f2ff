#pragma once

// The line being typed: UTF-8 text with a cursor that moves by what shows as one character.

#include <cstddef>
#include <string>
#include <string_view>

namespace chat {

/// Editing keys, independent of the terminal library.
enum class EditKey {
  backspace,      ///< delete the character before the cursor
  erase_forward,  ///< delete the character under the cursor (Delete)
  left,
  right,
  home,           ///< Home, Ctrl-A
  end,            ///< End, Ctrl-E
  kill_to_start,  ///< Ctrl-U
  kill_to_end,    ///< Ctrl-K
  kill_word,      ///< Ctrl-W: the word before the cursor
};

/// What the input row shows: a window of the line that fits, and where the cursor is in it.
struct InputView {
  std::string text;
  int cursor_col = 0;
};

/// The input line's text and cursor. The cursor is a byte offset that always sits on a
/// cluster boundary (a character and its combining marks move and delete together).
class InputLine {
 public:
  /// Inserts text at the cursor; control characters and invalid UTF-8 are made safe first.
  void insert(std::string_view text);
  /// Applies an editing key; returns whether the text changed.
  bool apply(EditKey key);
  /// Empties the line and returns what it held.
  std::string take();
  void set(const std::string& text);

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  std::size_t cursor() const { return cursor_; }
  /// The cursor's column when the whole line is laid out from column 0.
  int cursor_column() const;
  /// What fits in `width` cells, scrolled so that the cursor is visible.
  InputView view(int width) const;

 private:
  std::string text_;
  std::size_t cursor_ = 0;
};

}  // namespace chat
