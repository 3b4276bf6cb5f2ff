#include "auth/http_client.hpp"

#include <atomic>
#include <unordered_map>
#include <utility>

#include <curl/curl.h>

#include "net/event_loop.hpp"

namespace pusher::detail::auth {

/// One request: the easy handle and everything libcurl points into while it runs.
struct HttpClient::Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;  // CURLOPT_POSTFIELDS is not copied by libcurl
  HttpResponse response;
  std::size_t max_response_size = 0;
  char error[CURL_ERROR_SIZE] = {};
  Callback done;

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }

  /// Sets every option; false when libcurl refuses one (an unusable URL, say).
  bool configure(const HttpRequest& request);

  static size_t on_write(char* data, size_t size, size_t count, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const size_t n = size * count;
    if (n > t->max_response_size - t->response.body.size()) {
      t->response.too_large = true;
      return 0;  // libcurl stops with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, n);
    return n;
  }
};

/// The client's state, shared with the loop's completion callbacks (which hold it weakly) and
/// with a clean-up task when the client dies off the loop thread.
struct HttpClient::Shared {
  explicit Shared(net::EventLoop& l) : loop(l) {}

  /// Removes every transfer from the loop and frees it; loop thread (or loop not running).
  void cancel_all() noexcept {
    for (auto& [id, transfer] : transfers) {
      if (transfer->easy != nullptr) loop.remove_transfer(transfer->easy);
    }
    transfers.clear();
  }

  void finish(RequestId id, int curl_code) {
    if (closed.load()) return;
    auto it = transfers.find(id);
    if (it == transfers.end()) return;
    std::shared_ptr<Transfer> t = std::move(it->second);
    transfers.erase(it);
    HttpResponse& r = t->response;
    r.curl_code = curl_code;
    if (t->easy != nullptr) {
      curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
      loop.remove_transfer(t->easy);
    }
    if (curl_code == CURLE_FILESIZE_EXCEEDED) r.too_large = true;
    if (curl_code != CURLE_OK) {
      r.error =
          t->error[0] != '\0' ? t->error : curl_easy_strerror(static_cast<CURLcode>(curl_code));
    }
    HttpResponse response = std::move(r);
    Callback done = std::move(t->done);
    t.reset();  // the easy handle goes before the callback, which may destroy the client
    if (done) done(std::move(response));
  }

  net::EventLoop& loop;
  std::atomic<bool> closed{false};
  std::unordered_map<RequestId, std::shared_ptr<Transfer>> transfers;
  RequestId next_id = 1;
};

namespace {

void set_protocols(CURL* easy) {
  // An auth endpoint is HTTP(S): never let a URL reach file://, smtp:// and the like.
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0 added the _STR options and deprecated the others
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

}  // namespace

bool HttpClient::Transfer::configure(const HttpRequest& request) {
  easy = curl_easy_init();
  if (easy == nullptr) return false;
  body = request.body;
  max_response_size = request.max_response_size;
  for (const std::string& line : request.headers) {
    curl_slist* grown = curl_slist_append(headers, line.c_str());
    if (grown == nullptr) return false;
    headers = grown;
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; an auth endpoint gains nothing from it.
  curl_slist* grown = curl_slist_append(headers, "Expect:");
  if (grown == nullptr) return false;
  headers = grown;

  const long timeout_ms = static_cast<long>(request.timeout.count());
  set_protocols(easy);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_response_size));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, request.verify_peer ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, request.verify_peer ? 2L : 0L);
  if (!request.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.proxy) curl_easy_setopt(easy, CURLOPT_PROXY, request.proxy->c_str());
  return curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()) == CURLE_OK;
}

HttpClient::HttpClient(net::EventLoop& loop) : shared_(std::make_shared<Shared>(loop)) {}

HttpClient::~HttpClient() {
  shared_->closed.store(true);
  if (shared_->loop.in_loop_thread()) {
    shared_->cancel_all();
    return;
  }
  // Off the loop thread the transfers are the loop's to touch: hand it the clean-up. If the
  // loop never runs again, destroying it drops this task, and the transfers with it, after
  // it has taken every handle out of its multi handle.
  shared_->loop.post([shared = shared_] { shared->cancel_all(); });
}

HttpClient::RequestId HttpClient::post(const HttpRequest& request, Callback done) {
  const RequestId id = shared_->next_id++;
  auto t = std::make_shared<Transfer>();
  t->done = std::move(done);
  const bool ok = t->configure(request);
  if (!ok && t->easy != nullptr) {
    curl_easy_cleanup(t->easy);
    t->easy = nullptr;
  }
  CURL* easy = t->easy;
  shared_->transfers.emplace(id, std::move(t));
  std::weak_ptr<Shared> weak = shared_;
  if (!ok) {
    // Report on the next turn: callbacks never run inside post().
    shared_->loop.post([weak, id] {
      if (auto shared = weak.lock()) shared->finish(id, CURLE_FAILED_INIT);
    });
    return id;
  }
  shared_->loop.add_transfer(easy, [weak, id](int curl_code) {
    if (auto shared = weak.lock()) shared->finish(id, curl_code);
  });
  return id;
}

void HttpClient::cancel(RequestId id) noexcept {
  auto it = shared_->transfers.find(id);
  if (it == shared_->transfers.end()) return;
  if (it->second->easy != nullptr) shared_->loop.remove_transfer(it->second->easy);
  shared_->transfers.erase(it);
}

std::size_t HttpClient::pending() const noexcept {
  return shared_->transfers.size();
}

}  // namespace pusher::detail::auth
