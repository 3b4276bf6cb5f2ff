#include "time_text.hpp"

#include <cstdio>
#include <string>

namespace chat {
namespace {

/// Reads exactly `digits` decimal digits at `pos`.
bool number(std::string_view text, std::size_t& pos, int digits, int& out) {
  if (pos + static_cast<std::size_t>(digits) > text.size()) return false;
  out = 0;
  for (int i = 0; i < digits; ++i, ++pos) {
    const char c = text[pos];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm): no timegm() needed.
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097 + doe - 719468;
}

std::optional<std::time_t> parse_epoch(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  long long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (text.size() >= 13) value /= 1000;  // milliseconds
  return static_cast<std::time_t>(value);
}

/// Parses the zone suffix into seconds east of UTC.
bool parse_zone(std::string_view text, std::size_t pos, int& offset) {
  offset = 0;
  if (pos == text.size() || (text[pos] == 'Z' && pos + 1 == text.size())) return true;
  if (text[pos] != '+' && text[pos] != '-') return false;
  const int sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = 0;
  int minutes = 0;
  if (!number(text, pos, 2, hours)) return false;
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (pos < text.size() && !number(text, pos, 2, minutes)) return false;
  if (pos != text.size() || hours > 23 || minutes > 59) return false;
  offset = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

std::optional<std::time_t> parse_time(std::string_view text) {
  if (auto epoch = parse_epoch(text)) return epoch;
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(text, pos, 4, year) || !expect(text, pos, '-') || !number(text, pos, 2, month) ||
      !expect(text, pos, '-') || !number(text, pos, 2, day))
    return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return std::nullopt;
  ++pos;
  if (!number(text, pos, 2, hour) || !expect(text, pos, ':') || !number(text, pos, 2, minute))
    return std::nullopt;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!number(text, pos, 2, second)) return std::nullopt;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
  }
  int offset = 0;
  if (!parse_zone(text, pos, offset)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  const long long seconds = days_from_civil(year, month, day) * 86400 +
                            static_cast<long long>(hour * 3600 + minute * 60 + second - offset);
  return static_cast<std::time_t>(seconds);
}

std::string format_clock(std::time_t time) {
  if (time == 0) return "--:--";
  std::tm local{};
  if (localtime_r(&time, &local) == nullptr) return "--:--";
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", local.tm_hour % 24, local.tm_min % 60);
  return buffer;
}

}  // namespace chat
