#include "events/typed_decoders.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "events/field_capture.hpp"

namespace pusher::detail::events {
namespace {

using Type = Scalar::Type;

/// `first`, then `rest`: the three types share their conversation keys.
template <std::size_t N, std::size_t M>
constexpr std::array<Alias, N + M> concat(const std::array<Alias, N>& first,
                                          const std::array<Alias, M>& rest) {
  std::array<Alias, N + M> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = first[i];
  for (std::size_t i = 0; i < M; ++i) out[N + i] = rest[i];
  return out;
}

// Apps keyed by UUIDs send `uuid` for `id` and `x_uuid` for `x_id`: every id key below has
// that twin right after it, so a payload that has both keeps the id.

/// An object standing for its id (a related model: `"room": {"id": 3, ...}`).
constexpr std::array<Alias, 2> id_fields(std::uint8_t id) {
  return {{{"id", id}, {"uuid", id}}};
}

/// A person object (`"user": {"id": 7, "name": "Ann"}`).
constexpr std::array<Alias, 3> person_fields(std::uint8_t id, std::uint8_t name) {
  return {{{"id", id}, {"uuid", id}, {"name", name}}};
}

/// The keys of a conversation, the same for every type; `object` reads a related model's id.
constexpr std::array<Alias, 8> conversation_keys(std::uint8_t slot, const Scope* object) {
  return {{
      {"conversation_id", slot, Want::kAny, object},
      {"conversation_uuid", slot, Want::kAny, object},
      {"room_id", slot, Want::kAny, object},
      {"room_uuid", slot, Want::kAny, object},
      {"room", slot, Want::kAny, object},
      {"chat_id", slot, Want::kAny, object},
      {"chat_uuid", slot, Want::kAny, object},
      {"conversation", slot, Want::kAny, object},
  }};
}

// Field slots, and the keys that may hold them, best first.

enum SentSlot : std::uint8_t {
  kNested,
  kId,
  kText,
  kSender,
  kSenderId,
  kSenderName,
  kSentAt,
  kConversation,
  kSenderObjectId,
  kSenderObjectName,
  kConversationObjectId,
};

static_assert(kConversationObjectId < kMaxSlots);

constexpr auto kSenderFields = person_fields(kSenderObjectId, kSenderObjectName);
constexpr Scope kSenderScope = make_scope(kSenderFields);
constexpr auto kConversationFields = id_fields(kConversationObjectId);
constexpr Scope kConversationScope = make_scope(kConversationFields);

constexpr std::array<Alias, 21> kMessageOwnFields{{
    {"id", kId},
    {"uuid", kId},
    {"text", kText},
    {"body", kText},
    {"content", kText},
    {"message", kText, Want::kNotObject},  // a `message` column, or a flat payload
    // A person object, or a plain string that is the name.
    {"user", kSender, Want::kAny, &kSenderScope},
    {"sender", kSender, Want::kAny, &kSenderScope},
    {"author", kSender, Want::kAny, &kSenderScope},
    {"user_id", kSenderId},
    {"user_uuid", kSenderId},
    {"sender_id", kSenderId},
    {"sender_uuid", kSenderId},
    {"user_name", kSenderName},
    {"sender_name", kSenderName},
    {"name", kSenderName},
    {"sent_at", kSentAt},
    {"created_at", kSentAt},
    {"timestamp", kSentAt},
}};
/// A message's fields, at the top level or inside a nested "message" object.
constexpr auto kMessageFields =
    concat(kMessageOwnFields, conversation_keys(kConversation, &kConversationScope));
constexpr Scope kNestedScope = make_scope(kMessageFields, /*preferred=*/true);
// Laravel's `public Message $message` arrives as an object whose fields win; the rest (often
// the `user`) come from the top level.
constexpr auto kSentFields = concat(
    std::array<Alias, 1>{{{"message", kNested, Want::kObject, &kNestedScope}}}, kMessageFields);
constexpr Scope kSentScope = make_scope(kSentFields);

enum TypingSlot : std::uint8_t {
  kUser,
  kUserId,
  kUserName,
  kTyping,
  kUserObjectId,
  kUserObjectName,
  kTypingConversation,
  kTypingConversationObjectId,
};

static_assert(kTypingConversationObjectId < kMaxSlots);

constexpr auto kUserFields = person_fields(kUserObjectId, kUserObjectName);
constexpr Scope kUserScope = make_scope(kUserFields);
constexpr auto kTypingConversationFields = id_fields(kTypingConversationObjectId);
constexpr Scope kTypingConversationScope = make_scope(kTypingConversationFields);
constexpr std::array<Alias, 8> kTypistFields{{
    {"user", kUser, Want::kAny, &kUserScope},
    {"user_id", kUserId},
    {"user_uuid", kUserId},
    {"id", kUserId},
    {"uuid", kUserId},
    {"name", kUserName},
    {"user_name", kUserName},
    {"typing", kTyping},
}};
// Apps with several chats on one presence channel say which one is being typed in.
constexpr auto kTypingFields =
    concat(kTypistFields, conversation_keys(kTypingConversation, &kTypingConversationScope));
constexpr Scope kTypingScope = make_scope(kTypingFields);

enum ReadSlot : std::uint8_t {
  kReader,
  kReaderId,
  kReaderName,
  kIds,
  kLastRead,
  kReadAt,
  kReaderObjectId,
  kReaderObjectName,
  kReadConversation,
  kReadConversationObjectId,
};

static_assert(kReadConversationObjectId < kMaxSlots);

constexpr auto kReaderFields = person_fields(kReaderObjectId, kReaderObjectName);
constexpr Scope kReaderScope = make_scope(kReaderFields);
constexpr auto kReadConversationFields = id_fields(kReadConversationObjectId);
constexpr Scope kReadConversationScope = make_scope(kReadConversationFields);
constexpr std::array<Alias, 18> kReceiptFields{{
    {"reader", kReader, Want::kAny, &kReaderScope},
    {"user", kReader, Want::kAny, &kReaderScope},
    {"reader_id", kReaderId},
    {"reader_uuid", kReaderId},
    {"user_id", kReaderId},
    {"user_uuid", kReaderId},
    {"reader_name", kReaderName},
    {"user_name", kReaderName},
    {"message_ids", kIds, Want::kList},
    {"message_uuids", kIds, Want::kList},
    {"last_read_id", kLastRead},
    {"last_read_uuid", kLastRead},
    {"last_read_message_id", kLastRead},
    {"last_read_message_uuid", kLastRead},
    {"message_id", kLastRead},
    {"message_uuid", kLastRead},
    {"read_at", kReadAt},
    {"timestamp", kReadAt},
}};
// "Mark the whole conversation read" receipts carry the conversation and no message id.
constexpr auto kReadFields =
    concat(kReceiptFields, conversation_keys(kReadConversation, &kReadConversationScope));
constexpr Scope kReadScope = make_scope(kReadFields);

/// The conversation: an id, or a related model standing for its id (`object_id`).
void conversation(FieldReader& r, const Capture& c, std::uint8_t slot, std::uint8_t object_id,
                  std::string& out) {
  const Scalar* value = c.get(slot);
  if (value == nullptr) return;
  switch (value->type) {
    case Type::kObject:
      r.id(c.get(object_id), out);
      break;
    case Type::kString:
    case Type::kInt:
    case Type::kUint:
      r.id(value, out);
      break;
    default:
      r.refuse(value, "a string, an integer or an object");
  }
}

/// Sets `reason` to why a payload that is not an object does not fit; returns false.
bool not_fitting(const char* type, const char* needs, Payload payload, std::string& reason) {
  reason = std::string(type) + " needs " + needs + ": " + describe(payload);
  return false;
}

/// Sets `reason` to the value `r` refused, named by its keys; returns false.
bool refused(const char* type, const Capture& c, const FieldReader& r, std::string& reason) {
  reason = std::string(type) + ": \"" + c.path(r.refused()) + "\" is not " + r.expected();
  return false;
}

}  // namespace

bool decode_message_sent(const Event& event, MessageSent& out, std::string& reason) {
  constexpr char kType[] = "MessageSent";
  Capture c(kSentScope);
  const Payload payload = parse_payload(event.data, c);
  if (payload != Payload::kObject) return not_fitting(kType, "a JSON object", payload, reason);
  if (c.get(kText) == nullptr) {
    reason = "MessageSent needs a text: none of text, body, content, message is a string";
    return false;
  }
  FieldReader r;
  r.text(c.get(kText), out.text);
  r.id(c.get(kId), out.id);
  r.id(pick(c.get(kSenderObjectId), c.get(kSenderId)), out.sender_id);
  r.text(pick(r.person_name(c.get(kSender), c.get(kSenderObjectName)), c.get(kSenderName)),
         out.sender_name);
  r.time(c.get(kSentAt), out.sent_at);
  conversation(r, c, kConversation, kConversationObjectId, out.conversation);
  return r.ok() || refused(kType, c, r, reason);
}

bool decode_user_typing(const Event& event, UserTyping& out, std::string& reason) {
  constexpr char kType[] = "UserTyping";
  Capture c(kTypingScope);
  const Payload payload = parse_payload(event.data, c);
  if (payload != Payload::kObject && payload != Payload::kEmpty)
    return not_fitting(kType, "a JSON object or no data", payload, reason);
  FieldReader r;
  r.id(pick(c.get(kUserObjectId), c.get(kUserId)), out.user_id);
  r.text(pick(r.person_name(c.get(kUser), c.get(kUserObjectName)), c.get(kUserName)), out.name);
  r.flag(c.get(kTyping), out.typing);
  conversation(r, c, kTypingConversation, kTypingConversationObjectId, out.conversation);
  if (!r.ok()) return refused(kType, c, r, reason);
  // Presence channels stamp whispers with the sender's authenticated id.
  if (out.user_id.empty()) out.user_id = event.user_id;
  if (out.user_id.empty() && out.name.empty()) {
    reason = "UserTyping needs a user id or name: none in the data, nor a user_id on the event";
    return false;
  }
  return true;
}

bool decode_messages_read(const Event& event, MessagesRead& out, std::string& reason) {
  constexpr char kType[] = "MessagesRead";
  Capture c(kReadScope);
  const Payload payload = parse_payload(event.data, c);
  if (payload != Payload::kObject) return not_fitting(kType, "a JSON object", payload, reason);
  FieldReader r;
  r.id(pick(c.get(kReaderObjectId), c.get(kReaderId)), out.reader_id);
  r.text(pick(r.person_name(c.get(kReader), c.get(kReaderObjectName)), c.get(kReaderName)),
         out.reader_name);
  r.id(c.get(kLastRead), out.last_read_id);
  r.time(c.get(kReadAt), out.read_at);
  r.ids(c.get(kIds), c.list(), out.message_ids);
  conversation(r, c, kReadConversation, kReadConversationObjectId, out.conversation);
  if (!r.ok()) return refused(kType, c, r, reason);
  auto& ids = out.message_ids;
  const std::string& last = out.last_read_id;
  if (!last.empty() &&
      std::none_of(ids.begin(), ids.end(), [&](const std::string& id) { return same(id, last); }))
    ids.push_back(last);
  if (out.reader_id.empty() && out.reader_name.empty()) {
    reason = "MessagesRead needs a reader id or name: none in the data";
    return false;
  }
  if (ids.empty() && out.conversation.empty()) {
    reason = "MessagesRead needs a message id or a conversation: neither in the data";
    return false;
  }
  return true;
}

}  // namespace pusher::detail::events
