// The public Manager against a real soketi: events triggered through soketi's HTTP API with
// the official `pusher` library, a SIGKILL + restart, a refused app key, the short retry of a
// refused port and connect pacing on a SharedLoop.
#include <pusher/pusher.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <map>
#include <thread>
#include <variant>
#include <mutex>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "recorder.hpp"

using namespace std::chrono_literals;

namespace {

/// Records what a Manager reports, for waiting on from the test thread.
struct Watcher : pusher::test::Recorder {
  std::vector<pusher::Event> events;
  std::vector<pusher::StateChange> states;
  std::vector<pusher::Error> errors;
  std::map<std::string, int> succeeded;  // subscription_succeeded per channel
  std::vector<pusher::Binding> bindings;

  explicit Watcher(pusher::Manager& m) {
    bindings.push_back(m.bind_global([this](const pusher::Event& e) {
      record([&] {
        if (e.name == "pusher:subscription_succeeded") ++succeeded[e.channel];
        if (e.name.rfind("pusher:", 0) != 0) events.push_back(e);
      });
    }));
    bindings.push_back(m.on_state_change([this](const pusher::StateChange& c) {
      record([&] { states.push_back(c); });
    }));
    bindings.push_back(m.on_error([this](const pusher::Error& e) { record([&] { errors.push_back(e); }); }));
  }
  bool wait_subscribed(const std::string& channel, int times = 1) {
    return wait([&] { return succeeded[channel] >= times; });
  }
  std::size_t event_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return events.size();
  }
};

pusher::Options options_for(const pusher::test::SoketiServer& soketi) {
  pusher::Options o;
  o.key = soketi.options().key;
  o.host = "127.0.0.1";
  o.port = soketi.port();
  o.tls = false;
  o.proxy = "";
  o.reconnect.initial_delay = 200ms;  // a test waits for reconnects: keep them quick
  o.reconnect.max_delay = 1000ms;
  return o;
}

}  // namespace

TEST_CASE("events triggered through soketi's HTTP API arrive in order with their data intact") {
  pusher::test::SoketiServer soketi;
  pusher::Manager manager(options_for(soketi));
  Watcher w(manager);
  auto chat = manager.subscribe("chat");
  auto news = manager.subscribe("news");
  manager.connect();
  REQUIRE(w.wait_subscribed("chat"));
  REQUIRE(w.wait_subscribed("news"));
  CHECK(chat.subscribed());
  CHECK(manager.state() == pusher::ConnectionState::connected);
  CHECK_FALSE(manager.socket_id().empty());

  soketi.trigger("chat", "App\\Events\\MessageSent",
                 R"({"text":"h\u00e9llo \"world\" \u20ac","user":{"id":1,"name":"alice"}})", 20);
  soketi.trigger("news", "headline", R"({"title":"one"})");
  REQUIRE(w.wait([&] { return w.events.size() >= 21; }));
  std::lock_guard<std::mutex> lock(w.mutex);
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    const auto& e = w.events[static_cast<std::size_t>(i)];
    CHECK(e.channel == "chat");
    CHECK(e.name == "App\\Events\\MessageSent");
    CHECK(e.data.find("\"seq\":" + std::to_string(i)) != std::string::npos);
    CHECK(e.data.find("h\xC3\xA9llo \\\"world\\\" \xE2\x82\xAC") != std::string::npos);
  }
  CHECK(w.events[20].channel == "news");
  CHECK(w.events[20].data == R"({"title":"one"})");
  auto history = manager.history();
  CHECK(history.size() == 21);
}

TEST_CASE("typed events decode from what soketi delivers") {
  pusher::test::SoketiServer soketi;
  pusher::Manager manager(options_for(soketi));
  Watcher w(manager);
  std::mutex mutex;
  std::vector<pusher::AppEvent> typed;
  auto b = manager.bind_app_events([&](const pusher::AppEvent& app, const pusher::Event&) {
    std::lock_guard<std::mutex> lock(mutex);
    typed.push_back(app);
  });
  manager.subscribe("room");
  manager.connect();
  REQUIRE(w.wait_subscribed("room"));
  soketi.trigger("room", "App\\Events\\MessageSent",
                 R"({"message":{"id":7,"text":"hi","user":{"id":1,"name":"alice"}}})");
  soketi.trigger("room", "something.else", R"({"x":1})");
  REQUIRE(w.wait([&] { return w.events.size() >= 2; }));
  std::lock_guard<std::mutex> lock(mutex);
  REQUIRE(typed.size() == 2);
  auto* sent = std::get_if<pusher::MessageSent>(&typed[0]);
  REQUIRE(sent != nullptr);
  CHECK(sent->id == "7");
  CHECK(sent->text == "hi");
  CHECK(sent->sender_name == "alice");
  CHECK(std::holds_alternative<pusher::Unknown>(typed[1]));
}

TEST_CASE("soketi killed and restarted: reconnect, resubscribe once, receive new events") {
  pusher::test::SoketiServer soketi;
  pusher::Manager manager(options_for(soketi));
  Watcher w(manager);
  manager.subscribe("a");
  manager.subscribe("b");
  manager.connect();
  REQUIRE(w.wait_subscribed("a"));
  REQUIRE(w.wait_subscribed("b"));
  std::string first_socket = manager.socket_id();

  soketi.kill_hard();
  REQUIRE(w.wait([&] { return !w.states.empty() && w.states.back().current != pusher::ConnectionState::connected; }));
  soketi.restart();
  REQUIRE(w.wait_subscribed("a", 2));
  REQUIRE(w.wait_subscribed("b", 2));
  CHECK(manager.socket_id() != first_socket);
  soketi.trigger("a", "after", R"({"n":1})");
  soketi.trigger("b", "after", R"({"n":2})");
  REQUIRE(w.wait([&] { return w.events.size() >= 2; }));
  std::lock_guard<std::mutex> lock(w.mutex);
  CHECK(w.events.size() == 2);  // each exactly once: no duplicate subscription
  CHECK(w.succeeded["a"] == 2);
  CHECK(w.succeeded["b"] == 2);
  CHECK(manager.stats().reconnects == 1);
  // Every error of the outage says the SDK was recovering; the drop itself is one of them.
  REQUIRE_FALSE(w.errors.empty());
  int closed = 0;
  for (const auto& e : w.errors) {
    CHECK_MESSAGE(e.transient, pusher::to_string(e.code) << ": " << e.message);
    closed += e.code == pusher::ErrorCode::connection_closed ? 1 : 0;
  }
  CHECK(closed == 1);
}

TEST_CASE("a wrong app key is refused (4001) without a reconnect loop") {
  pusher::test::SoketiServer soketi;
  pusher::Options o = options_for(soketi);
  o.key = "no-such-key";
  pusher::Manager manager(o);
  Watcher w(manager);
  manager.connect();
  REQUIRE(w.wait([&] {
    for (auto& e : w.errors) {
      if (e.code == pusher::ErrorCode::connection_refused) return true;
    }
    return false;
  }));
  CHECK(manager.state() == pusher::ConnectionState::disconnected);
  // No further attempts: the state stays put.
  CHECK_FALSE(w.wait([&] { return w.states.size() > 2; }, 1500ms));
  std::lock_guard<std::mutex> lock(w.mutex);
  CHECK(w.states.size() == 2);  // connecting, disconnected
  bool saw_4001 = false;
  for (auto& e : w.errors) saw_4001 = saw_4001 || e.server_code == 4001;
  CHECK(saw_4001);
}

TEST_CASE("the destructor closes and joins promptly even with the server gone") {
  pusher::test::SoketiServer soketi;
  auto start = std::chrono::steady_clock::now();
  {
    pusher::Manager manager(options_for(soketi));
    Watcher w(manager);
    manager.subscribe("x");
    manager.connect();
    REQUIRE(w.wait_subscribed("x"));
    soketi.kill_hard();
  }
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("many Managers share one loop thread; destroying one leaves the others running") {
  pusher::test::SoketiServer soketi;
  auto loop = std::make_shared<pusher::SharedLoop>();
  pusher::Options o = options_for(soketi);
  o.loop = loop;
  constexpr int kManagers = 20;
  std::vector<std::unique_ptr<pusher::Manager>> managers;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kManagers; ++i) {
    managers.push_back(std::make_unique<pusher::Manager>(o));
    watchers.push_back(std::make_unique<Watcher>(*managers.back()));
    managers.back()->subscribe("fan");
    managers.back()->connect();
  }
  for (auto& w : watchers) REQUIRE(w->wait_subscribed("fan"));
  // Destroy half of them while the loop keeps serving the rest.
  for (int i = 0; i < kManagers / 2; ++i) {
    watchers[static_cast<std::size_t>(i)].reset();
    managers[static_cast<std::size_t>(i)].reset();
  }
  soketi.trigger("fan", "tick", R"({"n":1})");
  for (int i = kManagers / 2; i < kManagers; ++i) {
    auto& w = *watchers[static_cast<std::size_t>(i)];
    REQUIRE(w.wait([&] { return !w.events.empty(); }));
    CHECK(w.event_count() == 1);
  }
}

TEST_CASE("soketi down: its refused port is retried on the short interval, not backed off") {
  pusher::test::SoketiServer soketi;
  pusher::Options o = options_for(soketi);
  o.reconnect.initial_delay = 5s;     // a back-off would show as waits outside 150-450 ms
  o.reconnect.max_delay = 30s;
  o.activity_timeout = 1s;            // so the connection counts as stable after a second
  pusher::Manager manager(o);
  Watcher w(manager);
  std::vector<std::chrono::milliseconds> delays;
  auto announced = manager.on_connecting_in([&](std::chrono::milliseconds delay, unsigned) {
    w.record([&] { delays.push_back(delay); });
  });
  manager.subscribe("room");
  manager.connect();
  REQUIRE(w.wait_subscribed("room"));
  std::this_thread::sleep_for(1500ms);  // up for longer than the activity timeout

  soketi.kill_hard();
  // The drop and then refused connects to a port nothing listens on (the kernel's reset).
  REQUIRE(w.wait([&] { return delays.size() >= 4; }, 20s));
  soketi.restart();
  REQUIRE(w.wait_subscribed("room", 2));
  std::lock_guard<std::mutex> lock(w.mutex);
  for (auto delay : delays) {
    CHECK(delay >= 150ms);
    CHECK(delay < 450ms);
  }
  int refused = 0;
  for (const auto& e : w.errors) {
    CHECK_MESSAGE(e.transient, pusher::to_string(e.code) << ": " << e.message);
    refused += e.code == pusher::ErrorCode::connect_failed ? 1 : 0;
  }
  CHECK(refused >= 3);
}

TEST_CASE("a SharedLoop paces connects (LoopOptions::max_connecting): all come up, and back") {
  pusher::test::SoketiServer soketi;
  auto loop = std::make_shared<pusher::SharedLoop>(pusher::LoopOptions{2});
  pusher::Options o = options_for(soketi);
  o.loop = loop;
  constexpr int kManagers = 24;
  std::vector<std::unique_ptr<pusher::Manager>> managers;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kManagers; ++i) {
    managers.push_back(std::make_unique<pusher::Manager>(o));
    watchers.push_back(std::make_unique<Watcher>(*managers.back()));
    managers.back()->subscribe("paced-" + std::to_string(i));
    managers.back()->connect();
  }
  for (int i = 0; i < kManagers; ++i) {
    REQUIRE(watchers[static_cast<std::size_t>(i)]->wait_subscribed("paced-" + std::to_string(i)));
  }
  soketi.kill_hard();
  soketi.restart();
  for (int i = 0; i < kManagers; ++i) {
    auto& w = *watchers[static_cast<std::size_t>(i)];
    REQUIRE(w.wait_subscribed("paced-" + std::to_string(i), 2));
    std::lock_guard<std::mutex> lock(w.mutex);
    for (const auto& e : w.errors) CHECK_MESSAGE(e.transient, pusher::to_string(e.code) << ": " << e.message);
  }
  // Destroying Managers that still wait for a slot leaves nothing behind on the loop.
  soketi.kill_hard();
  watchers.resize(kManagers / 2);
  managers.resize(kManagers / 2);
  soketi.restart();
  for (auto& w : watchers) REQUIRE(w->wait([&] { return w->succeeded.begin()->second >= 3; }));
}

// ---- Laravel Echo's calls, as a C++ program writes them -------------------------------------

TEST_CASE("Echo-shaped calls against soketi: listen, stopListening, listenToAll, leave, channels") {
  pusher::test::SoketiServer soketi;
  pusher::Manager manager(options_for(soketi));
  Watcher w(manager);
  std::vector<std::string> frames, listened, all, notified;
  std::mutex mutex;
  auto raw = manager.bind_message([&](const std::string& f) {
    std::lock_guard<std::mutex> lock(mutex);
    frames.push_back(f);
  });
  auto room = manager.subscribe("room");
  auto heard = room.listen("MessageSent", [&](const pusher::Event& e) {
    std::lock_guard<std::mutex> lock(mutex);
    listened.push_back(e.name);
  });
  auto every = room.listen_to_all([&](const std::string& name, const pusher::Event&) {
    std::lock_guard<std::mutex> lock(mutex);
    all.push_back(name);
  });
  auto notes = room.notification([&](const pusher::Event& e) {
    std::lock_guard<std::mutex> lock(mutex);
    notified.push_back(e.data);
  });
  manager.connect();
  REQUIRE(w.wait_subscribed("room"));
  soketi.trigger("room", "App\\Events\\MessageSent", R"({"text":"hi"})");
  soketi.trigger("room", "order.shipped", R"({"id":7})");
  soketi.trigger("room", "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated",
                 R"({"type":"invoice.paid"})");
  REQUIRE(w.wait([&] { return w.events.size() >= 3; }));
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(listened == std::vector<std::string>{"App\\Events\\MessageSent"});
    CHECK(all == std::vector<std::string>{"MessageSent", ".order.shipped",
                                          ".Illuminate\\Notifications\\Events\\BroadcastNotificationCreated"});
    REQUIRE(notified.size() == 1);
    CHECK(notified[0] == R"({"type":"invoice.paid"})");
    bool saw_raw = false;
    for (const auto& f : frames) saw_raw = saw_raw || f.find("order.shipped") != std::string::npos;
    CHECK(saw_raw);
  }
  // The history, decoded: the first is a MessageSent.
  auto typed = manager.app_history();
  REQUIRE(typed.size() == 3);
  CHECK(std::holds_alternative<pusher::MessageSent>(typed[0]));

  // stopListening: every binding for the name ends, the RAII handle is inert.
  room.stop_listening("MessageSent");
  CHECK_FALSE(heard.active());
  soketi.trigger("room", "App\\Events\\MessageSent", R"({"text":"again"})");
  REQUIRE(w.wait([&] { return w.events.size() >= 4; }));
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(listened.size() == 1);
    CHECK(all.size() == 4);
  }

  // leave() under every prefix; channels() lists what is left.
  auto news = manager.subscribe("news");
  auto priv = manager.subscribe("private-news");  // no authorizer: it fails, and says why
  CHECK(manager.channels().size() == 3);
  REQUIRE(w.wait([&] { return !w.errors.empty(); }));
  auto last = manager.last_error();
  REQUIRE(last.has_value());
  CHECK(last->code == pusher::ErrorCode::auth_failed);
  CHECK(last->channel == "private-news");
  manager.leave("news");
  auto left = manager.channels();
  REQUIRE(left.size() == 1);
  CHECK(left[0].name() == "room");
}

TEST_CASE("ReconnectPolicy::enabled = false: after a drop the Manager stays disconnected") {
  pusher::test::SoketiServer soketi;
  pusher::Options o = options_for(soketi);
  o.reconnect.enabled = false;
  pusher::Manager manager(o);
  Watcher w(manager);
  std::vector<unsigned> attempts;
  auto a = manager.on_connecting_in([&](std::chrono::milliseconds, unsigned attempt) {
    std::lock_guard<std::mutex> lock(w.mutex);
    attempts.push_back(attempt);
  });
  manager.subscribe("room");
  manager.connect();
  REQUIRE(w.wait_subscribed("room"));
  soketi.kill_hard();
  REQUIRE(w.wait([&] {
    return !w.states.empty() && w.states.back().current == pusher::ConnectionState::disconnected;
  }));
  soketi.restart();
  std::this_thread::sleep_for(500ms);  // a reconnect, were there one, would start at once
  std::lock_guard<std::mutex> lock(w.mutex);
  CHECK(attempts.empty());
  CHECK(manager.state() == pusher::ConnectionState::disconnected);
}
