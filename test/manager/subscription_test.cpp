// The Subscription state machine on its own, through a fake SubscriptionHost: no Manager, no
// Service. Test that the header is self-contained.
#include "channel/subscription.hpp"

#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "manual_scheduler.hpp"
#include "net/event_loop.hpp"

namespace pusher::detail {
namespace {

using State = Subscription::State;
using namespace std::chrono_literals;

/// Records what a subscription asks of its connection.
class FakeHost final : public SubscriptionHost {
 public:
  std::string socket = "1.2";
  std::vector<std::string> frames;
  std::vector<std::string> sent;  // client events
  std::vector<std::pair<AuthRequest, std::function<void(AuthResult)>>> auth_requests;
  bool has_authorizer = true;
  std::vector<Error> errors;
  std::vector<std::string> notices;
  std::vector<Event> delivered;
  std::shared_ptr<Subscription> current;
  std::uint64_t seq = 0;
  int ready = 0;
  test::ManualScheduler clock;

  const std::string& connected_socket_id() const override { return socket; }
  bool send_now(const std::string& frame) override {
    if (socket.empty()) return false;
    frames.push_back(frame);
    return true;
  }
  void send(std::string frame, const std::string& /*what*/) override { sent.push_back(frame); }
  bool authorize(const AuthRequest& request, std::function<void(AuthResult)> done) override {
    if (!has_authorizer) return false;
    auth_requests.emplace_back(request, std::move(done));
    return true;
  }
  void report(const Error& error) override { errors.push_back(error); }
  void notify(Subscription& /*s*/, const std::string& name, std::string data) override {
    notices.push_back(name + " " + data);
  }
  void deliver(const std::shared_ptr<Subscription>& /*s*/, const Event& event) override {
    delivered.push_back(event);
  }
  void run_callback(const char* /*what*/, const std::function<void()>& call) override { call(); }
  bool registered(const Subscription& s) const override { return current.get() == &s; }
  void unregister(Subscription& s) override {
    if (current.get() == &s) current.reset();
  }
  void client_events_ready() override { ++ready; }
  net::Scheduler& scheduler() override { return clock; }
  double random_unit() override { return 0.5; }
  std::uint64_t next_send_seq() override { return ++seq; }
};

struct Fixture {
  net::EventLoop loop;  // never run: posts from any-thread calls only queue up
  std::shared_ptr<LoopRef> loop_ref = std::make_shared<LoopRef>(loop);
  std::shared_ptr<FakeHost> host = std::make_shared<FakeHost>();
  std::shared_ptr<SubscriptionConfig> config = std::make_shared<SubscriptionConfig>();

  Fixture() {
    loop.drive_from_this_thread();
    config->max_presence_members = 2;
    config->outbound_queue_limit = 3;
    config->max_client_event_size = 1000;
    config->auth_retry_initial = 1000ms;
    config->auth_retry_max = 8000ms;
  }
  std::shared_ptr<Subscription> make(const std::string& name) {
    auto s = std::make_shared<Subscription>(name, loop_ref, host, config);
    host->current = s;
    return s;
  }
};

protocol::SubscriptionSucceeded succeeded(const std::string& channel) {
  protocol::SubscriptionSucceeded m;
  m.channel = channel;
  return m;
}

TEST_CASE("a public subscription goes idle -> pending -> subscribed, and leaving unsubscribes") {
  Fixture f;
  auto s = f.make("news");
  s->start(*f.host, nullptr);
  CHECK(s->state() == State::pending);
  REQUIRE(f.host->frames.size() == 1);
  CHECK(f.host->frames[0] == R"({"event":"pusher:subscribe","data":{"channel":"news"}})");
  s->on_succeeded(*f.host, succeeded("news"));
  CHECK(s->state() == State::subscribed);
  CHECK(s->subscribed());
  CHECK(f.host->notices == std::vector<std::string>{"pusher:subscription_succeeded {}"});
  s->leave(*f.host);
  CHECK(f.host->frames.back() == R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})");
  CHECK(f.host->current.get() == nullptr);
  CHECK_FALSE(s->subscribed());
}

TEST_CASE("left while pending, a subscription unsubscribes once the server answers") {
  Fixture f;
  auto s = f.make("news");
  s->start(*f.host, nullptr);
  s->leave(*f.host);
  CHECK(s->state() == State::unsubscribing);
  CHECK(f.host->frames.size() == 1);  // nothing more until the answer
  CHECK(f.host->current.get() == s.get());
  s->on_succeeded(*f.host, succeeded("news"));
  CHECK(f.host->frames.back() == R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})");
  CHECK(f.host->current.get() == nullptr);
  CHECK(f.host->notices.empty());  // the left subscription tells nobody it succeeded
}

TEST_CASE("a new subscription takes over the unanswered request of the one it replaces") {
  Fixture f;
  auto old = f.make("news");
  old->start(*f.host, nullptr);
  old->leave(*f.host);
  auto fresh = f.make("news");
  fresh->start(*f.host, old.get());
  CHECK(fresh->state() == State::pending);
  CHECK(old->state() == State::idle);
  CHECK(f.host->frames.size() == 1);  // no second subscribe frame: the answer is awaited
  fresh->on_succeeded(*f.host, succeeded("news"));
  CHECK(fresh->subscribed());
}

TEST_CASE("an authorisation answer for a lost connection is dropped; the next connection asks again") {
  Fixture f;
  auto s = f.make("private-room");
  s->start(*f.host, nullptr);
  CHECK(s->state() == State::authorizing);
  REQUIRE(f.host->auth_requests.size() == 1);
  CHECK(f.host->auth_requests[0].first.socket_id == "1.2");
  CHECK(f.host->auth_requests[0].first.channel_name == "private-room");
  s->on_connection_lost(*f.host, f.host->clock.now());
  CHECK(s->state() == State::idle);
  f.host->socket = "3.4";
  AuthResult late;
  late.auth = "key:late";
  f.host->auth_requests[0].second(late);
  CHECK(f.host->frames.empty());
  s->on_connected(*f.host);
  REQUIRE(f.host->auth_requests.size() == 2);
  AuthResult fresh;
  fresh.auth = "key:fresh";
  f.host->auth_requests[1].second(fresh);
  REQUIRE(f.host->frames.size() == 1);
  CHECK(f.host->frames[0] ==
        R"({"event":"pusher:subscribe","data":{"channel":"private-room","auth":"key:fresh"}})");
  CHECK(s->state() == State::pending);
}

TEST_CASE("transient auth failures are retried with a doubling back-off, final ones fail") {
  Fixture f;
  auto s = f.make("private-room");
  s->start(*f.host, nullptr);
  AuthResult busy;
  busy.error = Error{ErrorCode::auth_failed, "503", 503, {}, false, CodeKind::http};
  f.host->auth_requests[0].second(busy);
  REQUIRE(f.host->errors.size() == 1);
  CHECK(f.host->errors[0].transient);
  CHECK(f.host->errors[0].code_kind == CodeKind::http);
  CHECK(f.host->auth_requests.size() == 1);
  f.host->clock.advance(499ms);  // the first back-off: random 0.5 of 1000 ms
  CHECK(f.host->auth_requests.size() == 1);
  f.host->clock.advance(1ms);
  REQUIRE(f.host->auth_requests.size() == 2);
  // Unreachable (libcurl's 7, CURLE_COULDNT_CONNECT) is no HTTP status: retried, after 1 s.
  AuthResult unreachable;
  unreachable.error = Error{ErrorCode::auth_failed, "refused", 7, {}, false, CodeKind::transport};
  f.host->auth_requests[1].second(unreachable);
  CHECK(f.host->errors.back().transient);
  CHECK(f.host->errors.back().server_code == 7);
  CHECK(f.host->errors.back().code_kind == CodeKind::transport);
  f.host->clock.advance(999ms);
  CHECK(f.host->auth_requests.size() == 2);
  f.host->clock.advance(1ms);
  REQUIRE(f.host->auth_requests.size() == 3);
  AuthResult refused;
  refused.error = Error{ErrorCode::auth_failed, "403", 403, {}, false, CodeKind::http};
  f.host->auth_requests[2].second(refused);
  CHECK(s->state() == State::failed);
  CHECK_FALSE(f.host->errors.back().transient);
  CHECK(f.host->errors.back().code_kind == CodeKind::http);
  CHECK(f.host->notices.back() == R"(pusher:subscription_error {"type":"AuthError","error":"403","status":403})");
  f.host->clock.advance(60s);
  CHECK(f.host->auth_requests.size() == 3);  // no retry after a final answer
}

TEST_CASE("no authorizer fails a private subscription with a clear error") {
  Fixture f;
  f.host->has_authorizer = false;
  auto s = f.make("private-room");
  s->start(*f.host, nullptr);
  CHECK(s->state() == State::failed);
  REQUIRE(f.host->errors.size() == 1);
  CHECK(f.host->errors[0].message.find("no authorizer") != std::string::npos);
}

TEST_CASE("presence members beyond the limit are reported, not kept") {
  Fixture f;
  auto s = f.make("presence-room");
  s->start(*f.host, nullptr);
  AuthResult ok;
  ok.auth = "key:sig";
  ok.channel_data = R"({"user_id":"a"})";
  f.host->auth_requests[0].second(ok);
  auto m = succeeded("presence-room");
  m.has_presence = true;
  m.members = {{"a", ""}, {"b", ""}, {"c", ""}};
  s->on_succeeded(*f.host, m);
  CHECK(s->members().count() == 2);
  REQUIRE(s->members().me().has_value());
  CHECK(s->members().me()->id == "a");
  REQUIRE(f.host->errors.size() == 1);
  CHECK(f.host->errors[0].code == ErrorCode::queue_overflow);
  s->on_member_removed(*f.host, "b");
  s->on_member_added(*f.host, protocol::Member{"d", R"({"name":"D"})"});
  CHECK(f.host->notices.back() == R"(pusher:member_added {"id":"d","info":{"name":"D"}})");
  s->on_connection_lost(*f.host, f.host->clock.now());
  CHECK(s->members().count() == 0);
}

TEST_CASE("queued client events go out once subscribed, as the limiter allows") {
  Fixture f;
  auto s = f.make("private-room");
  s->start(*f.host, nullptr);
  ClientEventLimiter limiter(2);
  for (int i = 0; i < 3; ++i) s->trigger("client-typing", "{}");
  f.loop.run_posted();  // trigger() hands each event to the loop thread
  CHECK(s->queued_client_events() == 3);
  CHECK_FALSE(s->flush_client_events(*f.host, limiter, f.host->clock.now()));  // not subscribed
  CHECK(f.host->sent.empty());
  AuthResult ok;
  ok.auth = "key:sig";
  f.host->auth_requests[0].second(ok);
  s->on_succeeded(*f.host, succeeded("private-room"));
  CHECK(s->flush_client_events(*f.host, limiter, f.host->clock.now()));  // one waits
  CHECK(f.host->sent.size() == 2);
  CHECK(limiter.next_free() == f.host->clock.now() + 1s);
  f.host->clock.advance(1s);
  CHECK_FALSE(s->flush_client_events(*f.host, limiter, f.host->clock.now()));
  CHECK(f.host->sent.size() == 3);
}

TEST_CASE("ClientEventLimiter admits at most N in any one-second window") {
  ClientEventLimiter limiter(3);
  net::Scheduler::Clock::time_point t{};
  CHECK(limiter.admit(t));
  CHECK(limiter.admit(t + 100ms));
  CHECK(limiter.admit(t + 200ms));
  CHECK_FALSE(limiter.admit(t + 300ms));
  CHECK(limiter.next_free() == t + 1s);
  CHECK_FALSE(limiter.admit(t + 999ms));
  CHECK(limiter.admit(t + 1s));        // the first left the window
  CHECK_FALSE(limiter.admit(t + 1s));  // the second has not
  CHECK(limiter.admit(t + 1100ms));
  CHECK(ClientEventLimiter(0).admit(t));  // 0 means 1, never a dead channel
}

}  // namespace
}  // namespace pusher::detail
