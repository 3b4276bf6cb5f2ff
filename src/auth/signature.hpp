#pragma once

#include <string>
#include <string_view>

namespace pusher::detail::auth {

/// Lowercase hex of HMAC-SHA256(key = secret, message = data): 64 characters.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

/// `socket:channel` or, with channel_data, `socket:channel:channel_data` (Pusher's channel authorization reference).
std::string channel_string_to_sign(std::string_view socket_id, std::string_view channel,
                                   std::string_view channel_data = {});

/// `socket::user::user_data` (Pusher's channel authorization reference).
std::string user_string_to_sign(std::string_view socket_id, std::string_view user_data);

}  // namespace pusher::detail::auth
