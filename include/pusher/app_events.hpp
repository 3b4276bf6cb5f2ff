#pragma once

/// @file
/// Typed application events: what a chat needs, decoded from Laravel-style broadcasts and
/// Echo whispers. Anything else, or anything that fails to decode, is `Unknown`.

#include <pusher/event.hpp>
#include <pusher/export.hpp>

#include <string>
#include <variant>
#include <vector>

namespace pusher {

/// A chat message was posted (Laravel `App\Events\MessageSent` by default).
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct MessageSent {
  std::string channel;       ///< the channel it came on
  std::string id;            ///< message id (numbers become their decimal text)
  std::string conversation;  ///< conversation/room id if the payload has one, else ""
  std::string sender_id;     ///< the sender's user id (numbers become their decimal text)
  std::string sender_name;   ///< the sender's display name; "" if absent
  std::string text;          ///< the message text
  std::string sent_at;       ///< as sent (ISO 8601 from Laravel); "" if absent
};

/// Someone is typing (the Echo whisper `client-typing` by default).
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct UserTyping {
  std::string channel;  ///< the channel it came on
  std::string user_id;  ///< from the payload, else the event's user_id (presence channels)
  std::string name;     ///< the typist's display name; "" if absent
  bool typing = true;   ///< false when the payload says `"typing": false`
};

/// Someone read messages (Laravel `App\Events\MessagesRead` by default).
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct MessagesRead {
  std::string channel;                   ///< the channel it came on
  std::string reader_id;                 ///< who read (numbers become their decimal text)
  std::string reader_name;               ///< the reader's display name; "" if absent
  std::string last_read_id;              ///< the newest message read, if given
  std::vector<std::string> message_ids;  ///< every id given (includes last_read_id if given)
  std::string read_at;                   ///< as sent; "" if absent
};

/// Anything else: the raw event.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Unknown {
  std::string channel;  ///< the channel it came on
  std::string name;     ///< the event name as sent
  std::string data;     ///< the payload as received (see Event::data)
};

/// One decoded application event.
///
/// Thread safety: a plain value (a std::variant of the structs above).
using AppEvent = std::variant<MessageSent, UserTyping, MessagesRead, Unknown>;

/// Which event names map to which type. Names follow Echo's rules (protocol.md §2.1): a name
/// starting with '.' is taken as is (a `broadcastAs()` name; the wire name lacks the '.',
/// though one that keeps it matches too); any other is prefixed with `event_namespace` and
/// '.' is read as '\'. So with the defaults `MessageSent` matches `App\Events\MessageSent`.
/// `user_typing` is a whisper, matched as it is; without the "client-" prefix it gets one
/// (`typing` matches `client-typing`). An empty name matches nothing; when two names are the
/// same, MessageSent wins over MessagesRead, which wins over UserTyping.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct EventNames {
  std::string event_namespace = "App.Events";  ///< "" for none (Echo's `namespace: false`)
  std::string message_sent = "MessageSent";     ///< the name that decodes to MessageSent
  std::string messages_read = "MessagesRead";   ///< the name that decodes to MessagesRead
  std::string user_typing = "client-typing";    ///< the whisper that decodes to UserTyping
};

/// Echo's name formatting: `format_event_name("MessageSent", "App.Events")` is
/// `App\Events\MessageSent`; `.message.sent` is `message.sent`; `client-x` stays `client-x`.
/// Thread safety: a pure function, safe from any thread.
PUSHER_API std::string format_event_name(const std::string& name,
                                         const std::string& event_namespace);

/// Decodes one event: its name picks the type (see EventNames), then its data must fit.
///
/// `data` must be a JSON object, or a JSON string holding one (double-encoded whispers); an
/// empty data or JSON null only fits UserTyping, with the event's user_id. Laravel apps shape
/// payloads differently, so each field is looked up under several keys, first listed first:
/// - MessageSent: fields at the top level or inside a "message" object (those win);
///   text "text" | "body" | "content" | "message" (required); id "id"; sender object "user" |
///   "sender" | "author" with "id", "name", else "user_id" | "sender_id" and "user_name" |
///   "sender_name" | "name"; sent_at "sent_at" | "created_at" | "timestamp"; conversation
///   "conversation_id" | "room_id" | "room" | "chat_id" | "conversation" (or an object's "id").
/// - UserTyping: object "user" with "id", "name", else "user_id" | "id" and "name" |
///   "user_name"; "typing" (default true). Needs a user id or name.
/// - MessagesRead: object "reader" | "user" with "id", "name", else "reader_id" | "user_id"
///   and "reader_name" | "user_name"; "message_ids"; "last_read_id" | "last_read_message_id" |
///   "message_id"; "read_at" | "timestamp". Needs a reader id and a message id.
///
/// Ids are strings or integers (given as decimal text), times strings or numbers, names and
/// texts strings, objects objects; JSON null counts as absent. Any other type, invalid JSON,
/// nesting deeper than 64 levels, or an unrelated name gives Unknown with the raw event.
/// Never throws (not even std::bad_alloc: the result is then an Unknown, empty if need be).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API AppEvent decode_app_event(const Event& event, const EventNames& names = {});

/// "MessageSent", "UserTyping", "MessagesRead" or "Unknown" (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* type_name(const AppEvent& event) noexcept;

}  // namespace pusher
