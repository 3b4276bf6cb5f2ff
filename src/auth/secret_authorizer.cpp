// make_secret_authorizer (include/pusher/auth.hpp): signs inside this process with the app
// secret, the way the server libraries do (Pusher's channel authorization
// reference; the `pusher` npm library's authorizeChannel).
#include <pusher/auth.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "auth/signature.hpp"
#include "protocol/channel.hpp"
#include "protocol/json.hpp"

namespace pusher {

Authorizer::~Authorizer() = default;

namespace detail::auth {
namespace {

using DataFunction = std::function<std::string(const AuthRequest&)>;

AuthResult failure(const AuthRequest& request, std::string message) {
  AuthResult result;
  result.error.code = ErrorCode::auth_failed;
  result.error.message = std::move(message);
  result.error.channel = request.channel_name;
  return result;
}

/// Calls `function` (may be empty or throw); "" on both, with `error` saying why on a throw.
std::string call_data_function(const DataFunction& function, const AuthRequest& request,
                               const char* name, std::string& error) {
  if (!function) return {};
  try {
    return function(request);
  } catch (const std::exception& e) {
    error = std::string(name) + " threw: " + e.what();
  } catch (...) {
    error = std::string(name) + " threw";
  }
  return {};
}

/// True when `json` is an object with member `member` (servers reject anything else).
bool is_object_with(const std::string& json, const char* member) {
  rapidjson::Document doc;
  return protocol::parse_document(json, doc) && doc.IsObject() && doc.HasMember(member);
}

class SecretAuthorizer final : public Authorizer {
 public:
  SecretAuthorizer(std::string key, std::string secret, DataFunction presence_data,
                   DataFunction user_data)
      : key_(std::move(key)),
        secret_(std::move(secret)),
        presence_data_(std::move(presence_data)),
        user_data_(std::move(user_data)) {}

  void authorize(const AuthRequest& request, AuthCallback done) override {
    AuthResult result = request.channel_name.empty() ? sign_user(request) : sign_channel(request);
    if (done) done(std::move(result));
  }

 private:
  AuthResult sign_channel(const AuthRequest& request) const {
    switch (protocol::channel_kind(request.channel_name)) {
      case protocol::ChannelKind::private_encrypted:
        // The shared secret derives from the encryption master key, which this authorizer
        // does not hold.
        return failure(request,
                       "private-encrypted- channels need the encryption master key: use an HTTP "
                       "authorizer");
      case protocol::ChannelKind::presence:
        return sign_presence(request);
      case protocol::ChannelKind::private_channel:
      case protocol::ChannelKind::public_channel:
        break;
    }
    AuthResult result;
    result.auth =
        sign_auth(key_, secret_, channel_string_to_sign(request.socket_id, request.channel_name));
    return result;
  }

  AuthResult sign_presence(const AuthRequest& request) const {
    std::string error;
    std::string data = call_data_function(presence_data_, request, "presence_data", error);
    if (!error.empty()) return failure(request, error);
    if (data.empty()) {
      return failure(request,
                     "presence channels need presence_data (the channel_data JSON, "
                     "{\"user_id\":..,\"user_info\":{..}}) in make_secret_authorizer");
    }
    if (!is_object_with(data, "user_id")) {
      return failure(request, "presence_data must give a JSON object with a user_id");
    }
    AuthResult result;
    result.auth = sign_auth(key_, secret_,
                            channel_string_to_sign(request.socket_id, request.channel_name, data));
    result.channel_data = std::move(data);
    return result;
  }

  AuthResult sign_user(const AuthRequest& request) const {
    std::string error;
    std::string data = call_data_function(user_data_, request, "user_data", error);
    if (!error.empty()) return failure(request, error);
    if (data.empty()) {
      return failure(request,
                     "user sign-in needs user_data (the user JSON, {\"id\":..}) in "
                     "make_secret_authorizer");
    }
    if (!is_object_with(data, "id")) {
      return failure(request, "user_data must give a JSON object with an id");
    }
    AuthResult result;
    result.auth = sign_auth(key_, secret_, user_string_to_sign(request.socket_id, data));
    result.user_data = std::move(data);
    return result;
  }

  std::string key_;
  std::string secret_;  // never logged nor put in a message
  DataFunction presence_data_;
  DataFunction user_data_;
};

}  // namespace
}  // namespace detail::auth

std::shared_ptr<Authorizer> make_secret_authorizer(
    std::string app_key, std::string app_secret,
    std::function<std::string(const AuthRequest&)> presence_data,
    std::function<std::string(const AuthRequest&)> user_data) {
  if (app_key.empty() || app_secret.empty()) {
    throw std::invalid_argument("make_secret_authorizer: app_key and app_secret must not be empty");
  }
  return std::make_shared<detail::auth::SecretAuthorizer>(
      std::move(app_key), std::move(app_secret), std::move(presence_data), std::move(user_data));
}

}  // namespace pusher
