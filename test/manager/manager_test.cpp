// The Manager's channel registry, dispatch and history, on a real loop thread with a fake
// transport and a manual clock. Every step runs on the loop thread and waits for it: no sleeps.
#include "manager/manager_core.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <variant>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fake_transport.hpp"
#include "manual_scheduler.hpp"

using namespace std::chrono_literals;
using pusher::ErrorCode;
using pusher::Event;
using pusher::detail::ManagerCore;

namespace {

struct Harness {
  pusher::detail::net::LoopThread thread;
  std::shared_ptr<pusher::detail::LoopRef> ref =
      std::make_shared<pusher::detail::LoopRef>(thread.loop());
  pusher::test::ManualScheduler clock;
  pusher::test::FakeServerSide server;
  std::shared_ptr<ManagerCore> core;
  std::vector<pusher::Error> errors;
  std::vector<pusher::Binding> bindings;

  explicit Harness(pusher::Options options = base_options()) {
    core = std::make_shared<ManagerCore>(
        options, thread.loop(), ref,
        [this](pusher::detail::net::WebSocketListener& listener) {
          return std::make_unique<pusher::test::FakeTransport>(server, listener);
        },
        &clock);
    on_loop([&] {
      bindings.emplace_back(core->error_handlers.add(
          ref, "", [this](const pusher::Error& e) { errors.push_back(e); }));
    });
  }
  ~Harness() {
    bindings.clear();
    ref->shut();
    thread.stop_and_join();
  }
  static pusher::Options base_options() {
    pusher::Options o;
    o.key = "app-key";
    o.host = "127.0.0.1";
    o.port = 6001;
    o.tls = false;
    return o;
  }
  template <typename F>
  void on_loop(F f) {
    REQUIRE(ref->call([&] { f(); }));
  }
  void connect(const std::string& socket_id = "1.1") {
    core->connect();
    on_loop([&] { server.establish(socket_id); });
  }
  void server_says(const std::string& text) {
    on_loop([&] { server.message(text); });
  }
  void succeed(const std::string& channel) {
    server_says(R"({"event":"pusher_internal:subscription_succeeded","channel":")" + channel + "\"}");
  }
  void event(const std::string& channel, const std::string& name, const std::string& data) {
    server_says(R"({"event":")" + name + R"(","channel":")" + channel + R"(","data":)" + data + "}");
  }
  /// Binds on the Manager (loop thread) and records every event seen.
  void record_all(std::vector<Event>& into, const std::string& filter = "") {
    on_loop([&] {
      bindings.emplace_back(core->events.add(ref, filter, [&into](const Event& e) { into.push_back(e); }));
    });
  }
  std::vector<std::string> sent() {
    std::vector<std::string> out;
    on_loop([&] { out = server.sent; });
    return out;
  }
  int count_sent(const std::string& needle) {
    int n = 0;
    for (const auto& s : sent()) n += s.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
};

}  // namespace

TEST_CASE("channels subscribed before connect are subscribed on connect, once") {
  Harness h;
  auto a = h.core->subscribe("chat");
  auto again = h.core->subscribe("chat");
  CHECK(a.get() == again.get());
  h.core->subscribe("news");
  h.connect();
  CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"chat"}})") == 1);
  CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"news"}})") == 1);
  CHECK_FALSE(a->subscribed());
  std::vector<Event> seen;
  h.record_all(seen);
  h.succeed("chat");
  CHECK(a->subscribed());
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].name == "pusher:subscription_succeeded");
  CHECK(seen[0].channel == "chat");
}

TEST_CASE("subscribe after connect sends at once; an invalid name throws") {
  Harness h;
  h.connect();
  h.core->subscribe("later");
  h.on_loop([] {});
  CHECK(h.count_sent(R"("channel":"later")") == 1);
  CHECK_THROWS_AS(h.core->subscribe("bad name"), std::invalid_argument);
  CHECK_THROWS_AS(h.core->subscribe(""), std::invalid_argument);
  CHECK_THROWS_AS(h.core->subscribe("#server-to-user-1"), std::invalid_argument);
}

TEST_CASE("subscribe then unsubscribe before the loop ran sends nothing") {
  Harness h;
  h.connect();
  std::shared_ptr<pusher::detail::Subscription> channel;
  h.on_loop([&] {  // both calls made before the loop runs either task
    channel = h.core->subscribe("chat");
    h.core->unsubscribe("chat");
  });
  h.on_loop([] {});
  CHECK(h.count_sent("pusher:subscribe") == 0);
  CHECK(h.count_sent("pusher:unsubscribe") == 0);
  CHECK(channel->stale());
  CHECK(h.core->find("chat").get() == nullptr);
}

TEST_CASE("unsubscribe while pending waits for the subscription, then unsubscribes") {
  Harness h;
  h.connect();
  auto channel = h.core->subscribe("chat");
  h.on_loop([] {});
  CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"chat"}})") == 1);
  h.core->unsubscribe("chat");
  h.on_loop([] {});
  CHECK(h.count_sent("pusher:unsubscribe") == 0);
  std::vector<Event> seen;
  h.record_all(seen);
  h.succeed("chat");
  CHECK(h.count_sent(R"({"event":"pusher:unsubscribe","data":{"channel":"chat"}})") == 1);
  CHECK(h.core->find("chat").get() == nullptr);
  CHECK_FALSE(channel->subscribed());
  CHECK(seen.empty());  // no subscription_succeeded for a cancelled subscription
  SUBCASE("and a later subscribe starts afresh") {
    auto fresh = h.core->subscribe("chat");
    CHECK(fresh.get() != channel.get());
    h.on_loop([] {});
    CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"chat"}})") == 2);
  }
}

TEST_CASE("subscribing again while an unsubscribe is pending takes over the request") {
  Harness h;
  h.connect();
  auto channel = h.core->subscribe("chat");
  h.on_loop([] {});
  h.core->unsubscribe("chat");
  auto again = h.core->subscribe("chat");
  CHECK(again.get() != channel.get());
  CHECK(channel->stale());
  h.succeed("chat");
  CHECK(h.count_sent("pusher:unsubscribe") == 0);
  CHECK(again->subscribed());
  CHECK_FALSE(channel->subscribed());
  CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"chat"}})") == 1);
}

TEST_CASE("regression: leave and rejoin a subscribed channel, then bind on the new handle") {
  // Once the rejoin got the old handle, which the unsubscribe then dropped from the registry:
  // the new binding never saw an event.
  Harness h;
  h.connect();
  auto first = pusher::Channel(h.core->subscribe("room"));
  h.succeed("room");
  h.core->unsubscribe("room");
  auto second = pusher::Channel(h.core->subscribe("room"));
  std::vector<Event> seen;
  auto binding = second.bind("ev", [&seen](const Event& e) { seen.push_back(e); });
  h.on_loop([] {});
  h.succeed("room");
  h.event("room", "ev", "\"1\"");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].data == "1");
  CHECK(second.subscribed());
  SUBCASE("the old handle is stale: bind and trigger on it are reported") {
    auto stale = first.bind("ev", [](const Event&) {});
    CHECK_FALSE(stale.active());
    h.on_loop([] {});
    REQUIRE_FALSE(h.errors.empty());
    CHECK(h.errors.back().code == ErrorCode::stale_channel);
  }
}

TEST_CASE("unsubscribing a subscribed channel sends pusher:unsubscribe and drops its handlers") {
  Harness h;
  h.connect();
  auto channel = h.core->subscribe("chat");
  h.succeed("chat");
  int calls = 0;
  pusher::Channel handle(channel);
  auto binding = handle.bind("ev", [&](const Event&) { ++calls; });
  h.event("chat", "ev", "\"{}\"");
  h.core->unsubscribe("chat");
  h.event("chat", "ev", "\"{}\"");
  CHECK(calls == 1);
  CHECK(h.count_sent(R"({"event":"pusher:unsubscribe","data":{"channel":"chat"}})") == 1);
  CHECK_FALSE(binding.active());
}

TEST_CASE("after a reconnect every channel is resubscribed once and says how long it was away") {
  Harness h;
  auto chat = h.core->subscribe("chat");
  h.connect("1.1");
  h.succeed("chat");
  std::vector<Event> seen;
  h.record_all(seen);
  h.on_loop([&] { h.server.drop(1006); });
  CHECK_FALSE(chat->subscribed());
  h.on_loop([&] { h.clock.advance(2500ms); });  // backoff runs out on the manual clock
  h.on_loop([&] { h.server.establish("2.2"); });
  CHECK(h.core->socket_id() == "2.2");
  CHECK(h.count_sent(R"({"event":"pusher:subscribe","data":{"channel":"chat"}})") == 2);
  h.succeed("chat");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].name == "pusher:subscription_succeeded");
  CHECK(seen[1].name == "pusher:resubscribed");
  CHECK(seen[1].data.rfind("{\"away_ms\":", 0) == 0);
}

TEST_CASE("events reach channel handlers first, then the Manager's, with their data intact") {
  Harness h;
  auto channel = h.core->subscribe("chat");
  h.connect();
  h.succeed("chat");
  std::vector<std::string> order;
  pusher::Channel handle(channel);
  auto b1 = handle.bind("App\\Events\\MessageSent", [&](const Event& e) {
    order.push_back("channel:" + e.data);
  });
  auto b2 = handle.bind("other", [&](const Event&) { order.push_back("wrong"); });
  std::vector<Event> manager_seen;
  h.record_all(manager_seen, "App\\Events\\MessageSent");
  h.event("chat", "App\\\\Events\\\\MessageSent", R"("{\"text\":\"h\u00e9 \\\"q\\\"\"}")");
  h.server_says(R"({"event":"client-typing","channel":"chat","data":{"typing":true},"user_id":"7"})");
  REQUIRE(order.size() == 1);
  CHECK(order[0] == "channel:{\"text\":\"h\xC3\xA9 \\\"q\\\"\"}");
  REQUIRE(manager_seen.size() == 1);
  CHECK(manager_seen[0].channel == "chat");
  auto history = h.core->history();
  REQUIRE(history.size() == 2);
  CHECK(history[1].name == "client-typing");
  CHECK(history[1].data == "{\"typing\":true}");
  CHECK(history[1].user_id == "7");
}

TEST_CASE("a throwing callback is reported and the other callbacks still run") {
  Harness h;
  h.connect();
  int later = 0;
  h.on_loop([&] {
    h.bindings.emplace_back(h.core->events.add(h.ref, "", [](const Event&) {
      throw std::runtime_error("boom");
    }));
    h.bindings.emplace_back(h.core->events.add(h.ref, "", [&](const Event&) { ++later; }));
  });
  h.event("c", "ev", "\"{}\"");
  CHECK(later == 1);
  REQUIRE_FALSE(h.errors.empty());
  CHECK(h.errors.back().code == ErrorCode::callback_exception);
  CHECK(h.errors.back().message.find("boom") != std::string::npos);
}

TEST_CASE("unbinding and unsubscribing inside a callback are safe") {
  Harness h;
  auto channel = h.core->subscribe("chat");
  h.connect();
  h.succeed("chat");
  pusher::Channel handle(channel);
  int first = 0;
  int second = 0;
  pusher::Binding self;
  self = handle.bind("ev", [&](const Event&) {
    ++first;
    self.unbind();  // from inside its own callback
  });
  auto other = handle.bind("ev", [&](const Event&) {
    ++second;
    h.core->unsubscribe("chat");
  });
  h.event("chat", "ev", "\"{}\"");
  h.event("chat", "ev", "\"{}\"");
  CHECK(first == 1);
  CHECK(second == 1);
  CHECK(h.core->find("chat").get() == nullptr);
}

TEST_CASE("dispatch keeps binding order; an unbind inside a callback stops a later one at once") {
  Harness h;
  auto channel = h.core->subscribe("chat");
  h.connect();
  h.succeed("chat");
  pusher::Channel handle(channel);
  std::vector<std::string> order;
  pusher::Binding first;
  pusher::Binding second;
  pusher::Binding third;
  first = handle.bind("ev", [&](const Event&) {
    order.push_back("first");
    third.unbind();  // a later callback of the same event: it does not run for this one
  });
  second = handle.bind_global([&](const Event& e) {
    if (e.name != "ev") return;
    order.push_back("second");
    first.unbind();  // an earlier one, and itself
    second.unbind();
  });
  third = handle.bind("ev", [&](const Event&) { order.push_back("third"); });
  std::vector<Event> manager_seen;
  h.record_all(manager_seen, "ev");
  h.event("chat", "ev", "\"1\"");
  h.event("chat", "ev", "\"2\"");
  CHECK(order == std::vector<std::string>{"first", "second"});
  REQUIRE(manager_seen.size() == 2);
  CHECK(manager_seen[1].data == "2");
}

TEST_CASE("callbacks bound while an event is dispatched wait for the next event") {
  Harness h;
  h.connect();
  int added_calls = 0;
  int dispatches = 0;
  h.on_loop([&] {
    h.bindings.emplace_back(h.core->events.add(h.ref, "", [&](const Event&) {
      if (dispatches++ != 0) return;
      // Enough to move the registry's storage while its dispatch is running.
      for (int i = 0; i < 64; ++i) {
        h.bindings.emplace_back(
            h.core->events.add(h.ref, "", [&](const Event&) { ++added_calls; }));
      }
    }));
  });
  h.event("c", "ev", "\"{}\"");
  CHECK(added_calls == 0);
  h.event("c", "ev", "\"{}\"");
  CHECK(added_calls == 64);
  CHECK(dispatches == 2);
}

TEST_CASE("a Manager shut down inside a callback for a cancelled channel's event") {
  // The channel was left while its subscribe was unanswered, so only the registry holds it,
  // and the shutdown's state change forgets it while its event is being dispatched.
  Harness h;
  h.connect();
  h.core->subscribe("chat");
  h.on_loop([] {});
  h.core->unsubscribe("chat");
  int calls = 0;
  int app_calls = 0;
  h.on_loop([&] {
    h.bindings.emplace_back(h.core->events.add(h.ref, "", [&](const Event&) {
      ++calls;
      h.core->shutdown();
    }));
    h.bindings.emplace_back(h.core->app_events.add(
        h.ref, "", [&](const pusher::AppEvent&, const Event&) { ++app_calls; }));
  });
  REQUIRE(h.ref->call([&] { h.server.message(R"({"event":"ev","channel":"chat","data":"{}"})"); }));
  CHECK(calls == 1);
  CHECK(app_calls == 0);  // nothing runs once the Manager is shut down
}

TEST_CASE("a destroyed Binding's callback never runs again") {
  Harness h;
  h.connect();
  int calls = 0;
  {
    pusher::Binding b;
    h.on_loop([&] { b = pusher::Binding(h.core->events.add(h.ref, "ev", [&](const Event&) { ++calls; })); });
    h.event("c", "ev", "\"{}\"");
  }
  h.event("c", "ev", "\"{}\"");
  CHECK(calls == 1);
}

TEST_CASE("history keeps the last 100 events, oldest first") {
  Harness h;
  h.connect();
  for (int i = 0; i < 150; ++i) h.event("c", "e" + std::to_string(i), "\"{}\"");
  auto history = h.core->history();
  REQUIRE(history.size() == 100);
  CHECK(history.front().name == "e50");
  CHECK(history.back().name == "e149");
  for (std::size_t i = 1; i < history.size(); ++i) {
    CHECK(history[i].name == "e" + std::to_string(50 + i));
  }
}

TEST_CASE("history capacity is configurable and notices are not history") {
  pusher::Options o = Harness::base_options();
  o.history_capacity = 3;
  Harness h(o);
  h.core->subscribe("c");
  h.connect();
  h.succeed("c");
  for (int i = 0; i < 5; ++i) h.event("c", "e" + std::to_string(i), "\"{}\"");
  auto history = h.core->history();
  REQUIRE(history.size() == 3);
  CHECK(history[0].name == "e2");
}

TEST_CASE("soketi's subscription_error becomes a channel event and an error") {
  pusher::Options o = Harness::base_options();
  o.authorizer = pusher::make_secret_authorizer("app-key", "app-secret");
  Harness h(o);
  auto channel = h.core->subscribe("private-x");
  h.connect();
  std::vector<Event> seen;
  h.record_all(seen);
  h.server_says(R"({"event":"pusher:subscription_error","channel":"private-x","data":{"type":"AuthError","error":"The connection is unauthorized.","status":401}})");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].name == "pusher:subscription_error");
  CHECK(seen[0].data == R"({"type":"AuthError","error":"The connection is unauthorized.","status":401})");
  REQUIRE_FALSE(h.errors.empty());
  CHECK(h.errors.back().code == ErrorCode::subscription_failed);
  CHECK(h.errors.back().server_code == 401);
  CHECK(h.errors.back().code_kind == pusher::CodeKind::http);
  CHECK(h.errors.back().channel == "private-x");
  CHECK_FALSE(channel->subscribed());
}

TEST_CASE("subscription_count and cache_miss arrive as channel notices") {
  Harness h;
  auto channel = h.core->subscribe("cache-x");
  h.connect();
  h.succeed("cache-x");
  std::vector<Event> seen;
  h.record_all(seen);
  h.server_says(R"({"event":"pusher_internal:subscription_count","channel":"cache-x","data":"{\"subscription_count\":42}"})");
  h.server_says(R"({"event":"pusher:cache_miss","channel":"cache-x"})");
  CHECK(channel->subscription_count() == 42);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].name == "pusher:subscription_count");
  CHECK(seen[0].data == R"({"subscription_count":42})");
  CHECK(seen[1].name == "pusher:cache_miss");
}

TEST_CASE("unknown pusher events are ignored") {
  Harness h;
  h.connect();
  std::vector<Event> seen;
  h.record_all(seen);
  for (int i = 0; i < 1000; ++i) h.server_says(R"({"event":"pusher:delta","data":{}})");
  CHECK(seen.empty());
  CHECK(h.errors.empty());
}

// ---- the caller's contract: regressions, one per break once seen ---------------------------

TEST_CASE("regression: a host with a trailing newline is refused at construction") {
  pusher::Options o = Harness::base_options();
  o.host = "127.0.0.1\n";  // read from a config file: once it ended in std::terminate
  CHECK_THROWS_AS(pusher::Manager{o}, std::invalid_argument);
  o = Harness::base_options();
  o.key = "app key";
  CHECK_THROWS_AS(pusher::Manager{o}, std::invalid_argument);
  o = Harness::base_options();
  o.port = 70000;
  CHECK_THROWS_AS(pusher::Manager{o}, std::invalid_argument);
  o = Harness::base_options();
  o.connect_timeout = 0ms;
  CHECK_THROWS_AS(pusher::Manager{o}, std::invalid_argument);
  o = Harness::base_options();
  o.auth.headers = {{"X-Token", "abc\r\nEvil: 1"}};
  CHECK_THROWS_AS(pusher::Manager{o}, std::invalid_argument);
}

TEST_CASE("regression: the history keeps to its byte budget") {
  pusher::Options o = Harness::base_options();
  o.history_max_bytes = 1000;
  Harness h(o);
  h.core->subscribe("c");
  h.connect();
  h.succeed("c");
  for (int i = 0; i < 10; ++i) h.event("c", "e", "\"" + std::string(300, 'x') + "\"");
  h.event("c", "huge", "\"" + std::string(5000, 'x') + "\"");
  auto history = h.core->history();
  CHECK(h.core->history_bytes() <= 1000);
  REQUIRE_FALSE(history.empty());
  CHECK(history.back().name == "e");  // one event over the budget on its own is not kept
}

TEST_CASE("regression: a server that pings but never reads cannot grow the write buffer") {
  pusher::Options o = Harness::base_options();
  o.write_buffer_limit = 20000;
  Harness h(o);
  h.connect();
  int pongs_before = h.count_sent("pusher:pong");
  h.on_loop([&] { h.server.unread_bytes = 70 * 1024; });  // the server stopped reading
  h.server_says(R"({"event":"pusher:ping","data":{}})");
  CHECK(h.count_sent("pusher:pong") == pongs_before);  // skipped past the 64 KiB backlog
  h.on_loop([&] { h.server.unread_bytes = 19990; });
  h.core->subscribe("news");
  h.on_loop([&] { h.clock.run_due(); });
  bool failed = false;
  h.on_loop([&] {
    for (auto& e : h.errors) failed = failed || e.code == ErrorCode::io_error;
  });
  CHECK(failed);
  CHECK(h.core->state() == pusher::ConnectionState::connecting);
}

TEST_CASE("regression: Manager B destroyed inside a state callback of Manager A on one SharedLoop") {
  auto shared = std::make_shared<pusher::SharedLoop>();
  pusher::Options o = Harness::base_options();
  o.port = 1;  // nothing listens: each attempt fails fast on loopback
  o.loop = shared;
  auto a = std::make_unique<pusher::Manager>(o);
  auto b = std::make_unique<pusher::Manager>(o);
  std::promise<void> done;
  auto binding = a->on_state_change([&](const pusher::StateChange&) {
    if (!b) return;
    b.reset();  // once a segmentation fault
    done.set_value();
  });
  b->connect();
  a->connect();
  CHECK(done.get_future().wait_for(10s) == std::future_status::ready);
  binding.unbind();
  a.reset();
}

TEST_CASE("a Manager destroyed from its own callback finishes after the callback returns") {
  pusher::Options o = Harness::base_options();
  o.port = 1;
  auto m = std::make_unique<pusher::Manager>(o);
  std::promise<void> done;
  std::atomic<int> calls{0};
  auto binding = m->on_state_change([&](const pusher::StateChange&) {
    if (calls++ != 0) return;
    m.reset();  // the destructor cannot join its own thread: it closes and defers the rest
    done.set_value();
  });
  binding.release();
  m->connect();
  CHECK(done.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(calls.load() == 1);  // the "disconnected" change came after the destructor: not reported
}

TEST_CASE("a typed name whose data does not fit says why: Unknown::reason and a debug line") {
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  pusher::Options o = Harness::base_options();
  o.log_level = pusher::LogLevel::debug;
  o.logger = [&](pusher::LogLevel, const std::string& line) {
    std::lock_guard<std::mutex> lock(lines_mutex);
    lines.push_back(line);
  };
  Harness h(o);
  std::vector<pusher::AppEvent> typed;
  h.on_loop([&] {
    h.bindings.emplace_back(h.core->app_events.add(
        h.ref, "", [&typed](const pusher::AppEvent& a, const Event&) { typed.push_back(a); }));
  });
  h.core->subscribe("room");
  h.connect();
  h.succeed("room");
  h.event("room", "App\\\\Events\\\\MessageSent", R"("{\"id\":1}")");
  REQUIRE(typed.size() == 1);
  const auto* unknown = std::get_if<pusher::Unknown>(&typed[0]);
  REQUIRE(unknown != nullptr);
  CHECK_FALSE(unknown->reason.empty());
  std::lock_guard<std::mutex> lock(lines_mutex);
  bool logged = false;
  for (const auto& l : lines) logged = logged || l.find("stays Unknown: " + unknown->reason) != std::string::npos;
  CHECK(logged);
}

TEST_CASE("Member::info_string reads a top-level field of user_info (Echo's user.name)") {
  pusher::Member m{"1", R"({"name":"Ann \u00e9","age":42,"admin":true,"tags":["a"],"nothing":null})"};
  CHECK(m.info_string("name") == "Ann \xc3\xa9");
  CHECK(m.info_string("age") == "42");
  CHECK(m.info_string("admin") == "true");
  CHECK(m.info_string("tags").empty());
  CHECK(m.info_string("nothing").empty());
  CHECK(m.info_string("missing").empty());
  CHECK(pusher::Member{"2", ""}.info_string("name").empty());
  CHECK(pusher::Member{"3", "not json"}.info_string("name").empty());
}

TEST_CASE("an exception that escapes a loop task or timer is an internal_error, not terminate") {
  Harness h;
  h.core->start();
  REQUIRE(h.ref->post([] { throw std::runtime_error("boom in a task"); }));
  h.on_loop([] {});
  h.on_loop([&] {
    bool found = false;
    for (auto& e : h.errors) {
      found = found || (e.code == ErrorCode::internal_error &&
                        e.message.find("boom in a task") != std::string::npos);
    }
    CHECK(found);
  });
}
