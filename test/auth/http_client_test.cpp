// The loop-driven HTTP client under the authorizer, against auth-server.mjs.
#include "auth/http_client.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "auth_server.hpp"
#include "net/event_loop.hpp"

using pusher::detail::auth::HttpClient;
using pusher::detail::auth::HttpRequest;
using pusher::detail::auth::HttpResponse;
using pusher::detail::net::LoopThread;
using pusher::test::run_on;
using pusher::test::shared_auth_server;
using namespace std::chrono_literals;

namespace {

HttpRequest request_to(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.proxy = "";
  r.headers = {"Content-Type: application/x-www-form-urlencoded", "Authorization: Bearer tok-a"};
  r.body = "socket_id=1.2&channel_name=private-a";
  return r;
}

/// Posts on the loop thread and waits for the response.
HttpResponse post_and_wait(LoopThread& thread, HttpClient& client, const HttpRequest& request) {
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto result = promise->get_future();
  run_on(thread.loop(), [&client, request, promise] {
    client.post(request, [promise](HttpResponse r) { promise->set_value(std::move(r)); });
  });
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  return result.get();
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a POST returns status and body; error statuses are responses too") {
    auto& server = shared_auth_server();
    LoopThread thread;
    auto client = std::make_unique<HttpClient>(thread.loop());
    HttpResponse ok = post_and_wait(thread, *client, request_to(server.url("/broadcasting/auth")));
    CHECK(ok.curl_code == 0);
    CHECK(ok.status == 200);
    CHECK(ok.body.find("\"auth\":\"") != std::string::npos);
    CHECK(ok.error.empty());

    HttpResponse missing = post_and_wait(thread, *client, request_to(server.url("/nope")));
    CHECK(missing.curl_code == 0);
    CHECK(missing.status == 404);
    run_on(thread.loop(), [&] { client.reset(); });
  }

  TEST_CASE("a body past the limit stops the transfer") {
    auto& server = shared_auth_server();
    LoopThread thread;
    auto client = std::make_unique<HttpClient>(thread.loop());
    HttpRequest r = request_to(server.url("/broadcasting/auth?huge=1"));
    r.max_response_size = 1000;
    HttpResponse got = post_and_wait(thread, *client, r);
    CHECK(got.curl_code != 0);
    CHECK(got.too_large);
    CHECK(got.body.size() <= 1000);
    run_on(thread.loop(), [&] { client.reset(); });
  }

  TEST_CASE("only http and https URLs are fetched") {
    LoopThread thread;
    auto client = std::make_unique<HttpClient>(thread.loop());
    HttpResponse got = post_and_wait(thread, *client, request_to("file:///etc/passwd"));
    CHECK(got.curl_code != 0);
    CHECK(got.body.empty());
    CHECK_FALSE(got.error.empty());
    got = post_and_wait(thread, *client, request_to("not a url"));
    CHECK(got.curl_code != 0);
    run_on(thread.loop(), [&] { client.reset(); });
  }

  TEST_CASE("cancel drops a request: its callback never runs") {
    auto& server = shared_auth_server();
    LoopThread thread;
    auto client = std::make_unique<HttpClient>(thread.loop());
    auto calls = std::make_shared<std::atomic<int>>(0);
    run_on(thread.loop(), [&] {
      auto id = client->post(request_to(server.url("/broadcasting/auth?delay=100")),
                             [calls](const HttpResponse&) { ++*calls; });
      CHECK(client->pending() == 1);
      client->cancel(id);
      client->cancel(id);  // harmless twice
      client->cancel(9999);
      CHECK(client->pending() == 0);
    });
    // Answered after the cancelled one would have been.
    HttpResponse later =
        post_and_wait(thread, *client, request_to(server.url("/broadcasting/auth?delay=400")));
    CHECK(later.status == 200);
    CHECK(calls->load() == 0);
    run_on(thread.loop(), [&] { client.reset(); });
  }
}
