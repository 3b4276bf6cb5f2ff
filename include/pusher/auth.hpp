#pragma once

/// @file
/// Authorising private and presence channels (and user sign-in): through the app's HTTP
/// endpoint (Laravel's `/broadcasting/auth`), locally with the app secret, or any other way.

#include <pusher/error.hpp>
#include <pusher/export.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pusher {

/// What needs authorising. `channel_name` is empty for a user sign-in.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct AuthRequest {
  std::string socket_id;     ///< the connection's socket id, part of the signed string
  std::string channel_name;  ///< the channel to join; "" for a user sign-in
};

/// The answer of an authorizer. On failure `error` is set (code auth_failed, server_code the
/// HTTP status when there was one) and the other fields are empty.
///
/// Thread safety: a plain value; share it between threads as you would a std::string.
struct AuthResult {
  std::string auth;           ///< "<app key>:<hex HMAC-SHA256>"
  std::string channel_data;   ///< presence: the JSON text that was signed, passed on byte for byte
  std::string shared_secret;  ///< private-encrypted-: base64 of the channel's 32-byte key
  std::string user_data;      ///< user sign-in: the JSON text that was signed
  Error error;                ///< set on failure
};

/// Called exactly once with the result, from any thread (possibly inside authorize()), unless
/// the authorizer is destroyed first: an authorizer may then drop its pending callbacks.
/// Thread safety: may be called from any thread (the SDK hops back to its loop).
using AuthCallback = std::function<void(AuthResult result)>;

/// Authorises one channel subscription or sign-in, asynchronously: the SDK never blocks its
/// loop on it.
///
/// Thread safety: authorize() is called on the Manager's loop thread; `done` may be called
/// from any thread (the SDK hops back to its loop).
class PUSHER_API Authorizer {
 public:
  virtual ~Authorizer();
  /// Starts authorising `request`; calls `done` exactly once with the result, now or later,
  /// on any thread. Must not block. An exception thrown from here fails the subscription.
  virtual void authorize(const AuthRequest& request, AuthCallback done) = 0;
};

/// A list of HTTP header or form fields, as (name, value) pairs in order.
/// Thread safety: a plain value.
using Fields = std::vector<std::pair<std::string, std::string>>;

/// How to reach the app's auth endpoint over HTTP, as pusher-js and Laravel Echo do:
/// `POST` with `application/x-www-form-urlencoded` body `socket_id=..&channel_name=..` plus
/// `params` and the provider's fields; success is 200 or 201 with a JSON body.
///
/// Thread safety: a plain value; the providers are called on the Manager's loop thread.
struct HttpAuthOptions {
  /// Absolute URL of the channel auth endpoint, e.g. "https://app.example/broadcasting/auth".
  std::string endpoint;
  /// Absolute URL of the user sign-in endpoint (Echo: /broadcasting/user-auth); "" disables it.
  std::string user_endpoint;
  Fields headers;  ///< sent on every request
  Fields params;   ///< added to every body
  /// Called before every request (so a refreshed token is used on the next reconnect).
  std::function<Fields()> headers_provider;
  /// Called before every request, for body fields (as headers_provider for headers).
  std::function<Fields()> params_provider;
  /// Echo's conveniences: `Authorization: Bearer <token>` and `X-CSRF-TOKEN`.
  std::string bearer_token;
  std::string csrf_token;  ///< sent as `X-CSRF-TOKEN` when set
  /// Limit for the whole request, connect included; must be positive. Expiry gives an Error
  /// with code `timeout`.
  std::chrono::milliseconds timeout{10000};
  bool verify_peer = true;  ///< verify the endpoint's TLS certificate and host name
  std::string ca_file;      ///< PEM file of CA certificates; empty: the system's store
  /// nullopt: the `http_proxy`/`https_proxy`/`no_proxy` environment; "": no proxy at all.
  std::optional<std::string> proxy;
};

/// Signs locally with the app secret (HMAC-SHA256), for trusted processes and tests only: a
/// program that holds the secret can join any channel as anyone. `presence_data` gives the
/// channel_data JSON for a presence channel (`{"user_id":"..","user_info":{..}}`) and
/// `user_data` the JSON for a user sign-in (`{"id":".."}`); either may be empty when unused.
/// `done` is called inside authorize(). A presence channel or sign-in without its data (or
/// with JSON lacking user_id / id), and any private-encrypted- channel (it needs the
/// encryption master key), give an auth_failed result. Throws std::invalid_argument when
/// app_key or app_secret is empty. The secret is never logged.
/// Thread safety: safe from any thread. The authorizer holds no mutable state: several
/// Managers may share it, and its data functions are called on their loop threads.
PUSHER_API std::shared_ptr<Authorizer> make_secret_authorizer(
    std::string app_key, std::string app_secret,
    std::function<std::string(const AuthRequest&)> presence_data = {},
    std::function<std::string(const AuthRequest&)> user_data = {});

/// `"<app_key>:" + hex(HMAC-SHA256(secret, string_to_sign))`: the Pusher auth signature.
/// string_to_sign is `socket:channel`, `socket:channel:channel_data` or
/// `socket::user::user_data` (Pusher docs, "User authentication").
/// Thread safety: a pure function, safe from any thread.
PUSHER_API std::string sign_auth(const std::string& app_key, const std::string& app_secret,
                                 const std::string& string_to_sign);

}  // namespace pusher
