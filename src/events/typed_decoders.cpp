#include "events/typed_decoders.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "events/field_capture.hpp"

namespace pusher::detail::events {
namespace {

using Type = Scalar::Type;

template <std::size_t N>
constexpr std::array<Alias, N + 1> prepend(const Alias& first, const std::array<Alias, N>& rest) {
  std::array<Alias, N + 1> out{};
  out[0] = first;
  for (std::size_t i = 0; i < N; ++i) out[i + 1] = rest[i];
  return out;
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

constexpr std::array<Alias, 2> kSenderFields{
    {{"id", kSenderObjectId}, {"name", kSenderObjectName}}};
constexpr Scope kSenderScope = make_scope(kSenderFields);
constexpr std::array<Alias, 1> kConversationFields{{{"id", kConversationObjectId}}};
constexpr Scope kConversationScope = make_scope(kConversationFields);

/// A message's fields, at the top level or inside a nested "message" object.
constexpr std::array<Alias, 21> kMessageFields{{
    {"id", kId},
    {"text", kText},
    {"body", kText},
    {"content", kText},
    {"message", kText, Want::kNotObject},  // a `message` column, or a flat payload
    {"user", kSender, Want::kAny, &kSenderScope},
    {"sender", kSender, Want::kAny, &kSenderScope},
    {"author", kSender, Want::kAny, &kSenderScope},
    {"user_id", kSenderId},
    {"sender_id", kSenderId},
    {"user_name", kSenderName},
    {"sender_name", kSenderName},
    {"name", kSenderName},
    {"sent_at", kSentAt},
    {"created_at", kSentAt},
    {"timestamp", kSentAt},
    // A related model (`"room": {"id": 3, ...}`) stands for its id.
    {"conversation_id", kConversation, Want::kAny, &kConversationScope},
    {"room_id", kConversation, Want::kAny, &kConversationScope},
    {"room", kConversation, Want::kAny, &kConversationScope},
    {"chat_id", kConversation, Want::kAny, &kConversationScope},
    {"conversation", kConversation, Want::kAny, &kConversationScope},
}};
constexpr Scope kNestedScope = make_scope(kMessageFields, /*preferred=*/true);
// Laravel's `public Message $message` arrives as an object whose fields win; the rest (often
// the `user`) come from the top level.
constexpr auto kSentFields =
    prepend(Alias{"message", kNested, Want::kObject, &kNestedScope}, kMessageFields);
constexpr Scope kSentScope = make_scope(kSentFields);

enum TypingSlot : std::uint8_t {
  kUser,
  kUserId,
  kUserName,
  kTyping,
  kUserObjectId,
  kUserObjectName
};

static_assert(kUserObjectName < kMaxSlots);

constexpr std::array<Alias, 2> kUserFields{{{"id", kUserObjectId}, {"name", kUserObjectName}}};
constexpr Scope kUserScope = make_scope(kUserFields);
constexpr std::array<Alias, 6> kTypingFields{{
    {"user", kUser, Want::kAny, &kUserScope},
    {"user_id", kUserId},
    {"id", kUserId},
    {"name", kUserName},
    {"user_name", kUserName},
    {"typing", kTyping},
}};
constexpr Scope kTypingScope = make_scope(kTypingFields);

enum ReadSlot : std::uint8_t {
  kReader,
  kReaderId,
  kReaderName,
  kIds,
  kLastRead,
  kReadAt,
  kReaderObjectId,
  kReaderObjectName
};

static_assert(kReaderObjectName < kMaxSlots);

constexpr std::array<Alias, 2> kReaderFields{
    {{"id", kReaderObjectId}, {"name", kReaderObjectName}}};
constexpr Scope kReaderScope = make_scope(kReaderFields);
constexpr std::array<Alias, 12> kReadFields{{
    {"reader", kReader, Want::kAny, &kReaderScope},
    {"user", kReader, Want::kAny, &kReaderScope},
    {"reader_id", kReaderId},
    {"user_id", kReaderId},
    {"reader_name", kReaderName},
    {"user_name", kReaderName},
    {"message_ids", kIds, Want::kList},
    {"last_read_id", kLastRead},
    {"last_read_message_id", kLastRead},
    {"message_id", kLastRead},
    {"read_at", kReadAt},
    {"timestamp", kReadAt},
}};
constexpr Scope kReadScope = make_scope(kReadFields);

}  // namespace

bool decode_message_sent(const Event& event, MessageSent& out) {
  Capture c(kSentScope);
  if (parse_payload(event.data, c) != Payload::kObject || c.get(kText) == nullptr) return false;
  FieldReader r;
  r.text(c.get(kText), out.text);
  r.id(c.get(kId), out.id);
  r.object(c.get(kSender));  // only to refuse a sender that is not an object
  r.id(pick(c.get(kSenderObjectId), c.get(kSenderId)), out.sender_id);
  r.text(pick(c.get(kSenderObjectName), c.get(kSenderName)), out.sender_name);
  r.time(c.get(kSentAt), out.sent_at);
  const Scalar* conversation = c.get(kConversation);
  if (conversation != nullptr && conversation->type == Type::kObject)
    conversation = c.get(kConversationObjectId);
  r.id(conversation, out.conversation);
  return r.ok();
}

bool decode_user_typing(const Event& event, UserTyping& out) {
  Capture c(kTypingScope);
  if (parse_payload(event.data, c) == Payload::kInvalid) return false;
  FieldReader r;
  r.object(c.get(kUser));
  r.id(pick(c.get(kUserObjectId), c.get(kUserId)), out.user_id);
  r.text(pick(c.get(kUserObjectName), c.get(kUserName)), out.name);
  r.flag(c.get(kTyping), out.typing);
  // Presence channels stamp whispers with the sender's authenticated id.
  if (out.user_id.empty()) out.user_id = event.user_id;
  return r.ok() && !(out.user_id.empty() && out.name.empty());
}

bool decode_messages_read(const Event& event, MessagesRead& out) {
  Capture c(kReadScope);
  if (parse_payload(event.data, c) != Payload::kObject) return false;
  FieldReader r;
  r.object(c.get(kReader));
  r.id(pick(c.get(kReaderObjectId), c.get(kReaderId)), out.reader_id);
  r.text(pick(c.get(kReaderObjectName), c.get(kReaderName)), out.reader_name);
  r.id(c.get(kLastRead), out.last_read_id);
  r.time(c.get(kReadAt), out.read_at);
  r.ids(c.get(kIds), c.list(), out.message_ids);
  auto& ids = out.message_ids;
  const std::string& last = out.last_read_id;
  if (!last.empty() &&
      std::none_of(ids.begin(), ids.end(), [&](const std::string& id) { return same(id, last); }))
    ids.push_back(last);
  return r.ok() && !out.reader_id.empty() && !ids.empty();
}

}  // namespace pusher::detail::events
