// Private, presence and encrypted channels and client events, through the Manager with a fake
// transport, a manual clock and scripted authorizers.
#include "manager/manager_core.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#if PUSHER_HAVE_SODIUM
#include <sodium.h>
#include <openssl/evp.h>
#endif

#include "fake_transport.hpp"
#include "manual_scheduler.hpp"

using namespace std::chrono_literals;
using pusher::ErrorCode;
using pusher::Event;
using pusher::detail::ManagerCore;

namespace {

/// Holds every request; a test answers them when it likes.
struct ScriptedAuthorizer : pusher::Authorizer {
  std::vector<pusher::AuthRequest> requests;
  std::vector<pusher::AuthCallback> callbacks;
  void authorize(const pusher::AuthRequest& request, pusher::AuthCallback done) override {
    requests.push_back(request);
    callbacks.push_back(std::move(done));
  }
};

struct Harness {
  pusher::detail::net::LoopThread thread;
  std::shared_ptr<pusher::detail::LoopRef> ref =
      std::make_shared<pusher::detail::LoopRef>(thread.loop());
  pusher::test::ManualScheduler clock;
  pusher::test::FakeServerSide server;
  std::shared_ptr<ManagerCore> core;
  std::vector<pusher::Error> errors;
  std::vector<Event> seen;
  std::vector<pusher::Binding> bindings;

  explicit Harness(pusher::Options options) {
    options.key = "app-key";
    options.host = "127.0.0.1";
    options.tls = false;
    core = std::make_shared<ManagerCore>(
        options, thread.loop(), ref,
        [this](pusher::detail::net::WebSocketListener& listener) {
          return std::make_unique<pusher::test::FakeTransport>(server, listener);
        },
        &clock);
    on_loop([&] {
      bindings.emplace_back(core->error_handlers.add(ref, "", [this](const pusher::Error& e) { errors.push_back(e); }));
      bindings.emplace_back(core->events.add(ref, "", [this](const Event& e) { seen.push_back(e); }));
    });
  }
  ~Harness() {
    bindings.clear();
    ref->shut();
    thread.stop_and_join();
  }
  template <typename F>
  void on_loop(F f) {
    REQUIRE(ref->call([&] { f(); }));
  }
  void settle() { on_loop([] {}); on_loop([] {}); }  // lets posted continuations run
  void connect(const std::string& socket_id = "1234.1234") {
    core->connect();
    on_loop([&] { server.establish(socket_id); });
    settle();
  }
  void server_says(const std::string& text) {
    on_loop([&] { server.message(text); });
  }
  std::vector<std::string> sent() {
    std::vector<std::string> out;
    on_loop([&] { out = server.sent; });
    return out;
  }
  bool has_error(ErrorCode code) {
    bool found = false;
    on_loop([&] {
      for (auto& e : errors) found = found || e.code == code;
    });
    return found;
  }
};

pusher::Options with_secret() {
  pusher::Options o;
  o.authorizer = pusher::make_secret_authorizer(
      "278d425bdf160c739803", "7ad3773142a6692b25b8",
      [](const pusher::AuthRequest&) {
        return std::string(R"({"user_id":10,"user_info":{"name":"Mr. Channels"}})");
      });
  return o;
}

}  // namespace

TEST_CASE("a private channel subscribes with an auth signed for this socket and channel") {
  Harness h(with_secret());
  h.core->subscribe("private-foobar");
  h.connect("1234.1234");
  auto sent = h.sent();
  REQUIRE(sent.size() == 1);
  // The worked example of the auth-signatures page (protocol.md §1.7).
  CHECK(sent[0] == R"({"event":"pusher:subscribe","data":{"channel":"private-foobar","auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}})");
}

TEST_CASE("presence: channel_data byte for byte, members, me, here/joining/leaving, reset on drop") {
  Harness h(with_secret());
  auto core = h.core->subscribe("presence-foobar");
  pusher::Channel channel(core);
  std::vector<std::vector<pusher::Member>> here;
  std::vector<std::string> joined, left;
  auto b1 = channel.here([&](const std::vector<pusher::Member>& m) { here.push_back(m); });
  auto b2 = channel.joining([&](const pusher::Member& m) { joined.push_back(m.id + m.info); });
  auto b3 = channel.leaving([&](const pusher::Member& m) { left.push_back(m.id + m.info); });
  h.connect("1234.1234");
  auto sent = h.sent();
  REQUIRE(sent.size() == 1);
  // protocol.md §1.7 lists afaed369... for this string; openssl and the official `pusher`
  // library both give 31935e7d..., which is what a server checks.
  CHECK(sent[0] == R"({"event":"pusher:subscribe","data":{"channel":"presence-foobar","auth":"278d425bdf160c739803:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80","channel_data":"{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}"}})");
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"presence-foobar","data":"{\"presence\":{\"ids\":[\"10\",\"11\"],\"hash\":{\"10\":{\"name\":\"Mr. Channels\"},\"11\":{\"name\":\"bob\"}},\"count\":2}}"})");
  CHECK(channel.count() == 2);
  REQUIRE(channel.me().has_value());
  CHECK(channel.me()->info == R"({"name":"Mr. Channels"})");
  REQUIRE(here.size() == 1);
  CHECK(here[0].size() == 2);
  h.server_says(R"({"event":"pusher_internal:member_added","channel":"presence-foobar","data":"{\"user_id\":\"12\",\"user_info\":{\"name\":\"eve\"}}"})");
  h.server_says(R"({"event":"pusher_internal:member_added","channel":"presence-foobar","data":"{\"user_id\":\"12\",\"user_info\":{\"name\":\"eve\"}}"})");
  h.server_says(R"({"event":"pusher_internal:member_removed","channel":"presence-foobar","data":"{\"user_id\":\"11\"}"})");
  h.settle();
  CHECK(joined == std::vector<std::string>{R"(12{"name":"eve"})"});
  CHECK(left == std::vector<std::string>{R"(11{"name":"bob"})"});
  auto members = channel.members();
  REQUIRE(members.size() == 2);
  CHECK(members[0].id == "10");
  CHECK(members[1].id == "12");
  h.on_loop([&] { h.server.drop(1006); });
  CHECK(channel.members().empty());
}

TEST_CASE("every reconnect re-authorises with the new socket id; stale answers are dropped") {
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  pusher::Options o;
  o.authorizer = authorizer;
  Harness h(o);
  h.core->subscribe("private-a");
  h.connect("1.1");
  REQUIRE(authorizer->requests.size() == 1);
  CHECK(authorizer->requests[0].socket_id == "1.1");
  CHECK(authorizer->requests[0].channel_name == "private-a");
  h.on_loop([&] { h.server.drop(4200); });
  h.on_loop([&] { h.clock.advance(0ms); });
  h.on_loop([&] { h.server.establish("2.2"); });
  h.settle();
  REQUIRE(authorizer->requests.size() == 2);
  CHECK(authorizer->requests[1].socket_id == "2.2");
  // The first answer arrives late, from another thread: ignored.
  std::thread([&] { authorizer->callbacks[0](pusher::AuthResult{"app-key:old", "", "", "", {}}); }).join();
  h.settle();
  CHECK(h.sent().empty());
  authorizer->callbacks[1](pusher::AuthResult{"app-key:new", "", "", "", {}});
  h.settle();
  auto sent = h.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].find("app-key:new") != std::string::npos);
}

TEST_CASE("an auth failure is a subscription_error event and an auth_failed error") {
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  pusher::Options o;
  o.authorizer = authorizer;
  Harness h(o);
  auto core = h.core->subscribe("private-x");
  h.connect();
  pusher::AuthResult denied;
  denied.error = pusher::Error{ErrorCode::auth_failed, "auth endpoint answered 403", 403, {}};
  authorizer->callbacks.at(0)(denied);
  h.settle();
  CHECK(h.sent().empty());
  CHECK(h.has_error(ErrorCode::auth_failed));
  bool found = false;
  h.on_loop([&] {
    for (auto& e : h.seen) {
      if (e.name == "pusher:subscription_error") {
        found = true;
        CHECK(e.data == R"({"type":"AuthError","error":"auth endpoint answered 403","status":403})");
      }
    }
  });
  CHECK(found);
  CHECK_FALSE(core->subscribed());
}

TEST_CASE("no authorizer: private channels fail clearly instead of hanging") {
  Harness h(pusher::Options{});
  h.core->subscribe("private-x");
  h.connect();
  CHECK(h.has_error(ErrorCode::auth_failed));
  CHECK(h.sent().empty());
}

TEST_CASE("Reverb's channel-less 4009 fails the oldest pending authorised subscription") {
  Harness h(with_secret());
  auto a = h.core->subscribe("private-a");
  auto b = h.core->subscribe("private-b");
  h.connect();
  h.server_says(R"({"event":"pusher:error","data":"{\"code\":4009,\"message\":\"Connection is unauthorized\"}"})");
  h.settle();
  bool failed_a = false;
  h.on_loop([&] {
    for (auto& e : h.errors) {
      if (e.code == ErrorCode::subscription_failed && e.channel == "private-a" && e.server_code == 4009) {
        failed_a = true;
      }
    }
  });
  CHECK(failed_a);
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"private-b"})");
  CHECK(b->subscribed());
  CHECK_FALSE(a->subscribed());
}

TEST_CASE("client events: only private/presence, only client- names, queued until subscribed") {
  Harness h(with_secret());
  pusher::Channel pub(h.core->subscribe("public"));
  pusher::Channel priv(h.core->subscribe("private-x"));
  pusher::Channel enc(h.core->subscribe("private-encrypted-x"));
  CHECK_THROWS_AS(pub.trigger("client-a", "{}"), std::invalid_argument);
  CHECK_THROWS_AS(priv.trigger("typing", "{}"), std::invalid_argument);
  CHECK_THROWS_AS(enc.trigger("client-a", "{}"), std::invalid_argument);
  CHECK_THROWS_AS(priv.trigger("client-big", "\"" + std::string(2u << 20, 'x') + "\""), std::invalid_argument);
  priv.whisper("typing", R"({"typing":true})");
  h.connect();
  auto count_client = [&] {
    int n = 0;
    for (auto& s : h.sent()) n += s.find("client-typing") != std::string::npos;
    return n;
  };
  CHECK(count_client() == 0);  // not subscribed yet
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"private-x"})");
  h.settle();
  REQUIRE(count_client() == 1);
  CHECK(h.sent().back() == R"({"event":"client-typing","channel":"private-x","data":{"typing":true}})");
}

TEST_CASE("client events go out at most 10 per second; the rest wait, none are lost") {
  Harness h(with_secret());
  pusher::Channel priv(h.core->subscribe("private-x"));
  h.connect();
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"private-x"})");
  for (int i = 0; i < 25; ++i) priv.trigger("client-n", "{\"i\":" + std::to_string(i) + "}");
  h.settle();
  auto clients = [&] {
    std::vector<std::string> out;
    for (auto& s : h.sent()) {
      if (s.find("client-n") != std::string::npos) out.push_back(s);
    }
    return out;
  };
  CHECK(clients().size() == 10);
  h.on_loop([&] { h.clock.advance(999ms); });
  CHECK(clients().size() == 10);
  h.on_loop([&] { h.clock.advance(1ms); });
  CHECK(clients().size() == 20);
  h.on_loop([&] { h.clock.advance(1s); });
  auto all = clients();
  REQUIRE(all.size() == 25);
  for (int i = 0; i < 25; ++i) CHECK(all[static_cast<std::size_t>(i)].find("{\"i\":" + std::to_string(i) + "}") != std::string::npos);
}

TEST_CASE("too many client events waiting is reported, not silently dropped") {
  pusher::Options o = with_secret();
  o.outbound_queue_limit = 5;
  Harness h(o);
  pusher::Channel priv(h.core->subscribe("private-x"));
  for (int i = 0; i < 6; ++i) priv.trigger("client-n", "{}");
  h.settle();
  CHECK(h.has_error(ErrorCode::queue_overflow));
}

#if PUSHER_HAVE_SODIUM
namespace {
std::string b64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}
std::string sealed(const std::string& plain, const unsigned char* key) {
  unsigned char nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(nonce, sizeof nonce);
  std::vector<unsigned char> box(plain.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(box.data(), reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nonce, key);
  return "{\\\"ciphertext\\\":\\\"" + b64(box.data(), box.size()) + "\\\",\\\"nonce\\\":\\\"" + b64(nonce, sizeof nonce) + "\\\"}";
}
}  // namespace

/// A private-encrypted- channel subscribed with `old_key`; `new_key` is the rotated one.
struct Encrypted {
  bool sodium_ready = sodium_init() >= 0;
  unsigned char old_key[32]{}, new_key[32]{};
  std::shared_ptr<ScriptedAuthorizer> authorizer = std::make_shared<ScriptedAuthorizer>();
  Harness h{with(authorizer)};

  Encrypted() {
    REQUIRE(sodium_ready);
    randombytes_buf(old_key, sizeof old_key);
    randombytes_buf(new_key, sizeof new_key);
    h.core->subscribe("private-encrypted-x");
    h.connect();
    answer(0, old_key);
    h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"private-encrypted-x"})");
  }
  static pusher::Options with(std::shared_ptr<pusher::Authorizer> a) {
    pusher::Options o;
    o.authorizer = std::move(a);
    return o;
  }
  void answer(std::size_t request, const unsigned char* key) {
    REQUIRE(authorizer->callbacks.size() > request);
    authorizer->callbacks[request](pusher::AuthResult{"app-key:sig", "", b64(key, 32), "", {}});
    h.settle();
  }
  void event(const std::string& plain, const unsigned char* key) {
    h.server_says(R"({"event":"secret","channel":"private-encrypted-x","data":")" +
                  sealed(plain, key) + "\"}");
  }
  std::vector<std::string> delivered() {
    std::vector<std::string> data;
    h.on_loop([&] {
      for (auto& e : h.seen) {
        if (e.name == "secret") data.push_back(e.data);
      }
    });
    return data;
  }
};

TEST_CASE("private-encrypted: events are decrypted with the shared secret; a stale key is refreshed once") {
  Encrypted enc;
  enc.event(R"({"n":1})", enc.old_key);
  // The key rotated: the first event under the new key triggers one re-authorisation.
  enc.event(R"({"n":2})", enc.new_key);
  enc.h.settle();
  REQUIRE(enc.authorizer->callbacks.size() == 2);
  enc.answer(1, enc.new_key);
  // A key that never works: reported, not crashed, after the one retry.
  unsigned char wrong[32];
  randombytes_buf(wrong, sizeof wrong);
  enc.event(R"({"n":3})", wrong);
  enc.h.settle();
  REQUIRE(enc.authorizer->callbacks.size() == 3);
  enc.answer(2, enc.new_key);
  CHECK(enc.delivered() == std::vector<std::string>{R"({"n":1})", R"({"n":2})"});
  CHECK(enc.h.has_error(ErrorCode::malformed_message));
}

TEST_CASE("regression: every event that comes during a key refresh waits for the fresh key, in order") {
  // Once only the first undecryptable event was held and the ones after it were dropped.
  Encrypted enc;
  for (int n = 1; n <= 4; ++n) {  // all under the rotated key, before the refresh answers
    enc.event("{\"n\":" + std::to_string(n) + "}", enc.new_key);
  }
  enc.h.settle();
  REQUIRE(enc.authorizer->callbacks.size() == 2);  // one refresh for all of them
  enc.answer(1, enc.new_key);
  CHECK(enc.delivered() ==
        std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})", R"({"n":4})"});
  CHECK_FALSE(enc.h.has_error(ErrorCode::malformed_message));
}
#endif

// ---- the caller's contract: regressions, one per break once seen ---------------------------

TEST_CASE("regression: a channel-less 4009 fails only a channel whose subscribe went out") {
  pusher::Options o;
  auto scripted = std::make_shared<ScriptedAuthorizer>();
  o.authorizer = scripted;
  Harness h(o);
  auto a = h.core->subscribe("private-a");  // its authorizer never answers: nothing goes out
  h.connect();
  h.server_says(R"({"event":"pusher:error","data":"{\"code\":4009,\"message\":\"Connection is unauthorized\"}"})");
  h.settle();
  CHECK_FALSE(h.has_error(ErrorCode::subscription_failed));
  CHECK(h.has_error(ErrorCode::server_error));
}

TEST_CASE("regression: an unsolicited pusher:signin_success subscribes nothing") {
  Harness h(with_secret());
  h.connect();
  h.server_says(R"({"event":"pusher:signin_success","data":{"user_data":"{\"id\":\"intruder\"}"}})");
  h.settle();
  for (const auto& s : h.sent()) CHECK(s.find("#server-to-user-") == std::string::npos);
  CHECK(h.core->find("#server-to-user-intruder").get() == nullptr);
}

TEST_CASE("regression: presence members are capped by Options::max_presence_members") {
  pusher::Options o = with_secret();
  o.max_presence_members = 2;
  Harness h(o);
  auto p = h.core->subscribe("presence-room");
  h.connect();
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"presence-room","data":"{\"presence\":{\"count\":1,\"ids\":[\"10\"],\"hash\":{\"10\":{}}}}"})");
  for (int i = 0; i < 5; ++i) {
    h.server_says(R"({"event":"pusher_internal:member_added","channel":"presence-room","data":"{\"user_id\":\"u)" +
                  std::to_string(i) + R"(\"}"})");
  }
  h.settle();
  CHECK(p->members().count() == 2);
  CHECK(h.has_error(ErrorCode::queue_overflow));
}

TEST_CASE("regression: an auth answer whose channel_data is not JSON with a user_id fails, not sent") {
  pusher::Options o;
  o.authorizer = pusher::make_secret_authorizer("app-key", "secret", [](const pusher::AuthRequest&) {
    return std::string("{\"user_id\":\"\xff\"}");
  });
  Harness h(o);
  auto p = h.core->subscribe("presence-room");
  h.connect();
  h.settle();
  for (const auto& s : h.sent()) CHECK(s.find("presence-room") == std::string::npos);
  CHECK(h.has_error(ErrorCode::auth_failed));
}

TEST_CASE("regression: client events queued on a channel that is left are reported, one by one") {
  Harness h(with_secret());
  pusher::Channel ch(h.core->subscribe("private-room"));
  h.connect();  // subscribe goes out; no answer yet, so triggers wait
  ch.trigger("client-one", "{}");
  ch.trigger("client-two", "{}");
  h.settle();
  h.core->unsubscribe("private-room");
  h.settle();
  int rejected = 0;
  h.on_loop([&] {
    for (auto& e : h.errors) rejected += e.code == ErrorCode::client_event_rejected ? 1 : 0;
  });
  CHECK(rejected == 2);
  SUBCASE("and a trigger on the stale handle is reported too") {
    ch.trigger("client-three", "{}");
    h.settle();
    bool named = false;
    h.on_loop([&] {
      for (auto& e : h.errors) named = named || e.message.find("client-three") != std::string::npos;
    });
    CHECK(named);
  }
}

TEST_CASE("regression: outbound client events are checked at the call: size and UTF-8") {
  Harness h(with_secret());
  pusher::Channel ch(h.core->subscribe("private-room"));
  // A lone surrogate escape: RapidJSON would write it as bytes that are not UTF-8.
  CHECK_THROWS_AS(ch.trigger("client-x", R"({"t":"\udc00"})"), std::invalid_argument);
  CHECK_THROWS_AS(ch.trigger("client-x", "{\"t\":\"\xff\"}"), std::invalid_argument);
  // 12 KB: over Reverb's 10,000-byte limit, which closes with 1009.
  CHECK_THROWS_AS(ch.whisper("typing", "{\"t\":\"" + std::string(12000, 'x') + "\"}"),
                  std::invalid_argument);
  CHECK_NOTHROW(ch.whisper("typing", "{\"t\":\"" + std::string(9000, 'x') + "\"}"));
}

TEST_CASE("an auth endpoint that answers 503 twice and then signs: subscribed, no reconnect") {
  auto scripted = std::make_shared<ScriptedAuthorizer>();
  pusher::Options o;
  o.authorizer = scripted;
  Harness h(o);
  auto ch = h.core->subscribe("private-room");
  h.connect();
  auto fail_503 = [] {
    pusher::AuthResult r;
    r.error = pusher::Error{ErrorCode::auth_failed, "HTTP 503", 503, {}};
    return r;
  };
  for (int i = 0; i < 2; ++i) {
    REQUIRE(scripted->callbacks.size() == static_cast<std::size_t>(i + 1));
    scripted->callbacks.back()(fail_503());
    h.settle();
    h.on_loop([&] { h.clock.advance(std::chrono::seconds(70)); });  // past any back-off
    h.settle();
  }
  REQUIRE(scripted->callbacks.size() == 3);
  auto good = pusher::make_secret_authorizer("278d425bdf160c739803", "7ad3773142a6692b25b8");
  good->authorize(scripted->requests.back(), scripted->callbacks.back());
  h.settle();
  h.server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":"private-room"})");
  CHECK(ch->subscribed());
  h.on_loop([&] {
    CHECK(h.server.connects.size() == 1);  // no reconnect was needed
    int transient = 0;
    for (auto& e : h.errors) transient += e.code == ErrorCode::auth_failed && e.transient ? 1 : 0;
    CHECK(transient == 2);
    for (auto& e : h.seen) CHECK(e.name != "pusher:subscription_error");
  });
}

TEST_CASE("401, 403 and 419 are final until the next reconnect or subscribe()") {
  for (int status : {401, 403, 419}) {
    CAPTURE(status);
    auto scripted = std::make_shared<ScriptedAuthorizer>();
    pusher::Options o;
    o.authorizer = scripted;
    Harness h(o);
    auto ch = h.core->subscribe("private-room");
    h.connect();
    pusher::AuthResult r;
    r.error = pusher::Error{ErrorCode::auth_failed, "HTTP", status, {}};
    scripted->callbacks.at(0)(r);
    h.settle();
    h.on_loop([&] { h.clock.advance(std::chrono::seconds(120)); });
    h.settle();
    CHECK(scripted->callbacks.size() == 1);
    h.on_loop([&] {
      REQUIRE_FALSE(h.errors.empty());
      CHECK(h.errors.back().code == ErrorCode::auth_failed);
      CHECK_FALSE(h.errors.back().transient);
    });
  }
}

TEST_CASE("an auth timeout arrives as ErrorCode::timeout, as auth.hpp says") {
  auto scripted = std::make_shared<ScriptedAuthorizer>();
  pusher::Options o;
  o.authorizer = scripted;
  Harness h(o);
  auto ch = h.core->subscribe("private-room");
  h.connect();
  pusher::AuthResult r;
  r.error = pusher::Error{ErrorCode::timeout, "auth endpoint did not answer within 10000 ms", 0, {}};
  scripted->callbacks.at(0)(r);
  h.settle();
  h.on_loop([&] {
    REQUIRE_FALSE(h.errors.empty());
    CHECK(h.errors.back().code == ErrorCode::timeout);
    CHECK(h.errors.back().transient);  // and it is retried
  });
}
