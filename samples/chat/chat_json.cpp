#include "chat_json.hpp"

#include <cstdio>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "time_text.hpp"

namespace chat {
namespace {

using rapidjson::Value;

bool parse(std::string_view body, rapidjson::Document& document) {
  document.Parse(body.data(), body.size());
  return !document.HasParseError();
}

const Value* member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

/// Strings as they are, integers as decimal text, anything else "".
std::string text_of(const Value* value) {
  if (value == nullptr) return "";
  if (value->IsString()) return std::string(value->GetString(), value->GetStringLength());
  if (value->IsUint64()) return std::to_string(value->GetUint64());
  if (value->IsInt64()) return std::to_string(value->GetInt64());
  if (value->IsDouble()) {
    const double number = value->GetDouble();
    if (number == static_cast<double>(static_cast<long long>(number)))
      return std::to_string(static_cast<long long>(number));
  }
  return "";
}

User user_of(const Value* value) {
  if (value == nullptr || !value->IsObject()) return {};
  return User{text_of(member(*value, "id")), text_of(member(*value, "name"))};
}

std::optional<ChatMessage> message_of(const Value& value) {
  if (!value.IsObject()) return std::nullopt;
  ChatMessage message;
  message.id = text_of(member(value, "id"));
  message.text = text_of(member(value, "text"));
  if (message.id.empty()) return std::nullopt;
  message.sender = user_of(member(value, "user"));
  if (message.sender.id.empty()) message.sender.id = text_of(member(value, "user_id"));
  const std::string sent_at = text_of(member(value, "sent_at"));
  message.time =
      parse_time(sent_at.empty() ? text_of(member(value, "created_at")) : sent_at).value_or(0);
  return message;
}

template <typename Build>
std::string write(Build build) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  build(writer);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void put(rapidjson::Writer<rapidjson::StringBuffer>& writer, const char* key,
         const std::string& value) {
  writer.Key(key);
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::optional<Login> parse_login(std::string_view body) {
  rapidjson::Document document;
  if (!parse(body, document) || !document.IsObject()) return std::nullopt;
  Login login{text_of(member(document, "token")), user_of(member(document, "user"))};
  if (login.token.empty() || login.user.id.empty()) return std::nullopt;
  return login;
}

std::optional<ChatMessage> parse_message(std::string_view body) {
  rapidjson::Document document;
  if (!parse(body, document)) return std::nullopt;
  const Value* nested = member(document, "message");
  if (nested != nullptr && nested->IsObject()) return message_of(*nested);
  return message_of(document);
}

std::optional<std::vector<ChatMessage>> parse_messages(std::string_view body) {
  rapidjson::Document document;
  if (!parse(body, document)) return std::nullopt;
  const Value* list = document.IsArray() ? &document : member(document, "messages");
  if (list == nullptr || !list->IsArray()) return std::nullopt;
  std::vector<ChatMessage> messages;
  for (const Value& item : list->GetArray()) {
    if (auto message = message_of(item)) messages.push_back(std::move(*message));
  }
  return messages;
}

std::string error_message(std::string_view body) {
  rapidjson::Document document;
  if (!parse(body, document)) return "";
  std::string text = text_of(member(document, "message"));
  if (text.empty()) text = text_of(member(document, "error"));
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

User member_user(const pusher::Member& member_value) {
  User user{member_value.id, ""};
  rapidjson::Document document;
  if (!member_value.info.empty() && parse(member_value.info, document))
    user.name = text_of(member(document, "name"));
  if (user.name.empty()) user.name = user.id;
  return user;
}

std::string login_body(const std::string& name) {
  return write([&](auto& writer) { put(writer, "name", name); });
}

std::string message_body(const std::string& room, const std::string& text) {
  return write([&](auto& writer) {
    put(writer, "room", room);
    put(writer, "text", text);
  });
}

std::string read_body(const std::string& room, const std::string& message_id) {
  return write([&](auto& writer) {
    put(writer, "room", room);
    if (const auto number = numeric_id(message_id)) {
      writer.Key("message_id");
      writer.Uint64(*number);
    } else {
      put(writer, "message_id", message_id);
    }
  });
}

std::string typing_body(const User& user, bool typing) {
  return write([&](auto& writer) {
    if (const auto number = numeric_id(user.id)) {  // as Echo clients send a Laravel user id
      writer.Key("user_id");
      writer.Uint64(*number);
    } else {
      put(writer, "user_id", user.id);
    }
    put(writer, "name", user.name);
    writer.Key("typing");
    writer.Bool(typing);
  });
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      out += escaped;
    }
  }
  return out;
}

}  // namespace chat
