#include "protocol/encode.hpp"

#include <utility>

#include "protocol/json.hpp"
#include "protocol/json_writer.hpp"

namespace pusher::detail::protocol {
namespace {

/// Room for the envelope around the caller's strings, which may grow when escaped.
constexpr std::size_t kEnvelopeBytes = 64;

/// `{"event":<event>,"data":{<members written by fill>}}`.
template <typename Fill>
std::string message_with_data(std::string_view event, std::size_t size_hint, Fill&& fill) {
  std::string out;
  out.reserve(kEnvelopeBytes + event.size() + size_hint);
  JsonWriter writer(out);
  writer.begin_object().member("event", event).key("data").begin_object();
  std::forward<Fill>(fill)(writer);
  writer.end_object().end_object();
  return out;
}

}  // namespace

std::string encode_subscribe(std::string_view channel, std::string_view auth,
                             std::string_view channel_data) {
  const std::size_t hint = channel.size() + auth.size() + channel_data.size() * 5 / 4;
  return message_with_data("pusher:subscribe", hint, [&](JsonWriter& writer) {
    writer.member("channel", channel);
    if (!auth.empty()) writer.member("auth", auth);
    if (!channel_data.empty()) writer.member("channel_data", channel_data);
  });
}

std::string encode_unsubscribe(std::string_view channel) {
  return message_with_data("pusher:unsubscribe", channel.size(),
                           [&](JsonWriter& writer) { writer.member("channel", channel); });
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
  JsonWriter writer(out);
  writer.begin_object().member("event", event).member("channel", channel).key("data");
  if (is_json) {
    writer.raw(data);
  } else {
    writer.string(data_json);
  }
  writer.end_object();
  return out;
}

std::string encode_signin(std::string_view auth, std::string_view user_data) {
  const std::size_t hint = auth.size() + user_data.size() * 5 / 4;
  return message_with_data("pusher:signin", hint, [&](JsonWriter& writer) {
    writer.member("auth", auth).member("user_data", user_data);
  });
}

std::string notice_subscription_error(std::string_view type, std::string_view error, int status) {
  std::string out;
  JsonWriter(out)
      .begin_object()
      .member("type", type)
      .member("error", error)
      .key("status")
      .number(status)
      .end_object();
  return out;
}

std::string notice_member(std::string_view id, std::string_view info_json) {
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().member("id", id).key("info");
  if (info_json.empty()) {
    writer.null();
  } else {
    writer.raw(info_json);
  }
  writer.end_object();
  return out;
}

std::string notice_number(std::string_view name, std::int64_t value) {
  std::string out;
  JsonWriter(out).begin_object().key(name).number(value).end_object();
  return out;
}

}  // namespace pusher::detail::protocol
