#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pusher::detail {

/// True when the library was built with libsodium (private-encrypted- channels).
bool encryption_supported() noexcept;

/// Opens an event of a private-encrypted- channel: `data_json` is `{"ciphertext":b64,
/// "nonce":b64}`, `shared_secret_b64` the channel key from the auth response (Pusher's
/// end-to-end encryption: NaCl secretbox, XSalsa20-Poly1305; pusher-js src/core/channels/
/// encrypted_channel.ts). Returns the plaintext, or nullopt with `error`.
std::optional<std::string> decrypt_event(std::string_view data_json,
                                         std::string_view shared_secret_b64, std::string& error);

/// Standard base64 (with padding) decode; nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pusher::detail
