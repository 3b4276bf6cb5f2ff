#include "styled_text.hpp"

#include <algorithm>
#include <cwchar>

namespace chat {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/// Appends to the last span when the style matches, else starts a new span.
void append(Row& row, std::string_view text, Style style, std::uint8_t hue) {
  if (!row.empty() && row.back().style == style && row.back().hue == hue) {
    row.back().text += text;
  } else {
    row.push_back(Span{std::string(text), style, hue});
  }
}

/// One cluster of the input: what the wrapper places as a unit.
struct Cell {
  std::string_view bytes;
  int width = 0;
  Style style = Style::normal;
  std::uint8_t hue = 0;
  bool space = false;
  bool newline = false;
};

std::vector<Cell> cells_of(const Row& spans) {
  std::vector<Cell> cells;
  for (const Span& span : spans) {
    const std::string_view text = span.text;
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t end = next_cluster(text, pos);
      Cell cell{text.substr(pos, end - pos), text_width(text.substr(pos, end - pos)), span.style,
                span.hue};
      cell.space = cell.bytes == " ";
      cell.newline = cell.bytes == "\n";
      if (cell.newline) cell.width = 0;
      cells.push_back(cell);
      pos = end;
    }
  }
  return cells;
}

/// Greedy word wrapping over cells.
class Wrapper {
 public:
  Wrapper(int width, int indent) : width_(width), indent_(indent < width ? indent : 0) {}

  void word(const std::vector<Cell>& cells, int width) {
    if (col_ + width > width_ && width <= width_ - indent_ && !fresh_) break_row();
    for (const Cell& cell : cells) place(cell);
  }

  void space(const Cell& cell) {
    if (fresh_ && continuation_) return;  // no leading blanks on a wrapped row
    if (col_ + cell.width > width_) {
      break_row();
      return;
    }
    put(cell.bytes, cell.width, cell.style, cell.hue);
  }

  void newline() { break_row(); }

  std::vector<Row> finish() {
    rows_.push_back(std::move(row_));
    return std::move(rows_);
  }

 private:
  void place(const Cell& cell) {
    if (col_ + cell.width > width_ && !fresh_) break_row();
    if (cell.width > width_ - col_) {
      put("?", 1, cell.style, cell.hue);  // wider than a whole row (a wide char at width 1)
    } else {
      put(cell.bytes, cell.width, cell.style, cell.hue);
    }
  }

  void put(std::string_view bytes, int width, Style style, std::uint8_t hue) {
    append(row_, bytes, style, hue);
    col_ += width;
    fresh_ = false;
  }

  void break_row() {
    // Trailing blanks are invisible but would count against the width: drop them.
    while (!row_.empty()) {
      std::string& text = row_.back().text;
      while (!text.empty() && text.back() == ' ') text.pop_back();
      if (!text.empty()) break;
      row_.pop_back();
    }
    rows_.push_back(std::move(row_));
    row_.clear();
    col_ = 0;
    if (indent_ > 0) {
      row_.push_back(Span{std::string(static_cast<std::size_t>(indent_), ' '), Style::normal, 0});
      col_ = indent_;
    }
    fresh_ = true;
    continuation_ = true;
  }

  int width_;
  int indent_;
  std::vector<Row> rows_;
  Row row_;
  int col_ = 0;
  bool fresh_ = true;
  bool continuation_ = false;
};

}  // namespace

char32_t decode_utf8(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  int length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    ++pos;
    return kReplacement;
  }
  if (pos + static_cast<std::size_t>(length) > text.size()) {
    ++pos;
    return kReplacement;
  }
  for (int i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + static_cast<std::size_t>(i));
    if ((next & 0xC0) != 0x80) {
      ++pos;
      return kReplacement;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kReplacement;
  }
  pos += static_cast<std::size_t>(length);
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string sanitize(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t cp = decode_utf8(text, pos);
    if (cp == '\r' && pos < text.size() && text[pos] == '\n') continue;  // "\r\n" -> "\n"
    if (cp == '\n' || cp == '\r') {
      out += keep_newlines ? '\n' : ' ';
    } else if (cp == '\t') {
      out += ' ';
    } else {
      append_utf8(out, is_control(cp) ? kReplacement : cp);
    }
  }
  return out;
}

int cell_width(char32_t cp) {
  if (is_control(cp)) return 0;  // sanitize() keeps them off the screen
  const int width = ::wcwidth(static_cast<wchar_t>(cp));
  // -1: unassigned, or a locale that is not UTF-8; one cell is what terminals usually do.
  return width < 0 ? 1 : width;
}

int text_width(std::string_view text) {
  int width = 0;
  for (std::size_t pos = 0; pos < text.size();) width += cell_width(decode_utf8(text, pos));
  return width;
}

int row_width(const Row& row) {
  int width = 0;
  for (const Span& span : row) width += text_width(span.text);
  return width;
}

std::size_t next_cluster(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return text.size();
  decode_utf8(text, pos);
  while (pos < text.size()) {
    std::size_t next = pos;
    const char32_t cp = decode_utf8(text, next);
    if (cp == '\n' || cell_width(cp) != 0) break;
    pos = next;
  }
  return pos;
}

std::size_t prev_cluster(std::string_view text, std::size_t pos) {
  pos = std::min(pos, text.size());
  while (pos > 0) {
    // Step back to the start of the previous code point.
    std::size_t start = pos - 1;
    while (start > 0 && pos - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
      --start;
    std::size_t probe = start;
    const char32_t cp = decode_utf8(text, probe);
    pos = start;
    if (cp == '\n' || cell_width(cp) != 0) break;  // a base character: the cluster starts here
  }
  return pos;
}

std::vector<Row> wrap(const Row& spans, int width, int indent) {
  if (width <= 0) return {};
  Wrapper wrapper(width, std::max(indent, 0));
  const std::vector<Cell> cells = cells_of(spans);
  std::vector<Cell> word;
  int word_width = 0;
  const auto flush = [&] {
    if (word.empty()) return;
    wrapper.word(word, word_width);
    word.clear();
    word_width = 0;
  };
  for (const Cell& cell : cells) {
    if (cell.newline) {
      flush();
      wrapper.newline();
    } else if (cell.space) {
      flush();
      wrapper.space(cell);
    } else if (cell.width > 1) {
      // Wide characters (CJK ideographs, emoji) may break anywhere, as in UAX #14.
      flush();
      word.push_back(cell);
      word_width = cell.width;
      flush();
    } else {
      word.push_back(cell);
      word_width += cell.width;
    }
  }
  flush();
  return wrapper.finish();
}

Row truncate(const Row& row, int width) {
  if (width <= 0) return {};
  if (row_width(row) <= width) return row;
  Row out;
  int col = 0;
  for (const Span& span : row) {
    const std::string_view text = span.text;
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t end = next_cluster(text, pos);
      const int cells = text_width(text.substr(pos, end - pos));
      if (col + cells > width - 1) {
        append(out, "…", span.style, span.hue);
        return out;
      }
      append(out, text.substr(pos, end - pos), span.style, span.hue);
      col += cells;
      pos = end;
    }
  }
  return out;
}

void pad(Row& row, int width, Style style) {
  const int missing = width - row_width(row);
  if (missing > 0) append(row, std::string(static_cast<std::size_t>(missing), ' '), style, 0);
}

}  // namespace chat
