#pragma once

#include <pusher/auth.hpp>

#include <cstddef>
#include <string_view>

namespace pusher::detail::auth {

/// Largest auth response body read; a real one is well under 1 KiB.
inline constexpr std::size_t kMaxAuthResponseSize = std::size_t{1024} * 1024;

/// Turns an auth endpoint's answer into an AuthResult. Pure, never throws, any input.
///
/// Success needs status 200 or 201 (pusher-js accepts 200, pusher-websocket-java also 201)
/// and a JSON object with a non-empty string `auth`; a sign-in (`user_signin`) also needs a
/// string `user_data`. `channel_data` may be a string, passed on byte for byte because it is
/// part of the signed text, or an object, written compactly (some backends return one).
/// `shared_secret` is an optional string. Anything else gives Error{auth_failed, message,
/// server_code = http_status}; the message never quotes the body, which may hold tokens.
AuthResult parse_auth_response(int http_status, std::string_view body, bool user_signin);

}  // namespace pusher::detail::auth
