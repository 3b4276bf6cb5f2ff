// libFuzzer target: the Pusher message decoder (protocol::decode in src/protocol/message.cpp
// and pusher_events.cpp). Any bytes: never an exception, never a crash.
//
// Checked: decoding is repeatable (the thread_local scratch leaves nothing behind); a channel
// event survives a round trip: re-encoding its fields as JSON strings decodes to the same
// fields; protocol names never come out as channel events.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "fuzz_check.hpp"
#include "protocol/message.hpp"

namespace {

namespace protocol = pusher::detail::protocol;

bool is_protocol_name(std::string_view e) {
  return e.substr(0, 7) == "pusher:" || e.substr(0, 16) == "pusher_internal:";
}

void field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += '|';
}

void field(std::string& out, int n) { field(out, std::to_string(n)); }

/// Every field of a result, so two results can be compared.
std::string describe(const std::variant<protocol::Inbound, protocol::DecodeFailure>& result) {
  std::string out;
  if (const auto* failure = std::get_if<protocol::DecodeFailure>(&result)) {
    FUZZ_CHECK(!failure->message.empty());
    field(out, "failure");
    field(out, failure->message);
    return out;
  }
  const auto& inbound = std::get<protocol::Inbound>(result);
  field(out, static_cast<int>(inbound.index()));
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::ConnectionEstablished>) {
          field(out, m.socket_id);
          field(out, m.activity_timeout);
        } else if constexpr (std::is_same_v<T, protocol::ServerError>) {
          field(out, m.code);
          field(out, m.message);
          field(out, m.channel);
        } else if constexpr (std::is_same_v<T, protocol::SubscriptionSucceeded>) {
          field(out, m.channel);
          field(out, m.has_presence ? 1 : 0);
          field(out, m.count);
          for (const auto& member : m.members) {
            field(out, member.id);
            field(out, member.info);
          }
        } else if constexpr (std::is_same_v<T, protocol::SubscriptionError>) {
          field(out, m.channel);
          field(out, m.type);
          field(out, m.error);
          field(out, m.status);
        } else if constexpr (std::is_same_v<T, protocol::SubscriptionCount>) {
          field(out, m.channel);
          field(out, m.count);
        } else if constexpr (std::is_same_v<T, protocol::MemberAdded>) {
          field(out, m.channel);
          field(out, m.member.id);
          field(out, m.member.info);
        } else if constexpr (std::is_same_v<T, protocol::MemberRemoved>) {
          field(out, m.channel);
          field(out, m.user_id);
        } else if constexpr (std::is_same_v<T, protocol::SigninSuccess>) {
          field(out, m.user_data);
        } else if constexpr (std::is_same_v<T, protocol::CacheMiss>) {
          field(out, m.channel);
        } else if constexpr (std::is_same_v<T, protocol::ChannelEvent>) {
          FUZZ_CHECK(!is_protocol_name(m.event));
          FUZZ_CHECK(m.has_data || m.data.empty());
          field(out, m.event);
          field(out, m.channel);
          field(out, m.has_data ? 1 : 0);
          field(out, m.data);
          field(out, m.user_id);
        } else if constexpr (std::is_same_v<T, protocol::Ignored>) {
          FUZZ_CHECK(is_protocol_name(m.event));
          field(out, m.event);
        }
      },
      inbound);
  return out;
}

/// `s` as a JSON string literal (bytes >= 0x80 pass through as they are).
std::string json_string(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = protocol::decode(text);
  const std::string described = describe(first);
  FUZZ_CHECK(describe(protocol::decode(text)) == described);

  const auto* inbound = std::get_if<protocol::Inbound>(&first);
  const auto* event = inbound ? std::get_if<protocol::ChannelEvent>(inbound) : nullptr;
  if (event == nullptr) return 0;
  std::string again = "{\"event\":" + json_string(event->event);
  if (!event->channel.empty()) again += ",\"channel\":" + json_string(event->channel);
  if (event->has_data) again += ",\"data\":" + json_string(event->data);
  if (!event->user_id.empty()) again += ",\"user_id\":" + json_string(event->user_id);
  again += '}';
  const auto second = protocol::decode(again);
  FUZZ_CHECK(describe(second) == described);
  return 0;
}
