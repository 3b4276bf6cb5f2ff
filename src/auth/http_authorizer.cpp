#include "auth/http_authorizer.hpp"

#include <exception>
#include <initializer_list>
#include <stdexcept>
#include <utility>

#include <curl/curl.h>

#include "auth/auth_response.hpp"
#include "auth/http_client.hpp"
#include "error_codes.hpp"
#include "protocol/channel.hpp"

namespace pusher::detail::auth {
namespace {

AuthResult failure(ErrorCode code, std::string message, int number = 0,
                   CodeKind kind = CodeKind::http) {
  AuthResult result;
  result.error = make_error(code, std::move(message), number, kind);
  return result;
}

/// Calls a provider, which may be empty or throw; `error` says why on a throw.
Fields call_provider(const std::function<Fields()>& provider, const char* name,
                     std::string& error) {
  if (!provider) return {};
  try {
    return provider();
  } catch (const std::exception& e) {
    error = std::string(name) + " threw: " + e.what();
  } catch (...) {
    error = std::string(name) + " threw";
  }
  return {};
}

/// "" if `name: value` is a header line libcurl can send as it is, else why not. The value
/// is never quoted: it may be a token.
std::string check_header(const std::string& name, const std::string& value) {
  if (name.empty()) return "a header has an empty name";
  if (name.find_first_of(":\r\n \t") != std::string::npos) {
    return "header name '" + name + "' holds a colon, a space or a line break";
  }
  if (value.find_first_of("\r\n") != std::string::npos) {
    return "the value of header '" + name + "' holds a line break";
  }
  return {};
}

void append_field(std::string& body, const std::string& name, const std::string& value) {
  if (!body.empty()) body.push_back('&');
  body.append(form_encode(name)).append("=").append(form_encode(value));
}

/// The AuthResult of a finished request (Pusher's channel authorization reference).
AuthResult to_result(const HttpResponse& response, const AuthRequest& request,
                     std::chrono::milliseconds timeout) {
  const int status = static_cast<int>(response.status);
  if (response.too_large) {
    return failure(ErrorCode::auth_failed, "auth endpoint answered more than 1 MiB", status);
  }
  switch (response.curl_code) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      return failure(ErrorCode::timeout, "auth endpoint did not answer within " +
                                             std::to_string(timeout.count()) + " ms");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return failure(ErrorCode::auth_failed, "auth endpoint unreachable: " + response.error,
                     response.curl_code, CodeKind::transport);
    default:
      // Failed below HTTP: the status when one arrived, else libcurl's code.
      if (status != 0) {
        return failure(ErrorCode::auth_failed, "auth request failed: " + response.error, status);
      }
      return failure(ErrorCode::auth_failed, "auth request failed: " + response.error,
                     response.curl_code, CodeKind::transport);
  }
  const bool signin = request.channel_name.empty();
  AuthResult result = parse_auth_response(status, response.body, signin);
  if (result.error || signin) return result;
  switch (protocol::channel_kind(request.channel_name)) {
    case protocol::ChannelKind::presence:
      if (result.channel_data.empty()) {
        return failure(ErrorCode::auth_failed,
                       "auth endpoint gave no channel_data for a presence channel", status);
      }
      break;
    case protocol::ChannelKind::private_encrypted:
      if (result.shared_secret.empty()) {
        return failure(ErrorCode::auth_failed,
                       "auth endpoint gave no shared_secret for a private-encrypted channel",
                       status);
      }
      break;
    default:
      break;
  }
  return result;
}

class HttpAuthorizer final : public Authorizer {
 public:
  HttpAuthorizer(net::EventLoop& loop, HttpAuthOptions options)
      : options_(std::move(options)), client_(loop) {}

  void authorize(const AuthRequest& request, AuthCallback done) override {
    HttpRequest http;
    std::string error = build(request, http);
    if (!error.empty()) {
      AuthResult result = failure(ErrorCode::auth_failed, std::move(error));
      result.error.channel = request.channel_name;
      if (done) done(std::move(result));
      return;
    }
    client_.post(http, [request, done = std::move(done),
                        timeout = options_.timeout](const HttpResponse& response) {
      AuthResult result = to_result(response, request, timeout);
      if (result.error) result.error.channel = request.channel_name;
      if (done) done(std::move(result));
    });
  }

 private:
  /// Fills `http` for `request`; "" on success, else why no request can be made.
  std::string build(const AuthRequest& request, HttpRequest& http) const {
    const bool signin = request.channel_name.empty();
    http.url = signin ? options_.user_endpoint : options_.endpoint;
    if (http.url.empty()) {
      return signin ? "user sign-in needs HttpAuthOptions::user_endpoint"
                    : "channel authorization needs HttpAuthOptions::endpoint";
    }
    std::string error;
    Fields extra_params = call_provider(options_.params_provider, "params_provider", error);
    if (!error.empty()) return error;
    Fields extra_headers = call_provider(options_.headers_provider, "headers_provider", error);
    if (!error.empty()) return error;

    append_field(http.body, "socket_id", request.socket_id);
    if (!signin) append_field(http.body, "channel_name", request.channel_name);
    for (const Fields* fields :
         std::initializer_list<const Fields*>{&options_.params, &extra_params}) {
      for (const auto& [name, value] : *fields) append_field(http.body, name, value);
    }

    http.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
    Fields headers = options_.headers;
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    if (!options_.bearer_token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
    }
    if (!options_.csrf_token.empty()) headers.emplace_back("X-CSRF-TOKEN", options_.csrf_token);
    for (const auto& [name, value] : headers) {
      error = check_header(name, value);
      if (!error.empty()) return error;
      // "Name;" is libcurl's way to send a header with an empty value ("Name:" removes it).
      std::string line = name;
      if (value.empty()) {
        line += ';';
      } else {
        line.append(": ").append(value);
      }
      http.headers.push_back(std::move(line));
    }

    http.timeout = options_.timeout;
    http.verify_peer = options_.verify_peer;
    http.ca_file = options_.ca_file;
    http.proxy = options_.proxy;
    http.max_response_size = kMaxAuthResponseSize;
    return {};
  }

  HttpAuthOptions options_;  // holds tokens: never logged
  HttpClient client_;
};

}  // namespace

std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::shared_ptr<Authorizer> make_http_authorizer(net::EventLoop& loop, HttpAuthOptions options) {
  if (options.timeout.count() <= 0) {
    throw std::invalid_argument("HttpAuthOptions::timeout must be positive");
  }
  return std::make_shared<HttpAuthorizer>(loop, std::move(options));
}

}  // namespace pusher::detail::auth
