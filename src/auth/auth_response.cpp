#include "auth/auth_response.hpp"

#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace pusher::detail::auth {
namespace {

AuthResult failure(int http_status, std::string message) {
  AuthResult result;
  result.error.code = ErrorCode::auth_failed;
  result.error.message = std::move(message);
  result.error.server_code = http_status;
  result.error.code_kind = http_status == 0 ? CodeKind::none : CodeKind::http;
  return result;
}

/// Why a status is not a success, in the words a Laravel user would search for.
const char* status_hint(int status) {
  if (status >= 300 && status < 400) return " (a redirect: is the user signed in?)";
  switch (status) {
    case 401:
      return " (unauthenticated: missing or expired token?)";
    case 403:
      return " (forbidden: the user may not join this channel)";
    case 404:
      return " (not found: check the auth endpoint URL)";
    case 419:
      return " (CSRF token mismatch or expired session)";
    default:
      return "";
  }
}

/// Reads the optional string member `name`. False when it exists with another type.
bool read_string(const rapidjson::Value& object, const char* name, std::string& out) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return true;
  if (!it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

}  // namespace

AuthResult parse_auth_response(int http_status, std::string_view body, bool user_signin) {
  const std::string prefix = "auth endpoint answered " + std::to_string(http_status);
  if (http_status != 200 && http_status != 201) {
    return failure(http_status, prefix + status_hint(http_status));
  }
  if (body.size() > kMaxAuthResponseSize) {
    return failure(http_status, prefix + " but the body is larger than 1 MiB");
  }
  if (body.empty()) return failure(http_status, prefix + " with an empty body");
  rapidjson::Document doc;
  if (!protocol::parse_document(body, doc)) {
    return failure(http_status, prefix + " but the body is not JSON");
  }
  if (!doc.IsObject()) return failure(http_status, prefix + " but the body is not a JSON object");

  AuthResult result;
  if (!read_string(doc, "auth", result.auth)) {
    return failure(http_status, prefix + " but its auth field is not a string");
  }
  if (result.auth.empty()) return failure(http_status, prefix + " but the body has no auth field");
  if (!read_string(doc, "shared_secret", result.shared_secret)) {
    return failure(http_status, prefix + " but its shared_secret field is not a string");
  }
  if (user_signin) {
    auto it = doc.FindMember("user_data");
    if (it == doc.MemberEnd() || !it->value.IsString()) {
      return failure(http_status, prefix + " but the body has no user_data string");
    }
    result.user_data.assign(it->value.GetString(), it->value.GetStringLength());
    return result;
  }
  auto it = doc.FindMember("channel_data");
  if (it != doc.MemberEnd()) {
    if (it->value.IsString()) {
      result.channel_data.assign(it->value.GetString(), it->value.GetStringLength());
    } else if (it->value.IsObject()) {
      result.channel_data = protocol::to_json(it->value);
    } else if (!it->value.IsNull()) {
      return failure(http_status,
                     prefix + " but its channel_data is neither a string nor an object");
    }
  }
  return result;
}

}  // namespace pusher::detail::auth
