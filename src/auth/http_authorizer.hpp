#pragma once

#include <pusher/auth.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace pusher::detail::net {
class EventLoop;
}

namespace pusher::detail::auth {

/// An Authorizer that POSTs to the app's auth endpoint as pusher-js and Laravel Echo do
/// (Pusher's channel authorization reference), through `loop`'s libcurl multi handle.
///
/// authorize() must be called on the loop thread. `done` runs once: on the loop thread with
/// the endpoint's answer, or inside authorize() when no request could be made (no endpoint
/// for the kind of request, a provider threw, a header holds a line break). There is no retry:
/// a 401, 403 or 419 is reported as it is.
///
/// Destruction cancels the requests in flight and their `done` is never called (not even with
/// an error): destroy it on the loop thread or while the loop is not running. Destroyed on
/// another thread while the loop runs, a `done` the loop has already started may still
/// finish. The EventLoop must outlive the authorizer. Throws std::invalid_argument when
/// options.timeout is not positive.
std::shared_ptr<Authorizer> make_http_authorizer(net::EventLoop& loop, HttpAuthOptions options);

/// application/x-www-form-urlencoded encoding of one name or value: unreserved characters
/// (A-Z a-z 0-9 - . _ ~) as they are, every other byte as %XX.
std::string form_encode(std::string_view text);

}  // namespace pusher::detail::auth
