#pragma once

// The chat backend's HTTP API over libcurl's multi interface, on a worker thread of its own:
// the UI thread only queues requests and later receives the answers.

#include <functional>
#include <memory>
#include <string>

namespace chat {

struct HttpRequest {
  std::string method = "GET";  ///< "GET" or "POST"
  std::string url;
  std::string body;          ///< JSON, for POST
  std::string bearer_token;  ///< sent as `Authorization: Bearer`; "" for none
  std::string socket_id;     ///< sent as `X-Socket-ID` (Laravel's toOthers()); "" for none
};

struct HttpResponse {
  long status = 0;  ///< 0 when no answer came
  std::string body;
  std::string error;  ///< what failed before an answer (libcurl's words); "" otherwise

  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  /// "HTTP 401: Unauthenticated." or the transport error, for the user. Never the token.
  std::string describe() const;
};

using HttpCallback = std::function<void(HttpResponse response)>;

/// Thread safety: send() from any thread; callbacks run on the worker thread, one at a time.
class HttpClient {
 public:
  HttpClient();
  /// Stops the worker; requests still running are abandoned without their callback.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Starts `request`; `done` gets the answer (10 s at most).
  void send(HttpRequest request, HttpCallback done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chat
