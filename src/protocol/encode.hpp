#pragma once

#include <string>
#include <string_view>

namespace pusher::detail::protocol {

// Outbound messages as compact JSON (Pusher protocol reference, "Events"). Every string
// argument is escaped as a JSON string and must be UTF-8.

/// `{"event":"pusher:subscribe","data":{"channel":..,"auth":..,"channel_data":..}}`; `auth` and
/// `channel_data` are left out when empty. `channel_data` is sent as a string, byte for byte.
std::string encode_subscribe(std::string_view channel, std::string_view auth = {},
                             std::string_view channel_data = {});

/// `{"event":"pusher:unsubscribe","data":{"channel":..}}`.
std::string encode_unsubscribe(std::string_view channel);

/// `{"event":"pusher:ping","data":{}}`.
std::string encode_ping();

/// `{"event":"pusher:pong","data":{}}`.
std::string encode_pong();

/// `{"event":..,"channel":..,"data":..}`. Valid JSON `data_json` is embedded as a JSON value,
/// compacted, as pusher-js does; anything else (including "") is sent as a JSON string.
std::string encode_client_event(std::string_view channel, std::string_view event,
                                std::string_view data_json);

/// `{"event":"pusher:signin","data":{"auth":..,"user_data":..}}`; `user_data` stays a string.
std::string encode_signin(std::string_view auth, std::string_view user_data);

}  // namespace pusher::detail::protocol
