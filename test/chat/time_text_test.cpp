#include "time_text.hpp"

#include <doctest/doctest.h>

#include "test_locale.hpp"

TEST_CASE("parse_time reads Laravel's timestamps and other ISO 8601 forms") {
  constexpr std::time_t kNoon = 1714564800;  // 2024-05-01T12:00:00Z
  CHECK(chat::parse_time("2024-05-01T12:00:00.000000Z") == kNoon);
  CHECK(chat::parse_time("2024-05-01T12:00:00Z") == kNoon);
  CHECK(chat::parse_time("2024-05-01T12:00Z") == kNoon);
  CHECK(chat::parse_time("2024-05-01 12:00:00") == kNoon);
  CHECK(chat::parse_time("2024-05-01T14:00:00+02:00") == kNoon);
  CHECK(chat::parse_time("2024-05-01T07:30:00-0430") == kNoon);
  CHECK(chat::parse_time("1714564800") == kNoon);
  CHECK(chat::parse_time("1714564800123") == kNoon);
  CHECK(chat::parse_time("1970-01-01T00:00:00Z") == 0);
}

TEST_CASE("parse_time refuses what it cannot read") {
  for (const char* text : {"", "yesterday", "2024-13-01T00:00:00Z", "2024-05-01", "2024-05-01T12",
                           "2024-05-01T12:00:00+2", "2024-05-01T12:00:00Zjunk"}) {
    CAPTURE(text);
    CHECK_FALSE(chat::parse_time(text).has_value());
  }
}

TEST_CASE("format_clock shows HH:MM in the local zone") {
  CHECK(chat::format_clock(1714564800 + 7 * 60) == "12:07");
  CHECK(chat::format_clock(0) == "--:--");
}
