#pragma once

// Styled terminal text: UTF-8 decoding, display widths (wcwidth) and word wrapping. Pure: the
// curses layer only ever paints rows made here, each at most as wide as it was asked for.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

/// How a piece of text is painted; the curses layer maps each to colours and attributes.
enum class Style : std::uint8_t {
  normal,
  dim,
  name,  ///< a sender's name, coloured by Span::hue
  own_name,
  info,   ///< system lines: joins, /who, /help
  error,  ///< red system lines
  typing,
  bar,           ///< the header and status bars
  bar_alert,     ///< the status bar while not connected
  receipt_read,  ///< ✓✓
  panel_title,
  prompt,
  placeholder,
};

/// A run of text in one style. The text is UTF-8 without control characters.
struct Span {
  std::string text;
  Style style = Style::normal;
  std::uint8_t hue = 0;  ///< for Style::name: which of the name colours (0-5)
};

/// One screen row, left to right.
using Row = std::vector<Span>;

/// Decodes the code point at `pos` and advances `pos`. Invalid UTF-8 (overlong, surrogate,
/// truncated) decodes as U+FFFD and consumes one byte.
char32_t decode_utf8(std::string_view text, std::size_t& pos);
/// Appends `cp` as UTF-8 (U+FFFD for values that are not scalar values).
void append_utf8(std::string& out, char32_t cp);

/// Makes text from the network safe to paint: invalid UTF-8 and control characters (which
/// could drive the terminal) become U+FFFD, tabs become a space, "\r\n" becomes "\n", and
/// "\n" is kept only when `keep_newlines`.
std::string sanitize(std::string_view text, bool keep_newlines);

/// Terminal cells one code point takes: wcwidth(), 0 for combining marks, 2 for wide ones.
int cell_width(char32_t cp);
/// Cells a UTF-8 string takes.
int text_width(std::string_view text);
/// Cells a row takes.
int row_width(const Row& row);

/// Byte offset after the cluster at `pos`: one code point and the zero-width ones after it
/// (combining marks), so that the cursor never stops inside what shows as one character.
std::size_t next_cluster(std::string_view text, std::size_t pos);
/// Byte offset of the cluster before `pos`.
std::size_t prev_cluster(std::string_view text, std::size_t pos);

/// Word-wraps `spans` into rows at most `width` cells wide. Rows after the first start with
/// `indent` spaces (ignored when it leaves no room). A "\n" in the text starts a new row;
/// words wider than a row are broken; a character wider than the row shows as '?'.
std::vector<Row> wrap(const Row& spans, int width, int indent = 0);

/// Cuts `row` to at most `width` cells, ending with "…" when something was cut.
Row truncate(const Row& row, int width);

/// Pads `row` with spaces in `style` up to `width` cells.
void pad(Row& row, int width, Style style);

}  // namespace chat
