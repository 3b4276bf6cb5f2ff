#include "styled_text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_locale.hpp"

using chat::Row;
using chat::Span;
using chat::Style;

namespace {

std::vector<std::string> texts(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const Row& row : rows) {
    std::string line;
    for (const Span& span : row) line += span.text;
    out.push_back(line);
  }
  return out;
}

Row plain_row(const std::string& text) {
  return {Span{text, Style::normal, 0}};
}

}  // namespace

TEST_CASE("decode_utf8 decodes and replaces what is invalid") {
  struct Case {
    std::string bytes;
    char32_t cp;
    std::size_t used;
  };
  const Case cases[] = {
      {"a", U'a', 1},
      {"é", U'é', 2},
      {"中", U'中', 3},
      {"😀", U'😀', 4},
      {"\xC0\xAF", 0xFFFD, 1},      // overlong '/'
      {"\xED\xA0\x80", 0xFFFD, 1},  // surrogate
      {"\xE4\xB8", 0xFFFD, 1},      // truncated
      {"\xFF", 0xFFFD, 1},
      {"\xF4\x90\x80\x80", 0xFFFD, 1},  // past U+10FFFF
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    std::size_t pos = 0;
    CHECK(chat::decode_utf8(c.bytes, pos) == c.cp);
    CHECK(pos == c.used);
  }
}

TEST_CASE("append_utf8 round-trips") {
  for (const char32_t cp : {U'a', U'é', U'中', U'😀'}) {
    std::string out;
    chat::append_utf8(out, cp);
    std::size_t pos = 0;
    CHECK(chat::decode_utf8(out, pos) == cp);
    CHECK(pos == out.size());
  }
}

TEST_CASE("sanitize keeps the terminal safe") {
  CHECK(chat::sanitize("plain", false) == "plain");
  CHECK(chat::sanitize("a\x1b[2Jb", false) == "a\xEF\xBF\xBD[2Jb");  // ESC cannot reach the tty
  CHECK(chat::sanitize("a\tb", false) == "a b");
  CHECK(chat::sanitize("a\r\nb", true) == "a\nb");
  CHECK(chat::sanitize("a\nb", false) == "a b");
  CHECK(chat::sanitize("\xC2\x9B", false) == "\xEF\xBF\xBD");  // C1 CSI
  CHECK(chat::sanitize("bad \xFF byte", false) == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("widths follow wcwidth: wide CJK and emoji, zero-width combining marks") {
  CHECK(chat::text_width("abc") == 3);
  CHECK(chat::text_width("中文") == 4);
  CHECK(chat::text_width("😀") == 2);
  CHECK(chat::text_width("e\xCC\x81") == 1);  // e + combining acute
  CHECK(chat::text_width("") == 0);
}

TEST_CASE("clusters keep combining marks with their character") {
  const std::string text = "ae\xCC\x81z";  // a, e+◌́, z
  CHECK(chat::next_cluster(text, 0) == 1);
  CHECK(chat::next_cluster(text, 1) == 4);
  CHECK(chat::prev_cluster(text, 4) == 1);
  CHECK(chat::prev_cluster(text, 5) == 4);
  CHECK(chat::prev_cluster(text, 0) == 0);
  CHECK(chat::next_cluster(text, text.size()) == text.size());
}

TEST_CASE("wrap breaks at spaces and indents continuation rows") {
  CHECK(texts(chat::wrap(plain_row("hello brave new world"), 11)) ==
        std::vector<std::string>{"hello brave", "new world"});
  CHECK(texts(chat::wrap(plain_row("hello brave new world"), 11, 2)) ==
        std::vector<std::string>{"hello brave", "  new world"});
  CHECK(texts(chat::wrap(plain_row("short"), 80)) == std::vector<std::string>{"short"});
  CHECK(texts(chat::wrap(plain_row(""), 10)) == std::vector<std::string>{""});
  CHECK(chat::wrap(plain_row("x"), 0).empty());
}

TEST_CASE("wrap breaks words longer than a row, and honours newlines") {
  CHECK(texts(chat::wrap(plain_row("abcdefghij"), 4)) ==
        std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(texts(chat::wrap(plain_row("one\ntwo"), 10)) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("wrap counts wide characters as two cells") {
  // 中文字符 is 8 cells: at width 5 each row holds two of them (4 cells), never 2.5.
  const std::vector<Row> rows = chat::wrap(plain_row("中文字符"), 5);
  CHECK(texts(rows) == std::vector<std::string>{"中文", "字符"});
  for (const Row& row : rows) CHECK(chat::row_width(row) <= 5);

  const std::vector<Row> mixed = chat::wrap(plain_row("hi 😀😀 ok 中文"), 6);
  for (const Row& row : mixed) CHECK(chat::row_width(row) <= 6);
  CHECK(texts(mixed) == std::vector<std::string>{"hi 😀", "😀 ok", "中文"});
}

TEST_CASE("CJK text without spaces breaks between ideographs") {
  const std::vector<Row> rows = chat::wrap(plain_row("你好世界你好"), 9, 2);
  CHECK(texts(rows) == std::vector<std::string>{"你好世界", "  你好"});
}

TEST_CASE("a wide character in a one-column row shows as '?'") {
  const std::vector<Row> rows = chat::wrap(plain_row("中a"), 1);
  CHECK(texts(rows) == std::vector<std::string>{"?", "a"});
}

TEST_CASE("wrap keeps styles, merging neighbours of the same style") {
  const Row spans{Span{"10:42 ", Style::dim, 0}, Span{"bob:", Style::name, 3},
                  Span{" hi there", Style::normal, 0}};
  const std::vector<Row> rows = chat::wrap(spans, 80);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].size() == 3);
  CHECK(rows[0][1].style == Style::name);
  CHECK(rows[0][1].hue == 3);
}

TEST_CASE("truncate ends with an ellipsis, pad fills") {
  Row row = chat::truncate(plain_row("hello world"), 6);
  CHECK(texts({row})[0] == "hello…");
  CHECK(chat::row_width(row) == 6);
  CHECK(texts({chat::truncate(plain_row("中文中文"), 4)})[0] == "中…");
  CHECK(chat::truncate(plain_row("abc"), 0).empty());
  CHECK(texts({chat::truncate(plain_row("abc"), 3)})[0] == "abc");
  Row padded = plain_row("ab");
  chat::pad(padded, 5, Style::bar);
  CHECK(chat::row_width(padded) == 5);
}
