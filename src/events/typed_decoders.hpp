#pragma once

#include <pusher/app_events.hpp>
#include <pusher/event.hpp>

namespace pusher::detail::events {

// Each decoder parses the event's payload once and fills every field but `channel`; false
// means the payload is not that event (the caller then reports Unknown). The payload shapes
// accepted are those Laravel apps commonly broadcast (see app_events.hpp).

/// Needs an object with a text; fields flat or nested under "message".
bool decode_message_sent(const Event& event, MessageSent& out);

/// Needs a user id or name: from the payload, else the event's user_id (an empty payload
/// will do then).
bool decode_user_typing(const Event& event, UserTyping& out);

/// Needs an object with a reader id and at least one message id.
bool decode_messages_read(const Event& event, MessagesRead& out);

}  // namespace pusher::detail::events
