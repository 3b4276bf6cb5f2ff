// The HTTP authorizer against auth-server.mjs, whose signatures come from the official
// `pusher` server library: our signing and theirs are checked against each other.
#include "auth/http_authorizer.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

#include "auth/signature.hpp"
#include "auth_server.hpp"
#include "net/event_loop.hpp"

using pusher::AuthResult;
using pusher::ErrorCode;
using pusher::HttpAuthOptions;
using pusher::detail::auth::make_http_authorizer;
using pusher::detail::net::LoopThread;
using pusher::test::authorize_on;
using pusher::test::kAppKey;
using pusher::test::kAppSecret;
using pusher::test::run_on;
using pusher::test::shared_auth_server;
using namespace std::chrono_literals;

namespace {

HttpAuthOptions options_for(const pusher::test::AuthServer& server, const std::string& token) {
  HttpAuthOptions o;
  o.endpoint = server.url("/broadcasting/auth");
  o.user_endpoint = server.url("/broadcasting/user-auth");
  o.bearer_token = token;
  o.proxy = "";  // loopback only, whatever the environment says
  o.timeout = 10s;
  return o;
}

std::string our_signature(const std::string& to_sign) {
  return pusher::sign_auth(kAppKey, kAppSecret, to_sign);
}

void check_failed(const AuthResult& r, int status, const std::string& channel,
                  const std::string& words) {
  CHECK(r.error.code == ErrorCode::auth_failed);
  CHECK(r.error.server_code == status);
  CHECK(r.error.code_kind == (status == 0 ? pusher::CodeKind::none : pusher::CodeKind::http));
  CHECK(r.error.channel == channel);
  CHECK(r.error.message.find(words) != std::string::npos);
  CHECK(r.auth.empty());
  CHECK(r.error.message.find("tok-") == std::string::npos);
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("private, presence and sign-in signatures agree with the official library") {
    auto& server = shared_auth_server();
    LoopThread thread;
    auto authorizer = make_http_authorizer(thread.loop(), options_for(server, "tok-b"));

    AuthResult priv = authorize_on(thread.loop(), *authorizer, {"123.456", "private-orders.7"});
    REQUIRE_FALSE(priv.error);
    CHECK(priv.auth == our_signature("123.456:private-orders.7"));
    CHECK(priv.channel_data.empty());

    // JSON.stringify output, escapes and UTF-8 included: passed on byte for byte.
    const std::string expected_data =
        "{\"user_id\":\"2\",\"user_info\":{\"name\":\"Bob \\\"B\\\" Zo\xC3\xAB/\xCE\xB1\"}}";
    AuthResult presence = authorize_on(thread.loop(), *authorizer, {"123.456", "presence-room"});
    REQUIRE_FALSE(presence.error);
    CHECK(presence.channel_data == expected_data);
    CHECK(presence.auth == our_signature("123.456:presence-room:" + expected_data));

    AuthResult user = authorize_on(thread.loop(), *authorizer, {"123.456", ""});
    REQUIRE_FALSE(user.error);
    CHECK(user.user_data == "{\"id\":\"2\",\"name\":\"Bob \\\"B\\\" Zo\xC3\xAB/\xCE\xB1\"}");
    CHECK(user.auth == our_signature("123.456::user::" + user.user_data));

    AuthResult encrypted =
        authorize_on(thread.loop(), *authorizer, {"123.456", "private-encrypted-vault"});
    REQUIRE_FALSE(encrypted.error);
    CHECK(encrypted.auth == our_signature("123.456:private-encrypted-vault"));
    CHECK(encrypted.shared_secret.size() == 44);  // base64 of 32 bytes
    run_on(thread.loop(), [&] { authorizer.reset(); });
  }

  TEST_CASE("params, headers and both providers reach the endpoint, providers on every request") {
    auto& server = shared_auth_server();
    LoopThread thread;
    HttpAuthOptions o = options_for(server, "tok-a");
    o.params = {{"team", "a b&c=d"}, {"empty", ""}};
    o.headers = {{"X-Test-Static", "s 1"}};
    auto calls = std::make_shared<std::atomic<int>>(0);
    o.params_provider = [calls] { return pusher::Fields{{"fresh", std::to_string(++*calls)}}; };
    o.headers_provider = [calls] {
      return pusher::Fields{{"X-Test-Dynamic", "d" + std::to_string(calls->load())}};
    };
    auto authorizer = make_http_authorizer(thread.loop(), o);

    for (int round = 1; round <= 2; ++round) {
      CAPTURE(round);
      AuthResult r = authorize_on(thread.loop(), *authorizer, {"1.2", "presence-echo"});
      REQUIRE_FALSE(r.error);
      CHECK(r.auth == our_signature("1.2:presence-echo:" + r.channel_data));
      rapidjson::Document doc;
      doc.Parse(r.channel_data.c_str());
      REQUIRE(doc.IsObject());
      const auto& info = doc["user_info"];
      CHECK(std::string(info["name"].GetString()) == "Alice");
      CHECK(std::string(info["params"]["team"].GetString()) == "a b&c=d");
      CHECK(std::string(info["params"]["empty"].GetString()) == "");
      CHECK(std::string(info["params"]["fresh"].GetString()) == std::to_string(round));
      CHECK(std::string(info["headers"]["x-test-static"].GetString()) == "s 1");
      CHECK(std::string(info["headers"]["x-test-dynamic"].GetString()) ==
            "d" + std::to_string(round));
    }
    CHECK(calls->load() == 2);
    run_on(thread.loop(), [&] { authorizer.reset(); });
  }

  TEST_CASE("401, 403 and 419 give auth_failed with the status, and nothing is retried") {
    auto& server = shared_auth_server();
    pusher::test::AuthServer csrf_server("csrf-ok");
    LoopThread thread;
    auto& loop = thread.loop();

    auto anonymous = make_http_authorizer(loop, options_for(server, ""));
    check_failed(authorize_on(loop, *anonymous, {"1.2", "private-a"}), 401, "private-a", "401");
    auto wrong = make_http_authorizer(loop, options_for(server, "tok-zzz"));
    check_failed(authorize_on(loop, *wrong, {"1.2", "private-a"}), 401, "private-a", "401");
    check_failed(authorize_on(loop, *wrong, {"1.2", ""}), 401, "", "401");

    auto alice = make_http_authorizer(loop, options_for(server, "tok-a"));
    check_failed(authorize_on(loop, *alice, {"1.2", "private-forbidden-x"}), 403,
                 "private-forbidden-x", "403");
    check_failed(authorize_on(loop, *alice, {"1.2", "presence-forbidden"}), 403,
                 "presence-forbidden", "403");

    HttpAuthOptions o = options_for(csrf_server, "tok-a");
    auto no_csrf = make_http_authorizer(loop, o);
    check_failed(authorize_on(loop, *no_csrf, {"1.2", "private-a"}), 419, "private-a", "CSRF");
    o.csrf_token = "csrf-bad";
    auto bad_csrf = make_http_authorizer(loop, o);
    check_failed(authorize_on(loop, *bad_csrf, {"1.2", "private-a"}), 419, "private-a", "419");
    o.csrf_token = "csrf-ok";
    auto good_csrf = make_http_authorizer(loop, o);
    AuthResult ok = authorize_on(loop, *good_csrf, {"1.2", "private-a"});
    CHECK_FALSE(ok.error);
    CHECK(ok.auth == our_signature("1.2:private-a"));
    run_on(loop, [&] {
      anonymous.reset();
      wrong.reset();
      alice.reset();
      no_csrf.reset();
      bad_csrf.reset();
      good_csrf.reset();
    });
  }

  TEST_CASE("a slow endpoint gives a timeout error within the timeout") {
    auto& server = shared_auth_server();
    LoopThread thread;
    HttpAuthOptions o = options_for(server, "tok-a");
    o.endpoint = server.url("/broadcasting/auth?delay=5000");
    o.timeout = 300ms;
    auto authorizer = make_http_authorizer(thread.loop(), o);
    const auto start = std::chrono::steady_clock::now();
    AuthResult r = authorize_on(thread.loop(), *authorizer, {"1.2", "private-a"}, 4s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(r.error.code == ErrorCode::timeout);
    CHECK(r.error.channel == "private-a");
    CHECK(r.error.message.find("300 ms") != std::string::npos);
    CHECK(elapsed >= 250ms);
    CHECK(elapsed < 2s);
    run_on(thread.loop(), [&] { authorizer.reset(); });
  }

  TEST_CASE("an unreachable endpoint gives auth_failed quickly") {
    LoopThread thread;
    HttpAuthOptions o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(pusher::test::free_port()) + "/auth";
    o.proxy = "";
    auto authorizer = make_http_authorizer(thread.loop(), o);
    AuthResult r = authorize_on(thread.loop(), *authorizer, {"1.2", "private-a"}, 5s);
    CHECK(r.error.code == ErrorCode::auth_failed);
    CHECK(r.error.message.find("unreachable") != std::string::npos);
    CHECK(r.error.server_code == 7);  // CURLE_COULDNT_CONNECT: not an HTTP status
    CHECK(r.error.code_kind == pusher::CodeKind::transport);
    run_on(thread.loop(), [&] { authorizer.reset(); });
  }

  TEST_CASE("answers past 1 MiB and missing presence data are refused") {
    auto& server = shared_auth_server();
    LoopThread thread;
    HttpAuthOptions o = options_for(server, "tok-a");
    o.endpoint = server.url("/broadcasting/auth?huge=1");
    auto huge = make_http_authorizer(thread.loop(), o);
    AuthResult r = authorize_on(thread.loop(), *huge, {"1.2", "private-a"});
    CHECK(r.error.code == ErrorCode::auth_failed);
    CHECK(r.error.message.find("1 MiB") != std::string::npos);

    // A 200 without channel_data cannot authorise a presence channel: the sign-in route
    // answers {auth, user_data} whatever the channel.
    o.endpoint = server.url("/broadcasting/user-auth");
    auto user_as_channel = make_http_authorizer(thread.loop(), o);
    r = authorize_on(thread.loop(), *user_as_channel, {"1.2", "presence-room"});
    CHECK(r.error.code == ErrorCode::auth_failed);
    CHECK(r.error.message.find("channel_data") != std::string::npos);
    run_on(thread.loop(), [&] {
      huge.reset();
      user_as_channel.reset();
    });
  }

  TEST_CASE("requests that cannot be made fail at once, inside authorize()") {
    LoopThread thread;
    auto& loop = thread.loop();
    HttpAuthOptions o;
    o.endpoint = "http://127.0.0.1:9/auth";
    o.proxy = "";
    auto no_user_endpoint = make_http_authorizer(loop, o);
    AuthResult r = authorize_on(loop, *no_user_endpoint, {"1.2", ""});
    CHECK(r.error.message.find("user_endpoint") != std::string::npos);

    HttpAuthOptions throwing = o;
    throwing.params_provider = []() -> pusher::Fields { throw std::runtime_error("no session"); };
    auto a = make_http_authorizer(loop, throwing);
    r = authorize_on(loop, *a, {"1.2", "private-a"});
    CHECK(r.error.code == ErrorCode::auth_failed);
    CHECK(r.error.message.find("params_provider threw: no session") != std::string::npos);

    throwing = o;
    throwing.headers_provider = []() -> pusher::Fields { throw 1; };
    auto b = make_http_authorizer(loop, throwing);
    r = authorize_on(loop, *b, {"1.2", "private-a"});
    CHECK(r.error.message.find("headers_provider threw") != std::string::npos);

    HttpAuthOptions injected = o;
    injected.bearer_token = "tok\r\nX-Evil: 1";
    auto c = make_http_authorizer(loop, injected);
    r = authorize_on(loop, *c, {"1.2", "private-a"});
    CHECK(r.error.message.find("line break") != std::string::npos);
    CHECK(r.error.message.find("Evil") == std::string::npos);

    HttpAuthOptions bad_name = o;
    bad_name.headers = {{"X Bad", "v"}};
    auto d = make_http_authorizer(loop, bad_name);
    r = authorize_on(loop, *d, {"1.2", "private-a"});
    CHECK(r.error.code == ErrorCode::auth_failed);

    HttpAuthOptions zero = o;
    zero.timeout = 0ms;
    CHECK_THROWS_AS(make_http_authorizer(loop, zero), std::invalid_argument);
    run_on(loop, [&] {
      no_user_endpoint.reset();
      a.reset();
      b.reset();
      c.reset();
      d.reset();
    });
  }

  TEST_CASE("destroying the authorizer with requests in flight is safe and drops their callbacks") {
    auto& server = shared_auth_server();
    LoopThread thread;
    auto& loop = thread.loop();
    HttpAuthOptions slow = options_for(server, "tok-a");
    slow.endpoint = server.url("/broadcasting/auth?delay=200");
    auto dropped_calls = std::make_shared<std::atomic<int>>(0);

    // On the loop thread.
    auto first = make_http_authorizer(loop, slow);
    run_on(loop, [&] {
      for (int i = 0; i < 3; ++i) {
        first->authorize({"1.2", "private-a"},
                         [dropped_calls](const AuthResult&) { ++*dropped_calls; });
      }
      first.reset();
    });

    // On this thread while the loop runs: the loop is handed the clean-up.
    auto second = make_http_authorizer(loop, slow);
    run_on(loop, [&] {
      second->authorize({"1.2", "private-a"},
                        [dropped_calls](const AuthResult&) { *dropped_calls += 10; });
    });
    second.reset();

    // From inside a callback of the same authorizer, with another request still in flight.
    // The server also reads `delay` from the body: only the first request is slow.
    HttpAuthOptions first_slow = options_for(server, "tok-a");
    auto provided = std::make_shared<std::atomic<int>>(0);
    first_slow.params_provider = [provided] {
      return (*provided)++ == 0 ? pusher::Fields{{"delay", "300"}} : pusher::Fields{};
    };
    auto third = make_http_authorizer(loop, first_slow);
    std::promise<AuthResult> fast;
    run_on(loop, [&] {
      third->authorize({"1.2", "private-slow"},
                       [dropped_calls](const AuthResult&) { *dropped_calls += 100; });
      third->authorize({"1.2", "private-fast"}, [&](AuthResult r) {
        third.reset();
        fast.set_value(std::move(r));
      });
    });
    REQUIRE(fast.get_future().wait_for(10s) == std::future_status::ready);

    // A request sent after all of them and answered later than they would have been: by the
    // time it answers, a dropped callback would have run.
    HttpAuthOptions slower = slow;
    slower.endpoint = server.url("/broadcasting/auth?delay=600");
    auto witness = make_http_authorizer(loop, slower);
    AuthResult r = authorize_on(loop, *witness, {"1.2", "private-a"});
    CHECK_FALSE(r.error);
    CHECK(dropped_calls->load() == 0);
    run_on(loop, [&] { witness.reset(); });
  }

  TEST_CASE("an authorizer outliving its stopped loop thread is destroyed safely") {
    auto& server = shared_auth_server();
    auto thread = std::make_unique<LoopThread>();
    HttpAuthOptions slow = options_for(server, "tok-a");
    slow.endpoint = server.url("/broadcasting/auth?delay=2000");
    auto authorizer = make_http_authorizer(thread->loop(), slow);
    auto calls = std::make_shared<std::atomic<int>>(0);
    run_on(thread->loop(), [&] {
      authorizer->authorize({"1.2", "private-a"}, [calls](const AuthResult&) { ++*calls; });
    });
    thread->stop_and_join();
    authorizer.reset();  // loop stopped: the clean-up waits in its queue
    thread.reset();      // and the loop's destruction frees the transfer
    CHECK(calls->load() == 0);
  }
}
