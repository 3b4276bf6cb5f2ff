#include "terminal.hpp"

#include <stdexcept>

#include <curses.h>

#include "styled_text.hpp"

namespace chat {
namespace {

// Colour pairs.
constexpr short kPairError = 1;
constexpr short kPairAlert = 2;
constexpr short kPairRead = 3;
constexpr short kPairPrompt = 4;
constexpr short kPairNames = 10;  // 10..15: the name hues
constexpr short kNameColours[] = {COLOR_CYAN,    COLOR_GREEN, COLOR_YELLOW,
                                  COLOR_MAGENTA, COLOR_BLUE,  COLOR_RED};

bool g_colours = false;

attr_t colour(short pair) {
  return g_colours ? COLOR_PAIR(pair) : A_NORMAL;
}

attr_t attributes(const Span& span) {
  switch (span.style) {
    case Style::normal:
      return A_NORMAL;
    case Style::dim:
    case Style::info:
    case Style::placeholder:
      return A_DIM;
    case Style::name:
      return A_BOLD | colour(static_cast<short>(kPairNames + span.hue % 6));
    case Style::own_name:
    case Style::panel_title:
      return A_BOLD;
    case Style::error:
      return A_BOLD | colour(kPairError);
    case Style::typing:
      return A_DIM | A_ITALIC;
    case Style::bar:
      return A_REVERSE;
    case Style::bar_alert:
      return g_colours ? colour(kPairAlert) : A_REVERSE | A_BOLD;
    case Style::receipt_read:
      return A_BOLD | colour(kPairRead);
    case Style::prompt:
      return A_BOLD | colour(kPairPrompt);
  }
  return A_NORMAL;
}

void init_colours() {
  if (!has_colors()) return;
  start_color();
  use_default_colors();  // -1: the terminal's own background
  init_pair(kPairError, COLOR_RED, -1);
  init_pair(kPairAlert, COLOR_BLACK, COLOR_YELLOW);
  init_pair(kPairRead, COLOR_CYAN, -1);
  init_pair(kPairPrompt, COLOR_GREEN, -1);
  for (short i = 0; i < 6; ++i) init_pair(static_cast<short>(kPairNames + i), kNameColours[i], -1);
  g_colours = true;
}

struct KeyBinding {
  wint_t code;
  KeyKind kind;
  EditKey edit;  // for KeyKind::edit
};

// Control characters, as curses delivers them in raw mode. Tab and Esc are ignored.
constexpr KeyBinding kControlKeys[] = {
    {3, KeyKind::interrupt, {}},                  // Ctrl-C
    {4, KeyKind::eof, {}},                        // Ctrl-D
    {12, KeyKind::redraw, {}},                    // Ctrl-L
    {10, KeyKind::enter, {}},                     // Ctrl-J
    {13, KeyKind::enter, {}},                     // Enter (nonl)
    {8, KeyKind::edit, EditKey::backspace},       // Ctrl-H
    {127, KeyKind::edit, EditKey::backspace},     // DEL, what most terminals send
    {1, KeyKind::edit, EditKey::home},            // Ctrl-A
    {5, KeyKind::edit, EditKey::end},             // Ctrl-E
    {2, KeyKind::edit, EditKey::left},            // Ctrl-B
    {6, KeyKind::edit, EditKey::right},           // Ctrl-F
    {11, KeyKind::edit, EditKey::kill_to_end},    // Ctrl-K
    {21, KeyKind::edit, EditKey::kill_to_start},  // Ctrl-U
    {23, KeyKind::edit, EditKey::kill_word},      // Ctrl-W
    {16, KeyKind::up, {}},                        // Ctrl-P
    {14, KeyKind::down, {}},                      // Ctrl-N
};

// curses' KEY_* codes (keypad mode).
constexpr KeyBinding kFunctionKeys[] = {
    {KEY_LEFT, KeyKind::edit, EditKey::left},
    {KEY_RIGHT, KeyKind::edit, EditKey::right},
    {KEY_HOME, KeyKind::edit, EditKey::home},
    {KEY_END, KeyKind::edit, EditKey::end},
    {KEY_BACKSPACE, KeyKind::edit, EditKey::backspace},
    {KEY_DC, KeyKind::edit, EditKey::erase_forward},
    {KEY_UP, KeyKind::up, {}},
    {KEY_DOWN, KeyKind::down, {}},
    {KEY_PPAGE, KeyKind::page_up, {}},
    {KEY_NPAGE, KeyKind::page_down, {}},
    {KEY_ENTER, KeyKind::enter, {}},
    {KEY_RESIZE, KeyKind::resize, {}},
};

template <std::size_t N>
bool lookup(const KeyBinding (&table)[N], wint_t code, KeyPress& key) {
  for (const KeyBinding& binding : table) {
    if (binding.code == code) {
      key.kind = binding.kind;
      key.edit = binding.edit;
      return true;
    }
  }
  return false;
}

}  // namespace

Terminal::Terminal() {
  if (initscr() == nullptr) throw std::runtime_error("cannot start curses");
  raw();  // Ctrl-C and Ctrl-D are keys: the chat quits cleanly on them
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);  // the loop waits in poll(2), never in getch
  set_escdelay(25);
  init_colours();
  curs_set(1);
}

Terminal::~Terminal() {
  endwin();
}

int Terminal::width() const {
  return getmaxx(stdscr);
}

int Terminal::height() const {
  return getmaxy(stdscr);
}

void Terminal::paint(const Frame& frame) {
  erase();
  for (int y = 0; y < frame.height && y < static_cast<int>(frame.rows.size()); ++y) {
    move(y, 0);
    for (const Span& span : frame.rows[static_cast<std::size_t>(y)]) {
      attrset(attributes(span));
      addstr(span.text.c_str());  // the bottom-right cell makes this return ERR: harmless
    }
  }
  attrset(A_NORMAL);
  if (frame.cursor_row >= 0) {
    curs_set(1);
    move(frame.cursor_row, frame.cursor_col);
  } else {
    curs_set(0);
  }
  refresh();
}

void Terminal::invalidate() {
  clearok(curscr, TRUE);
}

std::vector<KeyPress> Terminal::read_keys() {
  std::vector<KeyPress> keys;
  wint_t ch = 0;
  for (int result = get_wch(&ch); result != ERR; result = get_wch(&ch)) {
    KeyPress key;
    const bool known =
        result == KEY_CODE_YES ? lookup(kFunctionKeys, ch, key) : lookup(kControlKeys, ch, key);
    if (known) {
      keys.push_back(std::move(key));
    } else if (result == OK && ch >= 0x20 && ch != 0x7F) {
      if (keys.empty() || keys.back().kind != KeyKind::text) keys.push_back(KeyPress{});
      append_utf8(keys.back().text, static_cast<char32_t>(ch));
    }
  }
  return keys;
}

}  // namespace chat
