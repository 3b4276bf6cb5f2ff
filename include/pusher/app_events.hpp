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
  std::string channel;       ///< the channel it came on
  std::string user_id;       ///< from the payload, else the event's user_id (presence channels)
  std::string name;          ///< the typist's display name; "" if absent
  bool typing = true;        ///< false when the payload says `"typing": false`
  std::string conversation;  ///< conversation/room id if the payload has one, else ""
};

/// Someone read messages (Laravel `App\Events\MessagesRead` by default): some messages, or a
/// whole conversation.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct MessagesRead {
  std::string channel;                   ///< the channel it came on
  std::string reader_id;                 ///< who read (numbers become their decimal text)
  std::string reader_name;               ///< the reader's display name; "" if absent
  std::string last_read_id;              ///< the newest message read, if given
  std::vector<std::string> message_ids;  ///< every id given (includes last_read_id if given);
                                         ///< empty when only a conversation is given
  std::string read_at;                   ///< as sent; "" if absent
  std::string conversation;              ///< conversation/room id if given, else ""
};

/// Anything else: the raw event.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct Unknown {
  std::string channel;  ///< the channel it came on
  std::string name;     ///< the event name as sent
  std::string data;     ///< the payload as received (see Event::data)
  /// "" when the name is not a typed one; when it is, why the data did not fit, e.g.
  /// `MessageSent: "user.id" is not a string or an integer`. For logs, not for parsing.
  std::string reason;
};

/// One decoded application event.
///
/// Thread safety: a plain value (a std::variant of the structs above).
using AppEvent = std::variant<MessageSent, UserTyping, MessagesRead, Unknown>;

/// Which event names map to which type. Each type takes a list of names (aliases: apps rename
/// events, and old clients keep sending the old name); an event matching any of them decodes
/// to that type. Each name follows Echo's rules (laravel-echo src/util/event-formatter.ts): a
/// name starting with '.' is taken as is (a `broadcastAs()` name; the wire name lacks the '.',
/// though one that keeps it matches too); any other is prefixed with `event_namespace` and '.'
/// is read as '\'. So with the defaults `MessageSent` matches `App\Events\MessageSent`.
/// `user_typing` names whispers, matched as they are; one without the "client-" prefix gets
/// it (`typing` matches `client-typing`). An empty name or list matches nothing; when a name
/// is in two lists, MessageSent wins over MessagesRead, which wins over UserTyping.
///
/// ```
/// names.message_sent = {"MessageSent", ".chat.message"};
/// ```
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct EventNames {
  std::string event_namespace = "App.Events";  ///< "" for none (Echo's `namespace: false`)
  /// The names that decode to MessageSent.
  std::vector<std::string> message_sent{"MessageSent"};
  /// The names that decode to MessagesRead.
  std::vector<std::string> messages_read{"MessagesRead"};
  /// The whispers that decode to UserTyping.
  std::vector<std::string> user_typing{"client-typing"};
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
/// payloads differently, so each field is looked up under several keys, first listed first.
/// Apps keyed by UUIDs send "uuid" for "id" and "x_uuid" for "x_id": each such twin comes
/// right after its id key, which wins when both are there. A person (sender, typist, reader)
/// is an object with "id" | "uuid" and "name", or a plain string that is the name
/// (`"user": "bob"`); the person's name wins over the flat name keys.
/// - MessageSent: fields at the top level or inside a "message" object (those win);
///   text "text" | "body" | "content" | "message" (required); id "id" | "uuid"; sender person
///   "user" | "sender" | "author", else id "user_id" | "user_uuid" | "sender_id" |
///   "sender_uuid" and name "user_name" | "sender_name" | "name"; sent_at "sent_at" |
///   "created_at" | "timestamp"; conversation "conversation_id" | "conversation_uuid" |
///   "room_id" | "room_uuid" | "room" | "chat_id" | "chat_uuid" | "conversation" (an object
///   there stands for its "id" | "uuid").
/// - UserTyping: person "user", else id "user_id" | "user_uuid" | "id" | "uuid" and name
///   "name" | "user_name"; "typing" (default true); conversation under MessageSent's keys.
///   Needs a user id or name.
/// - MessagesRead: person "reader" | "user", else id "reader_id" | "reader_uuid" | "user_id" |
///   "user_uuid" and name "reader_name" | "user_name"; ids "message_ids" | "message_uuids";
///   last read "last_read_id" | "last_read_uuid" | "last_read_message_id" |
///   "last_read_message_uuid" | "message_id" | "message_uuid"; read_at "read_at" |
///   "timestamp"; conversation under MessageSent's keys. Needs a reader id or name, and a
///   message id or a conversation (a whole conversation read: message_ids is empty then).
///
/// Ids are strings or integers (given as decimal text), times strings or numbers, names and
/// texts strings, objects objects; JSON null counts as absent. Any other type, invalid JSON,
/// nesting deeper than 64 levels, or an unrelated name gives Unknown with the raw event; for
/// a typed name, Unknown::reason says what did not fit.
/// Never throws (not even std::bad_alloc: the result is then an Unknown, empty if need be).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API AppEvent decode_app_event(const Event& event, const EventNames& names);

/// decode_app_event with the default EventNames, built once: a default argument would build
/// its name lists again on every call.
/// Thread safety: a pure function, safe from any thread.
PUSHER_API AppEvent decode_app_event(const Event& event);

/// "MessageSent", "UserTyping", "MessagesRead" or "Unknown" (a static string).
/// Thread safety: a pure function, safe from any thread.
PUSHER_API const char* type_name(const AppEvent& event) noexcept;

}  // namespace pusher
