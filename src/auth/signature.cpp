#include "auth/signature.hpp"

#include <pusher/auth.hpp>

#include <array>
#include <climits>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace pusher::detail::auth {

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // The one-shot HMAC() is not deprecated in OpenSSL 3 (only HMAC_CTX is) and exists in 1.1.1.
  // A secret longer than INT_MAX cannot be passed; such a key is not a Pusher secret anyway.
  const int key_length = secret.size() > INT_MAX ? INT_MAX : static_cast<int>(secret.size());
  // Never hand OpenSSL a null pointer for an empty key or message (an empty view may have one).
  static constexpr unsigned char kEmpty[1] = {0};
  const void* key = secret.empty() ? kEmpty : static_cast<const void*>(secret.data());
  const unsigned char* message =
      data.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  HMAC(EVP_sha256(), key, key_length, message, data.size(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * static_cast<std::size_t>(length));
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string channel_string_to_sign(std::string_view socket_id, std::string_view channel,
                                   std::string_view channel_data) {
  std::string out;
  out.reserve(socket_id.size() + channel.size() + channel_data.size() + 2);
  out.append(socket_id).append(":").append(channel);
  if (!channel_data.empty()) out.append(":").append(channel_data);
  return out;
}

std::string user_string_to_sign(std::string_view socket_id, std::string_view user_data) {
  std::string out;
  out.reserve(socket_id.size() + user_data.size() + 8);
  out.append(socket_id).append("::user::").append(user_data);
  return out;
}

}  // namespace pusher::detail::auth

namespace pusher {

std::string sign_auth(const std::string& app_key, const std::string& app_secret,
                      const std::string& string_to_sign) {
  return app_key + ":" + detail::auth::hmac_sha256_hex(app_secret, string_to_sign);
}

}  // namespace pusher
