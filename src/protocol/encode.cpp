#include "protocol/encode.hpp"

#include <utility>

#include "protocol/json.hpp"

namespace pusher::detail::protocol {
namespace {

/// Room for the envelope around the caller's strings, which may grow when escaped.
constexpr std::size_t kEnvelopeBytes = 64;

/// Writes `"name":"value"` into the object being written.
void write_member(CompactWriter& writer, std::string_view name, std::string_view value) {
  write_string(writer, name);
  write_string(writer, value);
}

/// `{"event":<event>,"data":{<members written by fill>}}`.
template <typename Fill>
std::string message_with_data(std::string_view event, std::size_t size_hint, Fill&& fill) {
  std::string out;
  out.reserve(kEnvelopeBytes + event.size() + size_hint);
  StringSink sink(out);
  CompactWriter writer(sink);
  writer.StartObject();
  write_member(writer, "event", event);
  write_string(writer, "data");
  writer.StartObject();
  std::forward<Fill>(fill)(writer);
  writer.EndObject();
  writer.EndObject();
  return out;
}

}  // namespace

std::string encode_subscribe(std::string_view channel, std::string_view auth,
                             std::string_view channel_data) {
  const std::size_t hint = channel.size() + auth.size() + channel_data.size() * 5 / 4;
  return message_with_data("pusher:subscribe", hint, [&](CompactWriter& writer) {
    write_member(writer, "channel", channel);
    if (!auth.empty()) write_member(writer, "auth", auth);
    if (!channel_data.empty()) write_member(writer, "channel_data", channel_data);
  });
}

std::string encode_unsubscribe(std::string_view channel) {
  return message_with_data("pusher:unsubscribe", channel.size(), [&](CompactWriter& writer) {
    write_member(writer, "channel", channel);
  });
}

std::string encode_ping() {
  return R"({"event":"pusher:ping","data":{}})";
}

std::string encode_pong() {
  return R"({"event":"pusher:pong","data":{}})";
}

std::string encode_client_event(std::string_view channel, std::string_view event,
                                std::string_view data_json) {
  std::string data;
  data.reserve(data_json.size());
  const bool is_json = compact_json(data_json, data);
  std::string out;
  out.reserve(kEnvelopeBytes + channel.size() + event.size() + data_json.size() * 5 / 4);
  StringSink sink(out);
  CompactWriter writer(sink);
  writer.StartObject();
  write_member(writer, "event", event);
  write_member(writer, "channel", channel);
  write_string(writer, "data");
  if (is_json) {
    writer.RawValue(data.data(), data.size(), rapidjson::kObjectType);
  } else {
    write_string(writer, data_json);
  }
  writer.EndObject();
  return out;
}

std::string encode_signin(std::string_view auth, std::string_view user_data) {
  const std::size_t hint = auth.size() + user_data.size() * 5 / 4;
  return message_with_data("pusher:signin", hint, [&](CompactWriter& writer) {
    write_member(writer, "auth", auth);
    write_member(writer, "user_data", user_data);
  });
}

}  // namespace pusher::detail::protocol
