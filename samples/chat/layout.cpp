#include "layout.hpp"

#include <algorithm>

#include "time_text.hpp"

namespace chat {
namespace {

constexpr int kPanelMinWidth = 64;  // terminal columns from which the members panel shows
constexpr int kNameColours = 6;

Row bar_row(const std::string& left, const std::string& right, int width, Style style) {
  Row row{Span{left, style, 0}};
  const int room_for_right = width - text_width(left) - 1;
  if (!right.empty() && text_width(right) <= room_for_right) {
    pad(row, width - text_width(right), style);
    row.push_back(Span{right, style, 0});
  }
  row = truncate(row, width);
  pad(row, width, style);
  return row;
}

Row header_row(const ChatModel& model, const Regions& r, int width) {
  std::string left = " #" + model.room() + "  ·  " + model.me().name;
  const std::size_t online = model.members().size();
  if (model.joined()) left += "  ·  " + std::to_string(online) + " online";
  if (model.joined() && r.panel_width == 0 && online > 0) {
    left += ":";
    for (const User& member : model.members()) left += " " + member.name;
  }
  return bar_row(left, "pusher-chat ", width, Style::bar);
}

Row status_row(const ChatModel& model, const Regions& r, int width, TimePoint now) {
  std::string left = " " + model.status_text(now);
  if (!model.socket_id().empty() && width >= 60) left += "  ·  socket " + model.socket_id();
  std::string right = "/help ";
  if (r.header < 0) right = "#" + model.room() + " ";
  if (model.scroll() > 0) right = "scrolled up, PgDn to return  " + right;
  return bar_row(left, right, width, model.status_alert() ? Style::bar_alert : Style::bar);
}

Row input_row(const InputLine& input, const ChatModel& model, int width, int& cursor_col) {
  Row row;
  const int prompt = width >= 4 ? 2 : 0;
  if (prompt > 0) row.push_back(Span{"> ", Style::prompt, 0});
  const int room = width - prompt;
  if (input.empty()) {
    Row hint{Span{"Message #" + model.room() + "  (/help for commands)", Style::placeholder, 0}};
    for (Span& span : truncate(hint, room)) row.push_back(std::move(span));
    cursor_col = prompt;
  } else {
    const InputView view = input.view(room);
    row.push_back(Span{view.text, Style::normal, 0});
    cursor_col = prompt + view.cursor_col;
  }
  cursor_col = std::max(0, std::min(cursor_col, width - 1));
  return truncate(row, width);
}

std::vector<Row> panel_rows(const ChatModel& model, int width, int rows, TimePoint now) {
  std::vector<Row> out;
  const auto add = [&](const Row& row) { out.push_back(truncate(row, width)); };
  if (!model.joined()) {
    add({Span{" Online", Style::panel_title, 0}});
    add({Span{" (joining...)", Style::dim, 0}});
    return out;
  }
  const std::vector<User>& members = model.members();
  add({Span{" Online (" + std::to_string(members.size()) + ")", Style::panel_title, 0}});
  const int room = rows - 1;
  const int shown = static_cast<int>(members.size()) <= room ? room : room - 1;
  for (int i = 0; i < shown && i < static_cast<int>(members.size()); ++i) {
    const User& member = members[static_cast<std::size_t>(i)];
    const bool me = member.id == model.me().id;
    Row row{Span{" ", Style::normal, 0},
            Span{member.name, me ? Style::own_name : Style::name, hue_of(member.id)}};
    if (me) row.push_back(Span{" (you)", Style::dim, 0});
    if (model.is_typing(member.id, now)) row.push_back(Span{" ✎", Style::typing, 0});
    add(row);
  }
  if (shown < static_cast<int>(members.size()) && room > 0)
    add({Span{" +" + std::to_string(members.size() - static_cast<std::size_t>(shown)) + " more",
              Style::dim, 0}});
  return out;
}

/// The visible message rows, bottom-aligned, `scroll` rows up from the newest.
std::vector<Row> message_rows(const ChatModel& model, int width, int rows, int& max_scroll) {
  std::vector<Row> newest_first;
  const int scroll = std::max(0, model.scroll());
  const std::size_t wanted = static_cast<std::size_t>(rows) * 2 + static_cast<std::size_t>(scroll);
  const auto& entries = model.entries();
  auto it = entries.rbegin();
  for (; it != entries.rend() && newest_first.size() < wanted; ++it) {
    std::vector<Row> lines = entry_rows(model, *it, width);
    newest_first.insert(newest_first.end(), lines.rbegin(), lines.rend());
  }
  const int total = static_cast<int>(newest_first.size());
  // Past what is laid out, there is more to scroll to only if entries remain.
  max_scroll = it == entries.rend() ? std::max(0, total - rows) : total;
  const int offset = std::min(scroll, max_scroll);

  std::vector<Row> visible(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows && offset + i < total; ++i) {
    const int to = rows - 1 - i;
    const int from = offset + i;
    visible[static_cast<std::size_t>(to)] = newest_first[static_cast<std::size_t>(from)];
  }
  if (entries.empty() && rows > 0) {
    visible.back() = truncate(
        {Span{" No messages in #" + model.room() + " yet. Say hello!", Style::dim, 0}}, width);
  }
  if (offset > 0 && rows > 1) {
    visible.back() = truncate({Span{" ↓ newer messages below (PgDn)", Style::dim, 0}}, width);
  }
  return visible;
}

}  // namespace

Regions regions(int width, int height) {
  Regions r;
  if (width <= 0 || height <= 0) return r;
  r.input = height - 1;
  int bottom = height - 1;  // first row below the message area
  if (height >= 2) r.status = bottom = height - 2;
  int top = 0;
  if (height >= 6) {
    r.header = 0;
    top = 1;
  }
  if (height >= 5) r.typing = --bottom;
  r.messages_top = top;
  r.messages_rows = std::max(0, bottom - top);
  if (width >= kPanelMinWidth && r.messages_rows >= 4)
    r.panel_width = std::max(16, std::min(24, width / 5));
  return r;
}

std::uint8_t hue_of(const std::string& user_id) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (const char c : user_id) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return static_cast<std::uint8_t>(hash % kNameColours);
}

std::vector<Row> entry_rows(const ChatModel& model, const Entry& entry, int width) {
  if (entry.kind != EntryKind::message) {
    const bool error = entry.kind == EntryKind::error;
    const Style style = error ? Style::error : Style::info;
    return wrap({Span{error ? "! " : "· ", style, 0}, Span{entry.text, style, 0}}, width, 2);
  }
  const ChatMessage& message = entry.message;
  Row spans{Span{format_clock(message.time) + " ", Style::dim, 0},
            Span{message.sender.name + ":", message.own ? Style::own_name : Style::name,
                 hue_of(message.sender.id)},
            Span{" " + message.text, Style::normal, 0}};
  switch (model.receipt(message)) {
    case Receipt::sending:
      spans.push_back(Span{" …", Style::dim, 0});
      break;
    case Receipt::sent:
      spans.push_back(Span{" ✓", Style::dim, 0});
      break;
    case Receipt::read:
      spans.push_back(Span{" ✓✓", Style::receipt_read, 0});
      break;
    case Receipt::failed:
      spans.push_back(Span{" ✗ not sent", Style::error, 0});
      break;
    case Receipt::none:
      break;
  }
  return wrap(spans, width, width >= 24 ? 6 : 0);
}

Frame layout(const ChatModel& model, const InputLine& input, int width, int height, TimePoint now) {
  Frame frame;
  frame.width = std::max(0, width);
  frame.height = std::max(0, height);
  frame.rows.resize(static_cast<std::size_t>(frame.height));
  const Regions r = regions(width, height);
  if (r.input < 0) return frame;
  auto row = [&](int index) -> Row& { return frame.rows[static_cast<std::size_t>(index)]; };

  if (r.header >= 0) row(r.header) = header_row(model, r, width);
  if (r.messages_rows > 0) {
    const int message_width = r.panel_width > 0 ? width - r.panel_width - 1 : width;
    std::vector<Row> messages =
        message_rows(model, message_width, r.messages_rows, frame.max_scroll);
    std::vector<Row> panel;
    if (r.panel_width > 0) panel = panel_rows(model, r.panel_width, r.messages_rows, now);
    for (int i = 0; i < r.messages_rows; ++i) {
      Row line = std::move(messages[static_cast<std::size_t>(i)]);
      if (r.panel_width > 0) {
        pad(line, message_width, Style::normal);
        line.push_back(Span{"│", Style::dim, 0});
        if (i < static_cast<int>(panel.size())) {
          for (Span& span : panel[static_cast<std::size_t>(i)]) line.push_back(std::move(span));
        }
      }
      row(r.messages_top + i) = std::move(line);
    }
  }
  if (r.typing >= 0) {
    const std::string typing = model.typing_text(now);
    if (!typing.empty()) row(r.typing) = truncate({Span{" " + typing, Style::typing, 0}}, width);
  }
  if (r.status >= 0) row(r.status) = status_row(model, r, width, now);
  row(r.input) = input_row(input, model, width, frame.cursor_col);
  frame.cursor_row = r.input;
  return frame;
}

std::string plain(const Row& row) {
  std::string text;
  for (const Span& span : row) text += span.text;
  return text;
}

}  // namespace chat
