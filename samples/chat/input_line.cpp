#include "input_line.hpp"

#include <utility>

#include "styled_text.hpp"

namespace chat {

void InputLine::insert(std::string_view text) {
  const std::string clean = sanitize(text, false);
  text_.insert(cursor_, clean);
  cursor_ += clean.size();
  // Inserted before a combining mark, the cursor would sit inside a cluster: move it to the
  // cluster's end, as if the mark had been typed too.
  std::size_t boundary = 0;
  while (boundary < cursor_) boundary = next_cluster(text_, boundary);
  cursor_ = boundary;
}

bool InputLine::apply(EditKey key) {
  const std::size_t before = text_.size();
  switch (key) {
    case EditKey::backspace: {
      const std::size_t start = prev_cluster(text_, cursor_);
      text_.erase(start, cursor_ - start);
      cursor_ = start;
      break;
    }
    case EditKey::erase_forward:
      text_.erase(cursor_, next_cluster(text_, cursor_) - cursor_);
      break;
    case EditKey::left:
      cursor_ = prev_cluster(text_, cursor_);
      break;
    case EditKey::right:
      cursor_ = next_cluster(text_, cursor_);
      break;
    case EditKey::home:
      cursor_ = 0;
      break;
    case EditKey::end:
      cursor_ = text_.size();
      break;
    case EditKey::kill_to_start:
      text_.erase(0, cursor_);
      cursor_ = 0;
      break;
    case EditKey::kill_to_end:
      text_.erase(cursor_);
      break;
    case EditKey::kill_word: {
      std::size_t start = cursor_;
      while (start > 0 && text_[start - 1] == ' ') --start;
      while (start > 0 && text_[start - 1] != ' ') start = prev_cluster(text_, start);
      text_.erase(start, cursor_ - start);
      cursor_ = start;
      break;
    }
  }
  return text_.size() != before;
}

std::string InputLine::take() {
  cursor_ = 0;
  return std::exchange(text_, {});
}

void InputLine::set(const std::string& text) {
  text_ = sanitize(text, false);
  cursor_ = text_.size();
}

int InputLine::cursor_column() const {
  return text_width(std::string_view(text_).substr(0, cursor_));
}

InputView InputLine::view(int width) const {
  InputView view;
  if (width <= 0) return view;
  // Scroll in steps of most of a row, so the text does not slide on every key.
  const int cursor = cursor_column();
  const int step = width > 4 ? width * 3 / 4 : 1;
  const int first = cursor < width ? 0 : ((cursor - width) / step + 1) * step;
  int col = 0;
  const std::string_view text = text_;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = next_cluster(text, pos);
    const int cells = text_width(text.substr(pos, end - pos));
    if (col >= first && col + cells <= first + width) {
      view.text.append(text.substr(pos, end - pos));
    } else if (col < first && col + cells > first) {
      view.text.append(static_cast<std::size_t>(col + cells - first), ' ');  // half a wide char
    }
    col += cells;
    pos = end;
  }
  view.cursor_col = cursor - first;
  return view;
}

}  // namespace chat
