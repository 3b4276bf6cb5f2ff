#pragma once

#include <pusher/app_events.hpp>
#include <pusher/event.hpp>

#include <string>

namespace pusher::detail::events {

// Each decoder parses the event's payload once and fills every field but `channel`; false
// means the payload is not that event (the caller then reports Unknown), and `reason` then
// says why, for Unknown::reason. The payload shapes accepted are those Laravel apps commonly
// broadcast (see app_events.hpp).

/// Needs an object with a text; fields flat or nested under "message".
bool decode_message_sent(const Event& event, MessageSent& out, std::string& reason);

/// Needs a user id or name: from the payload, else the event's user_id (an empty payload
/// will do then).
bool decode_user_typing(const Event& event, UserTyping& out, std::string& reason);

/// Needs an object with a reader id or name, and a message id or a conversation.
bool decode_messages_read(const Event& event, MessagesRead& out, std::string& reason);

}  // namespace pusher::detail::events
