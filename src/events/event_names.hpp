#pragma once

#include <pusher/app_events.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pusher::detail::events {

/// Names kept as they are by format_event_name: whispers and protocol events.
bool is_verbatim(std::string_view name);

/// Whether `event` equals format_event_name(name, event_namespace), without building it
/// (decoding runs per event). An empty `name` matches nothing.
bool matches_formatted(std::string_view event, std::string_view name,
                       std::string_view event_namespace);

/// Whether `event` is the whisper `name`: as configured, without a leading '.' (Echo's
/// `.client-x`), or with "client-" put in front when the configured name lacks it.
bool matches_whisper(std::string_view event, std::string_view name);

/// Whether `event` matches any of `names` (matches_formatted).
bool matches_any_formatted(std::string_view event, const std::vector<std::string>& names,
                           std::string_view event_namespace);

/// Whether `event` is any of the whispers `names` (matches_whisper).
bool matches_any_whisper(std::string_view event, const std::vector<std::string>& names);

/// The typed event an event name maps to.
enum class Kind { kNone, kMessageSent, kMessagesRead, kUserTyping };

/// Maps `event` to a Kind; when a name is in two lists the order is MessageSent,
/// MessagesRead, UserTyping.
Kind classify(std::string_view event, const EventNames& names);

}  // namespace pusher::detail::events
