#include "input_line.hpp"

#include <doctest/doctest.h>

#include "styled_text.hpp"

#include "test_locale.hpp"

using chat::EditKey;
using chat::InputLine;

TEST_CASE("typing, moving and deleting ASCII") {
  InputLine line;
  line.insert("helo");
  line.apply(EditKey::left);
  line.insert("l");
  CHECK(line.text() == "hello");
  CHECK(line.cursor() == 4);
  line.apply(EditKey::end);
  CHECK(line.apply(EditKey::backspace));
  CHECK(line.text() == "hell");
  line.apply(EditKey::home);
  CHECK_FALSE(line.apply(EditKey::backspace));  // nothing before the cursor
  CHECK(line.apply(EditKey::erase_forward));
  CHECK(line.text() == "ell");
}

TEST_CASE("backspace and arrows step over whole multi-byte characters") {
  InputLine line;
  line.insert("añ中😀");
  CHECK(line.cursor() == line.text().size());
  CHECK(line.cursor_column() == 1 + 1 + 2 + 2);
  line.apply(EditKey::backspace);
  CHECK(line.text() == "añ中");
  line.apply(EditKey::left);
  CHECK(line.cursor() == 3);  // before 中, after "añ" (1 + 2 bytes)
  line.apply(EditKey::left);
  CHECK(line.cursor() == 1);
  line.insert("é");
  CHECK(line.text() == "aéñ中");
  line.apply(EditKey::right);
  line.apply(EditKey::backspace);
  CHECK(line.text() == "aé中");
}

TEST_CASE("a combining mark goes with its base character") {
  InputLine line;
  line.insert("e\xCC\x81x");  // e + combining acute, x
  line.apply(EditKey::left);
  line.apply(EditKey::left);
  CHECK(line.cursor() == 0);
  line.apply(EditKey::right);
  CHECK(line.cursor() == 3);
  line.apply(EditKey::backspace);
  CHECK(line.text() == "x");
}

TEST_CASE("kill keys") {
  InputLine line;
  line.insert("hello big world");
  line.apply(EditKey::kill_word);
  CHECK(line.text() == "hello big ");
  line.apply(EditKey::kill_word);
  CHECK(line.text() == "hello ");
  line.apply(EditKey::home);
  line.apply(EditKey::right);
  line.apply(EditKey::kill_to_end);
  CHECK(line.text() == "h");
  line.apply(EditKey::end);
  line.apply(EditKey::kill_to_start);
  CHECK(line.empty());
}

TEST_CASE("control characters never enter the line") {
  InputLine line;
  line.insert("a\x1b[31mb\n");
  CHECK(line.text().find('\x1b') == std::string::npos);
  CHECK(line.text().find('\n') == std::string::npos);
}

TEST_CASE("take empties the line") {
  InputLine line;
  line.insert("hi");
  CHECK(line.take() == "hi");
  CHECK(line.empty());
  CHECK(line.cursor() == 0);
}

TEST_CASE("the view scrolls to keep the cursor visible") {
  InputLine line;
  line.insert("0123456789abcdefghij");
  const chat::InputView view = line.view(8);
  CHECK(chat::text_width(view.text) <= 8);
  CHECK(view.cursor_col >= 0);
  CHECK(view.cursor_col < 8);
  line.apply(EditKey::home);
  CHECK(line.view(8).text == "01234567");
  CHECK(line.view(8).cursor_col == 0);
  CHECK(line.view(0).text.empty());
}

TEST_CASE("the view never splits a wide character") {
  InputLine line;
  line.insert("中文中文中文中文");  // 16 cells
  for (int width = 1; width < 20; ++width) {
    CAPTURE(width);
    const chat::InputView view = line.view(width);
    CHECK(chat::text_width(view.text) <= width);
    CHECK(view.cursor_col < width);
  }
}
