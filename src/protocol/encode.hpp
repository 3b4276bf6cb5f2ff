#pragma once

#include <cstdint>
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

// The data of the notices the SDK delivers to a channel's callbacks (Channel's doc comment
// lists them), as JSON text.

/// `{"type":..,"error":..,"status":N}` of `pusher:subscription_error`.
std::string notice_subscription_error(std::string_view type, std::string_view error, int status);

/// `{"id":..,"info":..}` of `pusher:member_added` and `pusher:member_removed`; `info_json` is
/// the member's JSON text as the server sent it ("" gives null).
std::string notice_member(std::string_view id, std::string_view info_json);

/// `{"<name>":N}`, e.g. `{"subscription_count":3}` or `{"away_ms":250}`.
std::string notice_number(std::string_view name, std::int64_t value);

}  // namespace pusher::detail::protocol
