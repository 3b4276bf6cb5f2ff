#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pusher::detail::net {
class EventLoop;
}

namespace pusher::detail::auth {

/// One HTTP POST.
struct HttpRequest {
  std::string url;                   ///< http:// or https:// (no other scheme is allowed)
  std::vector<std::string> headers;  ///< complete "Name: value" lines, without CR or LF
  std::string body;
  std::chrono::milliseconds timeout{10000};  ///< the whole exchange, connect included
  bool verify_peer = true;
  std::string ca_file;
  std::optional<std::string> proxy;  ///< nullopt: libcurl reads the environment; "": none
  std::size_t max_response_size = std::size_t{1024} * 1024;
};

/// How a POST ended. `curl_code` is 0 (CURLE_OK) when a complete response arrived, whatever
/// its status; otherwise `error` holds libcurl's description.
struct HttpResponse {
  int curl_code = 0;
  long status = 0;  ///< HTTP status, 0 when no response line arrived
  std::string body;
  bool too_large = false;  ///< the body passed max_response_size and the transfer was stopped
  std::string error;
};

/// POSTs through an EventLoop's libcurl multi handle: no thread of its own, no blocking.
/// Redirects are not followed.
///
/// Thread safety: post() and cancel() on the loop thread only; callbacks run there. The
/// destructor cancels every request still in flight, so their callbacks never run: call it on
/// the loop thread or while the loop is not running; called on another thread while the
/// loop runs, it only hands the clean-up to the loop, and a callback the loop has already
/// started may still finish. The EventLoop must outlive the client.
class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse response)>;
  using RequestId = std::uint64_t;

  explicit HttpClient(net::EventLoop& loop);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Starts a POST; `done` runs once on the loop thread, never inside post().
  RequestId post(const HttpRequest& request, Callback done);
  /// Drops a request in flight; its callback will not run. Harmless for unknown ids.
  void cancel(RequestId id) noexcept;
  /// Requests in flight.
  std::size_t pending() const noexcept;

 private:
  struct Transfer;
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace pusher::detail::auth
