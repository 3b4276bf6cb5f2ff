#pragma once

#include <string_view>
#include <variant>

#include "protocol/message.hpp"

namespace pusher::detail::protocol {

/// How the top-level `data` member arrived: servers send all three (pusher-js's
/// Protocol.decodeMessage takes a string or an object).
enum class DataKind { absent, string, json };

/// The top-level members of one message; the views point into decode()'s scratch buffers.
struct Envelope {
  std::string_view event;
  bool has_event = false;
  std::string_view channel;
  std::string_view user_id;
  DataKind data_kind = DataKind::absent;
  std::string_view data;  ///< string contents (DataKind::string) or compact JSON text
};

/// Result of decoding one message.
using DecodeResult = std::variant<Inbound, DecodeFailure>;

/// Decodes an event named `pusher:*` or `pusher_internal:*`; unknown names give Ignored.
DecodeResult decode_pusher_event(const Envelope& envelope);

}  // namespace pusher::detail::protocol
