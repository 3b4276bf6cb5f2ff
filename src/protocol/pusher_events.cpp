// Decoders of the pusher:* and pusher_internal:* events (Pusher protocol reference, "Events").
#include "protocol/envelope.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace pusher::detail::protocol {
namespace {

using rapidjson::Document;
using rapidjson::Value;

/// A DecodeFailure result.
DecodeResult failure(const char* message) {
  return DecodeFailure{message};
}

/// The event's data as a DOM: parsed from the string contents or from the compact JSON of an
/// object; Null when absent or not JSON (a string, an object or absent, depending on the server).
Document parse_data(const Envelope& envelope) {
  Document doc;
  if (envelope.data_kind != DataKind::absent) parse_document(envelope.data, doc);
  return doc;
}

/// Data that arrived as a string but is not JSON, e.g. a plain-text error message.
bool is_plain_text(const Envelope& envelope, const Value& data) {
  return envelope.data_kind == DataKind::string && data.IsNull();
}

/// `object[name]`, or nullptr when `object` is not an object or lacks it.
const Value* member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

/// A string value's contents; any other non-null value as compact JSON; "" if absent or null.
std::string text_of(const Value* value) {
  if (value == nullptr || value->IsNull()) return {};
  if (value->IsString()) return {value->GetString(), value->GetStringLength()};
  return to_json(*value);
}

/// Compact JSON text of a value; "" if absent or null (user_info: Pusher protocol reference,
/// "Presence channel events").
std::string json_of(const Value* value) {
  return value == nullptr || value->IsNull() ? std::string() : to_json(*value);
}

/// A user id as text. Pusher servers accept integer ids, so numbers give their decimal text.
std::string id_of(const Value* value) {
  if (value == nullptr) return {};
  if (value->IsString()) return {value->GetString(), value->GetStringLength()};
  if (value->IsInt64()) return std::to_string(value->GetInt64());
  if (value->IsUint64()) return std::to_string(value->GetUint64());
  if (value->IsDouble()) return to_json(*value);
  return {};
}

/// An integer from a number or a numeric string, clamped to int; `fallback` otherwise.
int int_of(const Value* value, int fallback) {
  constexpr double kMin = std::numeric_limits<int>::min();
  constexpr double kMax = std::numeric_limits<int>::max();
  if (value == nullptr) return fallback;
  if (value->IsInt()) return value->GetInt();
  if (value->IsNumber()) {
    const double d = value->GetDouble();
    return std::isnan(d) ? fallback : static_cast<int>(d < kMin ? kMin : d > kMax ? kMax : d);
  }
  if (value->IsString()) {
    int out = 0;
    const char* begin = value->GetString();
    const char* end = begin + value->GetStringLength();
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    return ec == std::errc() && ptr == end ? out : fallback;
  }
  return fallback;
}

/// `{"socket_id":String,"activity_timeout":N}`; no socket id means no usable connection.
DecodeResult connection_established(const Envelope& envelope) {
  const Document data = parse_data(envelope);
  const Value* socket_id = member(data, "socket_id");
  if (socket_id == nullptr || !socket_id->IsString() || socket_id->GetStringLength() == 0) {
    return failure("connection_established without socket_id");
  }
  ConnectionEstablished out;
  out.socket_id.assign(socket_id->GetString(), socket_id->GetStringLength());
  const int timeout = int_of(member(data, "activity_timeout"), 0);
  out.activity_timeout = timeout > 0 ? timeout : 0;
  return Inbound{std::move(out)};
}

/// `{"code":N?,"message":String}` as an object (soketi, Pusher) or a string (Reverb).
DecodeResult server_error(const Envelope& envelope) {
  const Document data = parse_data(envelope);
  ServerError out;
  out.channel.assign(envelope.channel);
  if (is_plain_text(envelope, data)) {
    out.message.assign(envelope.data);
  } else if (data.IsString()) {
    out.message = text_of(&data);
  } else {
    out.message = text_of(member(data, "message"));
    out.code = int_of(member(data, "code"), 0);
  }
  return Inbound{std::move(out)};
}

/// Presence members from `{"ids":[...],"hash":{id:info},"count":N}`: `ids` order first (an id
/// may lack a hash entry when user_info was undefined), then hash entries `ids` did not list.
std::vector<Member> members_of(const Value& presence) {
  const Value* ids = member(presence, "ids");
  const Value* hash = member(presence, "hash");
  if (hash != nullptr && !hash->IsObject()) hash = nullptr;
  std::unordered_map<std::string_view, const Value*> info_by_id;
  if (hash != nullptr) {
    for (const auto& entry : hash->GetObject()) {
      info_by_id.emplace(std::string_view(entry.name.GetString(), entry.name.GetStringLength()),
                         &entry.value);
    }
  }
  std::vector<Member> members;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string id, const Value* info) {
    if (id.empty() || !seen.insert(id).second) return;
    members.push_back(Member{std::move(id), json_of(info)});
  };
  if (ids != nullptr && ids->IsArray()) {
    for (const auto& id : ids->GetArray()) {
      std::string text = id_of(&id);
      const auto it = info_by_id.find(text);
      add(std::move(text), it == info_by_id.end() ? nullptr : it->second);
    }
  }
  if (hash != nullptr) {
    for (const auto& entry : hash->GetObject()) add(id_of(&entry.name), &entry.value);
  }
  return members;
}

/// Presence data fills the members; other channels send `"{}"`, `{}` or nothing.
DecodeResult subscription_succeeded(const Envelope& envelope) {
  if (envelope.channel.empty()) return failure("subscription_succeeded without channel");
  const Document data = parse_data(envelope);
  SubscriptionSucceeded out;
  out.channel.assign(envelope.channel);
  const Value* presence = member(data, "presence");
  if (presence != nullptr && presence->IsObject()) {
    out.has_presence = true;
    out.members = members_of(*presence);
    out.count = int_of(member(*presence, "count"), static_cast<int>(out.members.size()));
  }
  return Inbound{std::move(out)};
}

/// soketi's `{"type":String,"error":String,"status":N}`.
DecodeResult subscription_error(const Envelope& envelope) {
  const Document data = parse_data(envelope);
  SubscriptionError out;
  out.channel.assign(envelope.channel);
  if (is_plain_text(envelope, data)) {
    out.error.assign(envelope.data);
  } else {
    out.type = text_of(member(data, "type"));
    out.error = text_of(member(data, "error"));
    out.status = int_of(member(data, "status"), 0);
  }
  return Inbound{std::move(out)};
}

/// `{"subscription_count":N}`.
DecodeResult subscription_count(const Envelope& envelope) {
  if (envelope.channel.empty()) return failure("subscription_count without channel");
  const Document data = parse_data(envelope);
  SubscriptionCount out;
  out.channel.assign(envelope.channel);
  out.count = int_of(member(data, "subscription_count"), 0);
  return Inbound{std::move(out)};
}

/// `{"user_id":String|Number,"user_info":Any?}`.
DecodeResult member_added(const Envelope& envelope) {
  if (envelope.channel.empty()) return failure("member_added without channel");
  const Document data = parse_data(envelope);
  MemberAdded out;
  out.channel.assign(envelope.channel);
  out.member.id = id_of(member(data, "user_id"));
  if (out.member.id.empty()) return failure("member_added without user_id");
  out.member.info = json_of(member(data, "user_info"));
  return Inbound{std::move(out)};
}

/// `{"user_id":String|Number}`.
DecodeResult member_removed(const Envelope& envelope) {
  if (envelope.channel.empty()) return failure("member_removed without channel");
  const Document data = parse_data(envelope);
  MemberRemoved out;
  out.channel.assign(envelope.channel);
  out.user_id = id_of(member(data, "user_id"));
  if (out.user_id.empty()) return failure("member_removed without user_id");
  return Inbound{std::move(out)};
}

/// `{"user_data":String}`; without it the user channel cannot be joined.
DecodeResult signin_success(const Envelope& envelope) {
  const Document data = parse_data(envelope);
  const Value* user_data = member(data, "user_data");
  if (user_data == nullptr || user_data->IsNull()) {
    return failure("signin_success without user_data");
  }
  return Inbound{SigninSuccess{text_of(user_data)}};
}

/// Only the channel matters; Reverb sends no data.
DecodeResult cache_miss(const Envelope& envelope) {
  if (envelope.channel.empty()) return failure("cache_miss without channel");
  return Inbound{CacheMiss{std::string(envelope.channel)}};
}

/// Data is ignored: `{}`, `"{}"` or absent (Reverb, Java).
DecodeResult ping(const Envelope& /*envelope*/) {
  return Inbound{Ping{}};
}
/// Data is ignored: `{}`, `"{}"` or absent (Reverb).
DecodeResult pong(const Envelope& /*envelope*/) {
  return Inbound{Pong{}};
}

/// One known event name and its decoder.
struct Decoder {
  std::string_view event;
  DecodeResult (*decode)(const Envelope&);
};

constexpr Decoder kDecoders[] = {
    {"pusher:connection_established", connection_established},
    {"pusher:ping", ping},
    {"pusher:pong", pong},
    {"pusher:error", server_error},
    {"pusher_internal:subscription_succeeded", subscription_succeeded},
    {"pusher:subscription_error", subscription_error},
    {"pusher_internal:subscription_count", subscription_count},
    {"pusher_internal:member_added", member_added},
    {"pusher_internal:member_removed", member_removed},
    {"pusher:signin_success", signin_success},
    {"pusher:cache_miss", cache_miss},
};

}  // namespace

DecodeResult decode_pusher_event(const Envelope& envelope) {
  for (const Decoder& decoder : kDecoders) {
    if (decoder.event == envelope.event) return decoder.decode(envelope);
  }
  // Unknown pusher:* events must be ignored (Pusher protocol reference, "Events"), e.g.
  // sockudo's pusher:delta.
  return Inbound{Ignored{std::string(envelope.event)}};
}

}  // namespace pusher::detail::protocol
