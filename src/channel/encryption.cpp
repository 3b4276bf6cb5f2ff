#include "channel/encryption.hpp"

#include <openssl/evp.h>

#include <rapidjson/document.h>

#if PUSHER_HAVE_SODIUM
#include <sodium.h>
#endif

namespace pusher::detail {

bool encryption_supported() noexcept { return PUSHER_HAVE_SODIUM != 0; }

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > (1u << 24)) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as data: take it back off.
  std::size_t size = static_cast<std::size_t>(n);
  if (text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::optional<std::string> decrypt_event(std::string_view data_json,
                                         std::string_view shared_secret_b64, std::string& error) {
#if PUSHER_HAVE_SODIUM
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(data_json.data(), data_json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("ciphertext") ||
      !doc.HasMember("nonce") || !doc["ciphertext"].IsString() || !doc["nonce"].IsString()) {
    error = "encrypted event without ciphertext and nonce";
    return std::nullopt;
  }
  auto key = base64_decode(shared_secret_b64);
  auto nonce = base64_decode({doc["nonce"].GetString(), doc["nonce"].GetStringLength()});
  auto box = base64_decode({doc["ciphertext"].GetString(), doc["ciphertext"].GetStringLength()});
  if (!key || key->size() != crypto_secretbox_KEYBYTES) {
    error = "the channel's shared secret is not a 32-byte key";
    return std::nullopt;
  }
  if (!nonce || nonce->size() != crypto_secretbox_NONCEBYTES || !box ||
      box->size() < crypto_secretbox_MACBYTES) {
    error = "encrypted event with a malformed nonce or ciphertext";
    return std::nullopt;
  }
  std::string plain(box->size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(box->data()),
                                 box->size(),
                                 reinterpret_cast<const unsigned char*>(nonce->data()),
                                 reinterpret_cast<const unsigned char*>(key->data())) != 0) {
    error = "could not decrypt the event with the channel's key";
    return std::nullopt;
  }
  return plain;
#else
  (void)data_json;
  (void)shared_secret_b64;
  error = "this build of pusher-cpp has no libsodium: private-encrypted channels are unavailable";
  return std::nullopt;
#endif
}

}  // namespace pusher::detail
