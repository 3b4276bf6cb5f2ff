#pragma once

// The JSON the chat exchanges with its backend and in whispers (RapidJSON stays in the .cpp).

#include <pusher/channel.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat_model.hpp"

namespace chat {

/// `POST /login` answers `{"token":"..","user":{"id":..,"name":".."}}`.
struct Login {
  std::string token;
  User user;
};

std::optional<Login> parse_login(std::string_view body);
/// One message, `{"id","text","user":{"id","name"},"sent_at"}`, bare or as `{"message":{..}}`.
std::optional<ChatMessage> parse_message(std::string_view body);
/// `{"messages":[..]}` (or a bare array). Entries that are not messages are skipped.
std::optional<std::vector<ChatMessage>> parse_messages(std::string_view body);
/// The `message` (Laravel) or `error` text of an error answer, cut short; "" if none.
std::string error_message(std::string_view body);

/// A presence member as a User: the name from `user_info.name`, else the id.
User member_user(const pusher::Member& member);

std::string login_body(const std::string& name);
std::string message_body(const std::string& room, const std::string& text);
/// `{"room","message_id"}`; the id is sent as a number when it is one.
std::string read_body(const std::string& room, const std::string& message_id);
/// The typing whisper: `{"user_id","name","typing"}`.
std::string typing_body(const User& user, bool typing);

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view text);

}  // namespace chat
