#include "http_client.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "chat_json.hpp"

namespace chat {
namespace {

constexpr long kTimeoutMs = 10000;
constexpr long kConnectTimeoutMs = 5000;

/// One request in flight, owning everything its easy handle points to.
struct Transfer {
  HttpRequest request;
  HttpCallback done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<Transfer*>(user)->body.append(data, size * count);
  return size * count;
}

bool start(Transfer& t) {
  t.easy = curl_easy_init();
  if (t.easy == nullptr) return false;
  t.headers = curl_slist_append(t.headers, "Accept: application/json");
  if (t.request.method == "POST")
    t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
  if (!t.request.bearer_token.empty()) {
    const std::string authorization = "Authorization: Bearer " + t.request.bearer_token;
    t.headers = curl_slist_append(t.headers, authorization.c_str());
  }
  if (!t.request.socket_id.empty()) {
    const std::string socket = "X-Socket-ID: " + t.request.socket_id;
    t.headers = curl_slist_append(t.headers, socket.c_str());
  }
  curl_easy_setopt(t.easy, CURLOPT_URL, t.request.url.c_str());
  curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
  if (t.request.method == "POST") {
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.request.body.size()));
    curl_easy_setopt(t.easy, CURLOPT_COPYPOSTFIELDS, t.request.body.c_str());
  }
  curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(t.easy, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(t.easy, CURLOPT_USERAGENT, "pusher-chat");
  curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
  return true;
}

}  // namespace

std::string HttpResponse::describe() const {
  if (!error.empty()) return error;
  std::string text = "HTTP " + std::to_string(status);
  const std::string detail = error_message(body);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

struct HttpClient::Impl {
  CURLM* multi = curl_multi_init();
  std::mutex mutex;
  std::vector<std::unique_ptr<Transfer>> incoming;     // under mutex
  std::map<CURL*, std::unique_ptr<Transfer>> running;  // worker thread only
  std::atomic<bool> stop{false};
  std::thread worker;

  void run() {
    while (!stop.load()) {
      adopt();
      int still_running = 0;
      curl_multi_perform(multi, &still_running);
      finish();
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& entry : running) curl_multi_remove_handle(multi, entry.first);
    running.clear();
  }

  void adopt() {
    std::vector<std::unique_ptr<Transfer>> batch;
    {
      std::lock_guard<std::mutex> lock(mutex);
      batch.swap(incoming);
    }
    for (auto& transfer : batch) {
      if (!start(*transfer)) {
        HttpResponse failed;
        failed.error = "could not start an HTTP request";
        transfer->done(std::move(failed));
        continue;
      }
      curl_multi_add_handle(multi, transfer->easy);
      CURL* easy = transfer->easy;
      running.emplace(easy, std::move(transfer));
    }
  }

  void finish() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      const auto it = running.find(message->easy_handle);
      if (it == running.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      running.erase(it);
      curl_multi_remove_handle(multi, transfer->easy);
      HttpResponse response;
      if (message->data.result == CURLE_OK) {
        curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
        response.body = std::move(transfer->body);
      } else {
        response.error =
            transfer->error[0] != '\0' ? transfer->error : curl_easy_strerror(message->data.result);
      }
      transfer->done(std::move(response));
    }
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  impl_->worker = std::thread([impl = impl_.get()] { impl->run(); });
}

HttpClient::~HttpClient() {
  impl_->stop.store(true);
  curl_multi_wakeup(impl_->multi);
  impl_->worker.join();
  curl_multi_cleanup(impl_->multi);
}

void HttpClient::send(HttpRequest request, HttpCallback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->incoming.push_back(std::move(transfer));
  }
  curl_multi_wakeup(impl_->multi);
}

}  // namespace chat
