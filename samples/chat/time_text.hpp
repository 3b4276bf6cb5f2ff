#pragma once

// Message times: ISO 8601 from the backend (Laravel's `2024-05-01T10:42:07.000000Z`) to the
// local "HH:MM" the message list shows.

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

/// Seconds since the epoch of an ISO 8601 date-time (`YYYY-MM-DDTHH:MM[:SS[.frac]]` with `Z`,
/// `±HH:MM`, `±HHMM` or no zone, which is read as UTC; a space may stand for the `T`). Also
/// accepts plain epoch seconds or milliseconds. nullopt for anything else.
std::optional<std::time_t> parse_time(std::string_view text);

/// "HH:MM" in the local time zone; "--:--" for 0.
std::string format_clock(std::time_t time);

}  // namespace chat
