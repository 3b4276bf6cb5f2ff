// Private, presence and encrypted channels through the public API against soketi, authorised
// by a Laravel-shaped endpoint whose signatures come from the official `pusher` library.
#include <pusher/pusher.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "recorder.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kAppId = "4242";
const std::string kAppKey = "278d425bdf160c739803";
const std::string kAppSecret = "7ad3773142a6692b25b8";
const std::string kMasterKey = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";  // 32 x 0x07

struct AuthEndpoint : pusher::test::AuthEndpoint {
  AuthEndpoint() : pusher::test::AuthEndpoint(kAppId, kAppKey, kAppSecret) {}
};

struct Client : pusher::test::Recorder {
  std::vector<pusher::Event> events;
  std::vector<pusher::Error> errors;
  std::vector<std::string> joined, left;
  std::string log;
  std::unique_ptr<pusher::Manager> manager;
  std::vector<pusher::Binding> bindings;

  Client(const pusher::test::SoketiServer& soketi, const std::string& auth_url,
         const std::string& token) {
    pusher::Options o;
    o.key = kAppKey;
    o.host = "127.0.0.1";
    o.port = soketi.port();
    o.tls = false;
    o.proxy = "";
    o.reconnect.initial_delay = 200ms;
    o.reconnect.max_delay = 1000ms;
    o.auth.endpoint = auth_url;
    o.auth.bearer_token = token;
    o.auth.proxy = "";
    o.log_level = pusher::LogLevel::trace;
    o.logger = [this](pusher::LogLevel, const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex);
      log += line + "\n";
    };
    manager = std::make_unique<pusher::Manager>(o);
    bindings.push_back(manager->bind_global([this](const pusher::Event& e) {
      record([&] { events.push_back(e); });
    }));
    bindings.push_back(manager->on_error([this](const pusher::Error& e) { record([&] { errors.push_back(e); }); }));
  }
  ~Client() {
    bindings.clear();
    manager.reset();
  }
  int count(const std::string& channel, const std::string& name) {
    int n = 0;
    for (auto& e : events) n += (e.channel == channel && e.name == name) ? 1 : 0;
    return n;
  }
  bool wait_event(const std::string& channel, const std::string& name, int times = 1) {
    return wait([&] { return count(channel, name) >= times; });
  }
};

pusher::test::SoketiOptions soketi_options() {
  pusher::test::SoketiOptions o;
  o.app_id = kAppId;
  o.key = kAppKey;
  o.secret = kAppSecret;
  o.client_events = true;
  return o;
}

}  // namespace

TEST_CASE("presence: both users see each other, whispers carry the sender, leaving is seen") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client alice(soketi, auth.url(), "tok-a");
  Client bob(soketi, auth.url(), "tok-b");
  auto a_room = alice.manager->subscribe("presence-room");
  alice.bindings.push_back(a_room.joining([&](const pusher::Member& m) {
    alice.record([&] { alice.joined.push_back(m.id); });
  }));
  alice.bindings.push_back(a_room.leaving([&](const pusher::Member& m) {
    alice.record([&] { alice.left.push_back(m.id); });
  }));
  alice.manager->connect();
  REQUIRE(alice.wait_event("presence-room", "pusher:subscription_succeeded"));
  auto b_room = bob.manager->subscribe("presence-room");
  bob.manager->connect();
  REQUIRE(bob.wait_event("presence-room", "pusher:subscription_succeeded"));
  REQUIRE(alice.wait([&] { return !alice.joined.empty(); }));
  CHECK(alice.joined[0] == "2");
  CHECK(b_room.count() == 2);
  REQUIRE(b_room.me().has_value());
  CHECK(b_room.me()->id == "2");
  CHECK(b_room.me()->info == R"({"name":"Bob \"B\" Zoë/α"})");
  CHECK(a_room.count() == 2);

  b_room.whisper("typing", R"({"typing":true})");
  REQUIRE(alice.wait_event("presence-room", "client-typing"));
  {
    std::lock_guard<std::mutex> lock(alice.mutex);
    for (auto& e : alice.events) {
      if (e.name != "client-typing") continue;
      CHECK(e.user_id == "2");
      CHECK(e.data == R"({"typing":true})");
    }
  }
  bob.manager->unsubscribe("presence-room");
  REQUIRE(alice.wait([&] { return !alice.left.empty(); }));
  CHECK(alice.left[0] == "2");
  CHECK(a_room.count() == 1);
}

TEST_CASE("a forbidden private channel gives subscription_error 403; others still work") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client alice(soketi, auth.url(), "tok-a");
  alice.manager->subscribe("private-forbidden-x");
  alice.manager->subscribe("private-ok");
  alice.manager->connect();
  REQUIRE(alice.wait_event("private-forbidden-x", "pusher:subscription_error"));
  REQUIRE(alice.wait_event("private-ok", "pusher:subscription_succeeded"));
  std::lock_guard<std::mutex> lock(alice.mutex);
  bool saw_403 = false;
  for (auto& e : alice.errors) {
    saw_403 = saw_403 || (e.code == pusher::ErrorCode::auth_failed && e.server_code == 403 &&
                          e.channel == "private-forbidden-x");
  }
  CHECK(saw_403);
}

TEST_CASE("a bad token is a 401 subscription error, not a retry loop") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client eve(soketi, auth.url(), "tok-wrong");
  eve.manager->subscribe("private-x");
  eve.manager->connect();
  REQUIRE(eve.wait_event("private-x", "pusher:subscription_error"));
  CHECK_FALSE(eve.wait([&] { return eve.count("private-x", "pusher:subscription_error") > 1; }, 1500ms));
  std::lock_guard<std::mutex> lock(eve.mutex);
  CHECK(eve.errors.front().server_code == 401);
}

TEST_CASE("after soketi restarts, presence is re-authorised with the new socket id") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client alice(soketi, auth.url(), "tok-a");
  auto room = alice.manager->subscribe("presence-room");
  alice.manager->connect();
  REQUIRE(alice.wait_event("presence-room", "pusher:subscription_succeeded"));
  std::string first = alice.manager->socket_id();
  soketi.kill_hard();
  soketi.restart();
  REQUIRE(alice.wait_event("presence-room", "pusher:subscription_succeeded", 2));
  CHECK(alice.manager->socket_id() != first);
  CHECK(room.count() == 1);
  CHECK(alice.wait_event("presence-room", "pusher:resubscribed"));
}

TEST_CASE("private-encrypted: events encrypted by the pusher library arrive decrypted") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client alice(soketi, auth.url(), "tok-a");
  alice.manager->subscribe("private-encrypted-vault");
  alice.manager->connect();
  REQUIRE(alice.wait_event("private-encrypted-vault", "pusher:subscription_succeeded"));
  soketi.trigger("private-encrypted-vault", "secret", R"({"gold":42,"note":"h\u00e9"})", 1, {}, kMasterKey);
  REQUIRE(alice.wait_event("private-encrypted-vault", "secret"));
  std::lock_guard<std::mutex> lock(alice.mutex);
  for (auto& e : alice.events) {
    if (e.name == "secret") CHECK(e.data == "{\"gold\":42,\"note\":\"h\xC3\xA9\"}");
  }
}

TEST_CASE("the most verbose log of a whole private/presence session holds no token or signature") {
  pusher::test::SoketiServer soketi(soketi_options());
  AuthEndpoint auth;
  Client alice(soketi, auth.url(), "tok-a");
  Client bob(soketi, auth.url(), "tok-b");
  alice.manager->subscribe("presence-room");
  alice.manager->subscribe("private-a");
  bob.manager->subscribe("presence-room");
  alice.manager->connect();
  bob.manager->connect();
  REQUIRE(alice.wait_event("presence-room", "pusher:subscription_succeeded"));
  REQUIRE(alice.wait_event("private-a", "pusher:subscription_succeeded"));
  REQUIRE(bob.wait_event("presence-room", "pusher:subscription_succeeded"));
  std::lock_guard<std::mutex> lock(alice.mutex);
  CHECK_FALSE(alice.log.empty());
  CHECK(alice.log.find("tok-a") == std::string::npos);
  CHECK(alice.log.find(kAppSecret) == std::string::npos);
  CHECK(alice.log.find(kAppKey + ":") == std::string::npos);  // an auth signature
}

TEST_CASE("user sign-in: signin_success, then events sent to the user arrive") {
  pusher::test::SoketiOptions so = soketi_options();
  so.user_authentication = true;  // soketi ignores pusher:signin otherwise
  pusher::test::SoketiServer soketi(so);
  pusher::Options o;
  o.key = kAppKey;
  o.host = "127.0.0.1";
  o.port = soketi.port();
  o.tls = false;
  o.proxy = "";
  o.authorizer = pusher::make_secret_authorizer(
      kAppKey, kAppSecret, {}, [](const pusher::AuthRequest&) { return std::string(R"({"id":"u-7"})"); });
  pusher::Manager manager(o);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<pusher::Event> events;
  auto b = manager.bind_global([&](const pusher::Event& e) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      events.push_back(e);
    }
    cv.notify_all();
  });
  auto has = [&](const std::string& name) {
    for (auto& e : events) {
      if (e.name == name) return true;
    }
    return false;
  };
  manager.signin();
  manager.connect();
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(cv.wait_for(lock, 15s, [&] { return has("pusher:subscription_succeeded"); }));
    CHECK(has("pusher:signin_success"));
  }
  // soketi's HTTP API, through the official library's sendToUser.
  const std::string dir = pusher::test::interop_dir();
  pusher::test::ChildProcess send({pusher::test::node_binary(), dir + "/trigger.mjs", "--port",
                                   std::to_string(soketi.port()), "--app-id", kAppId, "--key", kAppKey,
                                   "--secret", kAppSecret, "--channel", "unused", "--event", "notice",
                                   "--data", R"({"hello":"you"})", "--user", "u-7"},
                                  {}, dir);
  send.close_stdin();
  REQUIRE_MESSAGE(send.wait(30s) == 0, send.output());
  std::unique_lock<std::mutex> lock(mutex);
  REQUIRE(cv.wait_for(lock, 15s, [&] { return has("notice"); }));
  for (auto& e : events) {
    if (e.name != "notice") continue;
    CHECK(e.channel == "#server-to-user-u-7");
    CHECK(e.data == R"({"hello":"you"})");
  }
}
