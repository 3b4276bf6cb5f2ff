// A hostile server (issue 7): a scripted WebSocket server of ours on loopback breaks RFC 6455
// and the Pusher protocol on purpose. Each case asserts the error the SDK reports, the close
// code it sends (decoded on the server side), that nothing crashes or hangs (every wait has a
// deadline), that memory stays bounded, and that the connection recovers where it should.
//
// Transport-only behaviour is checked on the internal WebSocket (through WsClient); what the
// application sees is checked through the public pusher::Manager.
#include <pusher/pusher.hpp>

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hostile_server.hpp"
#include "recorder.hpp"
#include "net/websocket.hpp"
#include "ws/handshake.hpp"
#include "ws_client.hpp"

using namespace std::chrono_literals;
using pusher::ConnectionState;
using pusher::ErrorCode;
using pusher::test::WsClient;
using pusher::test::hostile::ClientFrame;
using pusher::test::hostile::Conn;
using pusher::test::hostile::ConnLog;
using pusher::test::hostile::established;
using pusher::test::hostile::HostileServer;
using pusher::test::hostile::json_quote;
using pusher::test::hostile::pusher_message;
using pusher::test::hostile::pusher_message_no_data;
using pusher::test::hostile::pusher_message_object;

namespace {

using Clock = std::chrono::steady_clock;

// ---- What a Manager reports ----

struct Watcher : pusher::test::Recorder {
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    return Recorder::wait(pred, timeout);
  }

  std::vector<pusher::Event> events;  // every event and notice, pusher:* included
  std::vector<pusher::StateChange> states;
  std::vector<pusher::Error> errors;
  std::vector<std::chrono::milliseconds> delays;  // on_connecting_in
  std::vector<pusher::Binding> bindings;

  explicit Watcher(pusher::Manager& m) {
    bindings.push_back(m.bind_global([this](const pusher::Event& e) {
      record([&] { events.push_back(e); });
    }));
    bindings.push_back(m.on_state_change([this](const pusher::StateChange& c) {
      record([&] { states.push_back(c); });
    }));
    bindings.push_back(
        m.on_error([this](const pusher::Error& e) { record([&] { errors.push_back(e); }); }));
    bindings.push_back(m.on_connecting_in([this](std::chrono::milliseconds d) {
      record([&] { delays.push_back(d); });
    }));
  }
  // Unlocked helpers, for use inside wait() predicates or under the lock.
  std::size_t errors_of(ErrorCode code, int server_code = -1) const {
    return static_cast<std::size_t>(std::count_if(errors.begin(), errors.end(), [&](auto& e) {
      return e.code == code && (server_code < 0 || e.server_code == server_code);
    }));
  }
  std::size_t connected_count() const {
    return static_cast<std::size_t>(std::count_if(states.begin(), states.end(), [](auto& c) {
      return c.current == ConnectionState::connected;
    }));
  }
  const pusher::Event* event(const std::string& name, const std::string& channel = "*") const {
    for (const auto& e : events) {
      if (e.name == name && (channel == "*" || e.channel == channel)) return &e;
    }
    return nullptr;
  }
  std::size_t events_named(const std::string& name) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](auto& e) { return e.name == name; }));
  }
  bool wait_error(ErrorCode code, int server_code = -1, std::chrono::milliseconds t = 10s) {
    return wait([&] { return errors_of(code, server_code) > 0; }, t);
  }
  bool wait_connected(std::size_t times = 1, std::chrono::milliseconds t = 10s) {
    return wait([&] { return connected_count() >= times; }, t);
  }
  bool wait_event(const std::string& name, std::chrono::milliseconds t = 10s) {
    return wait([&] { return event(name) != nullptr; }, t);
  }
  /// The errors as text, for failure messages (call with the mutex held).
  std::string error_list_locked() const {
    std::string out;
    for (auto& e : errors) {
      out += std::string(pusher::to_string(e.code)) + "(" + std::to_string(e.server_code) +
             "): " + e.message.substr(0, 160) + "\n";
    }
    return out;
  }
};

pusher::Options options_for(const HostileServer& server) {
  pusher::Options o;
  o.key = "hostile-key";
  o.host = "127.0.0.1";
  o.port = server.port();
  o.tls = false;
  o.proxy = "";
  o.connect_timeout = 3s;
  o.reconnect.initial_delay = 100ms;  // tests wait for reconnects: keep them quick
  o.reconnect.max_delay = 400ms;
  return o;
}

pusher::detail::net::WebSocketOptions ws_options(const HostileServer& server) {
  pusher::detail::net::WebSocketOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/app/hostile-key";
  o.proxy = "";
  o.connect_timeout = 3s;
  return o;
}

/// A well-behaved server connection: the handshake, connection_established, then answers.
void good(Conn& c) {
  if (!c.accept()) return;
  if (!c.send_text(established("777.888"))) return;
  c.serve(60s);
}

/// The first connection runs `first`, every later one `good`.
pusher::test::hostile::Script first_then_good(std::function<void(Conn&)> first) {
  return [first = std::move(first)](Conn& c) {
    if (c.index() == 0) {
      first(c);
    } else {
      good(c);
    }
  };
}

/// Peak resident set size of this process, in KiB.
long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

/// Polls `pred` every 10 ms until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

/// Destroys `manager` and checks that it took a bounded time (no hang on a hostile peer).
void destroy_promptly(std::unique_ptr<pusher::Manager>& manager) {
  auto start = Clock::now();
  manager.reset();
  CHECK(Clock::now() - start < 3s);
}

bool all_masked(const ConnLog& log) {
  return std::all_of(log.frames.begin(), log.frames.end(),
                     [](const ClientFrame& f) { return f.masked && f.rsv == 0; });
}

// ---- Frame violations: the transport fails the connection with a close code ----

/// The internal WebSocket receives `bytes` right after the 101: it must report `code`, send a
/// close frame with `close` (seen by the server) and drop the TCP connection.
void check_transport_violation(const std::string& bytes, ErrorCode code, std::uint16_t close,
                               std::size_t max_message_size = 1u << 20) {
  HostileServer server([&](Conn& c) {
    if (!c.accept()) return;
    c.send(bytes);
    c.wait_peer_close(10s);
  });
  WsClient client;
  auto o = ws_options(server);
  o.max_message_size = max_message_size;
  client.connect(o);
  REQUIRE(client.wait_closed());
  auto closed = client.close_event();
  CHECK(client.opened());
  CHECK(closed.error.code == code);
  CHECK(closed.error.server_code == close);
  CHECK_FALSE(closed.error.message.empty());
  CHECK(closed.sent_code == close);
  CHECK(closed.code == 1006);  // the server sent no close frame
  CHECK_FALSE(closed.clean);
  CHECK(client.messages().empty());
  // The server side: our close frame, masked, with that code, then TCP closed.
  REQUIRE(server.wait([](auto& logs) { return !logs.empty() && logs[0].peer_closed; }, 5s));
  ConnLog log = server.log(0);
  CHECK(log.close_code() == close);
  CHECK(all_masked(log));
  CHECK_FALSE(log.bad_client_frame);
  std::size_t closes = 0;
  for (auto& f : log.frames) closes += f.is_close() ? 1 : 0;
  CHECK(closes == 1);
  CHECK(server.connections() == 1);
}

/// The Manager receives `bytes` after connection_established: it must report `code` with
/// server_code `close` through on_error, send the close frame, and reconnect.
void check_manager_violation(const std::string& bytes, ErrorCode code, std::uint16_t close,
                             std::size_t max_message_size = 1u << 20) {
  HostileServer server(first_then_good([&](Conn& c) {
    if (!c.accept()) return;
    if (!c.send_text(established("1.1"))) return;
    c.send(bytes);
    c.wait_peer_close(10s);
  }));
  auto o = options_for(server);
  o.max_message_size = max_message_size;
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_error(code, close));
  // Recovery: a protocol violation is not a refusal, the Manager connects again.
  REQUIRE(w.wait_connected(2));
  CHECK(server.connections() == 2);
  CHECK(manager->state() == ConnectionState::connected);
  // (The socket id is set just after the state callbacks ran: see the drip case.)
  CHECK(eventually([&] { return manager->socket_id() == "777.888"; }, 2s));
  ConnLog log = server.log(0);
  CHECK(log.close_code() == close);
  CHECK(log.peer_closed);
  CHECK(all_masked(log));
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK_MESSAGE(w.errors.size() == 1, w.errors.size());  // one clear error, no spam
  }
  destroy_promptly(manager);
}

}  // namespace

TEST_CASE("masked server frames are a protocol error: close 1002, reconnect") {
  const std::string masked = Conn::masked_frame(0x81, R"({"event":"x","data":"{}"})");
  SUBCASE("transport") { check_transport_violation(masked, ErrorCode::protocol_error, 1002); }
  SUBCASE("manager") { check_manager_violation(masked, ErrorCode::protocol_error, 1002); }
  SUBCASE("a masked ping") {
    check_transport_violation(Conn::masked_frame(0x89, "p"), ErrorCode::protocol_error, 1002);
  }
}

TEST_CASE("reserved bits (and reserved opcodes) are a protocol error: close 1002") {
  SUBCASE("RSV1") { check_transport_violation(Conn::frame(0xC1, "{}"), ErrorCode::protocol_error, 1002); }
  SUBCASE("RSV2") { check_transport_violation(Conn::frame(0xA1, "{}"), ErrorCode::protocol_error, 1002); }
  SUBCASE("RSV3") { check_transport_violation(Conn::frame(0x91, "{}"), ErrorCode::protocol_error, 1002); }
  SUBCASE("RSV on a ping") {
    check_transport_violation(Conn::frame(0xC9, ""), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("reserved data opcode 3") {
    check_transport_violation(Conn::frame(0x83, "x"), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("reserved control opcode 11") {
    check_transport_violation(Conn::frame(0x8B, "x"), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("manager") { check_manager_violation(Conn::frame(0xC1, "{}"), ErrorCode::protocol_error, 1002); }
}

TEST_CASE("a 64-bit length of 2^63 is refused on the header, without allocating") {
  const long before = max_rss_kib();
  SUBCASE("2^63: the top bit must be 0 (close 1002)") {
    check_transport_violation(Conn::header64(0x82, std::uint64_t{1} << 63),
                              ErrorCode::protocol_error, 1002);
  }
  SUBCASE("2^64-1 on a text frame (close 1002)") {
    check_transport_violation(Conn::header64(0x81, ~std::uint64_t{0}), ErrorCode::protocol_error,
                              1002);
  }
  SUBCASE("2^63-1: a legal length over the maximum (close 1009)") {
    check_transport_violation(Conn::header64(0x82, (std::uint64_t{1} << 63) - 1),
                              ErrorCode::message_too_large, 1009);
  }
  SUBCASE("manager") {
    check_manager_violation(Conn::header64(0x81, std::uint64_t{1} << 63), ErrorCode::protocol_error,
                            1002);
  }
  // Nothing near the announced size was reserved (ASan would also abort on such a request).
  CHECK(max_rss_kib() - before < 64 * 1024);
}

TEST_CASE("a message just over the maximum size: close 1009, no allocation, reconnect") {
  constexpr std::size_t kMax = 1000;
  const long before = max_rss_kib();
  SUBCASE("transport: exactly the maximum is delivered") {
    HostileServer server([&](Conn& c) {
      if (!c.accept()) return;
      c.send_text(std::string(kMax, 'a'));
      c.serve(10s);
    });
    WsClient client;
    auto o = ws_options(server);
    o.max_message_size = kMax;
    client.connect(o);
    REQUIRE(client.wait_messages(1));
    CHECK(client.messages()[0].size() == kMax);
    client.close();
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.close_event().error);
  }
  SUBCASE("transport: one byte over") {
    check_transport_violation(Conn::text_frame(std::string(kMax + 1, 'a')),
                              ErrorCode::message_too_large, 1009, kMax);
  }
  SUBCASE("transport: fragments that add up to one byte over") {
    check_transport_violation(Conn::frame(0x01, std::string(600, 'a')) +
                                  Conn::frame(0x80, std::string(kMax - 600 + 1, 'b')),
                              ErrorCode::message_too_large, 1009, kMax);
  }
  SUBCASE("transport: a header announcing max+1 with no payload following") {
    check_transport_violation(Conn::header64(0x81, kMax + 1), ErrorCode::message_too_large, 1009,
                              kMax);
  }
  SUBCASE("manager: an event of exactly the maximum arrives, one byte more fails") {
    auto event_of = [](std::size_t size) {
      std::string head = R"({"event":"big","data":")";
      std::string tail = "\"}";
      return head + std::string(size - head.size() - tail.size(), 'x') + tail;
    };
    HostileServer server(first_then_good([&](Conn& c) {
      if (!c.accept()) return;
      if (!c.send_text(established("1.1"))) return;
      c.send_text(event_of(kMax));
      c.send_text(event_of(kMax + 1));
      c.wait_peer_close(10s);
    }));
    auto o = options_for(server);
    o.max_message_size = kMax;
    auto manager = std::make_unique<pusher::Manager>(o);
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait_error(ErrorCode::message_too_large, 1009));
    REQUIRE(w.wait_connected(2));
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      CHECK(w.events_named("big") == 1);
      CHECK(w.errors.size() == 1);
    }
    CHECK(server.log(0).close_code() == 1009);
    CHECK(server.connections() == 2);
    destroy_promptly(manager);
  }
  CHECK(max_rss_kib() - before < 64 * 1024);
}

TEST_CASE("invalid UTF-8 in a text message: close 1007") {
  SUBCASE("a bad continuation byte") {
    check_transport_violation(Conn::text_frame("ab\xC3\x28"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("an overlong encoding") {
    check_transport_violation(Conn::text_frame("\xC0\xAF"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("a UTF-16 surrogate") {
    check_transport_violation(Conn::text_frame("\xED\xA0\x80"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("above U+10FFFF") {
    check_transport_violation(Conn::text_frame("\xF4\x90\x80\x80"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("truncated at the end") {
    check_transport_violation(Conn::text_frame("abc\xE2\x82"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("in the first fragment, before the message completes") {
    check_transport_violation(Conn::frame(0x01, "\xFF"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("a sequence split over fragments and left open") {
    check_transport_violation(Conn::frame(0x01, "ok\xE2") + Conn::frame(0x80, "\x82"),
                              ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("manager") {
    check_manager_violation(Conn::text_frame(std::string(R"({"event":"x","data":")") + "\xFF" +
                                             R"("})"),
                            ErrorCode::invalid_utf8, 1007);
  }
}

TEST_CASE("invalid UTF-8 in a close reason: close 1007") {
  SUBCASE("transport") {
    check_transport_violation(Conn::close_frame(1000, "bye \xFF\xFE"), ErrorCode::invalid_utf8,
                              1007);
  }
  SUBCASE("truncated sequence") {
    check_transport_violation(Conn::close_frame(4000, "\xE2\x82"), ErrorCode::invalid_utf8, 1007);
  }
  SUBCASE("manager") {
    check_manager_violation(Conn::close_frame(1000, "\xC0\x80"), ErrorCode::invalid_utf8, 1007);
  }
}

TEST_CASE("a bad close code or a 1-byte close body: close 1002") {
  for (std::uint16_t code :
       std::initializer_list<std::uint16_t>{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    CAPTURE(code);
    check_transport_violation(Conn::close_frame(code), ErrorCode::protocol_error, 1002);
  }
  check_transport_violation(Conn::frame(0x88, std::string(1, '\x03')), ErrorCode::protocol_error,
                            1002);
}

TEST_CASE("a fragmented control frame: close 1002") {
  SUBCASE("ping without FIN") {
    check_transport_violation(Conn::frame(0x09, "p"), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("close without FIN") {
    check_transport_violation(Conn::frame(0x08, std::string("\x03\xE8", 2)),
                              ErrorCode::protocol_error, 1002);
  }
  SUBCASE("a ping of 126 bytes") {
    check_transport_violation(Conn::frame(0x89, std::string(126, 'p')), ErrorCode::protocol_error,
                              1002);
  }
  SUBCASE("manager") { check_manager_violation(Conn::frame(0x0A, ""), ErrorCode::protocol_error, 1002); }
}

TEST_CASE("a continuation without a start: close 1002") {
  SUBCASE("final continuation") {
    check_transport_violation(Conn::frame(0x80, "x"), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("non-final continuation") {
    check_transport_violation(Conn::frame(0x00, "x"), ErrorCode::protocol_error, 1002);
  }
  SUBCASE("a new data frame inside a fragmented message") {
    check_transport_violation(Conn::frame(0x01, "a") + Conn::frame(0x81, "b"),
                              ErrorCode::protocol_error, 1002);
  }
  SUBCASE("manager") { check_manager_violation(Conn::frame(0x80, "{}"), ErrorCode::protocol_error, 1002); }
}

TEST_CASE("a ping storm: 10,000 pings and 10,000 pusher:ping all answered, still connected") {
  constexpr int kPings = 10000;
  std::atomic<int> pongs{0};
  std::atomic<int> pusher_pongs{0};
  std::atomic<bool> in_order{true};
  HostileServer server([&](Conn& c) {
    if (c.index() != 0 || !c.accept()) return;
    if (!c.send_text(established("5.5"))) return;
    std::string storm;
    for (int i = 0; i < kPings; ++i) storm += Conn::frame(0x89, "p" + std::to_string(i));
    if (!c.send(storm)) return;
    for (int i = 0; i < kPings; ++i) {
      auto f = c.wait_frame([](const ClientFrame& f) { return f.is_pong(); }, 20s);
      if (!f) break;
      if (f->payload != "p" + std::to_string(i)) in_order = false;
      ++pongs;
    }
    std::string pings;
    for (int i = 0; i < kPings; ++i) {
      pings += Conn::text_frame(i % 2 == 0 ? R"({"event":"pusher:ping","data":{}})"
                                           : R"({"event":"pusher:ping"})");
    }
    if (!c.send(pings)) return;
    for (int i = 0; i < kPings; ++i) {
      if (!c.wait_text("\"pusher:pong\"", 20s)) break;
      ++pusher_pongs;
    }
    c.send_text(pusher_message("after-storm", R"({"ok":true})"));
    c.serve(30s);
  });
  auto manager = std::make_unique<pusher::Manager>(options_for(server));
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_event("after-storm", 60s));
  CHECK(pongs == kPings);
  CHECK(in_order);
  CHECK(pusher_pongs == kPings);
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(server.connections() == 1);
  CHECK(all_masked(server.log(0)));
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.errors.empty());
    CHECK(w.connected_count() == 1);
  }
  destroy_promptly(manager);
}

TEST_CASE("a ping storm from a server that never reads its pongs: client memory stays bounded") {
  // 40 x 10,000 pings of 125 bytes (about 52 MB of pongs owed). RFC 6455 §5.5.3 lets a client
  // answer only the latest of pings it could not answer yet; it must not queue them all.
  constexpr int kRounds = 40;
  constexpr int kPerRound = 10000;
  std::atomic<bool> sent_all{false};
  HostileServer server([&](Conn& c) {
    if (!c.accept()) return;
    std::string round;
    for (int i = 0; i < kPerRound; ++i) round += Conn::frame(0x89, std::string(125, 'p'));
    for (int r = 0; r < kRounds; ++r) {
      if (!c.send(round, 20s)) return;
    }
    sent_all = true;
    c.send_text("still there?");
    // Never reads: the pongs pile up on the client's side of the connection.
    for (int i = 0; i < 300 && !c.stopping(); ++i) std::this_thread::sleep_for(20ms);
  });
  const long before = max_rss_kib();
  {
    WsClient client;
    client.connect(ws_options(server));
    REQUIRE(client.wait([&] { return sent_all.load(); }, 60s));
    // Either still open and reading, or failed with an error: never a crash.
    client.wait_messages(1);
    const auto closed = client.close_event();
    INFO("closed with error: " << std::string(pusher::to_string(closed.error.code)) << " "
                                << closed.error.message);
    const long grown_kib = max_rss_kib() - before;
    INFO("peak RSS grew by " << grown_kib / 1024 << " MiB");
    CHECK(grown_kib < 24 * 1024);
  }
}

TEST_CASE("a byte-at-a-time drip of the 101, connection_established and events works") {
  const std::string data = "{\"text\":\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"}";
  HostileServer server([&](Conn& c) {
    if (c.index() != 0 || !c.read_request()) return;
    const auto gap = std::chrono::microseconds(300);
    if (!c.drip(c.response_101(), gap)) return;
    if (!c.drip(Conn::text_frame(established("42.43")), gap)) return;
    if (!c.wait_text("pusher:subscribe", 10s)) return;
    if (!c.drip(Conn::text_frame(pusher_message("pusher_internal:subscription_succeeded", "{}",
                                                "drip")),
                gap)) {
      return;
    }
    // A ping dripped in the middle of a fragmented message must still be answered.
    const std::string event = pusher_message("dripped", data, "drip");
    const std::size_t half = event.size() / 2;
    std::string frames = Conn::frame(0x01, event.substr(0, half)) + Conn::frame(0x89, "mid") +
                         Conn::frame(0x80, event.substr(half));
    if (!c.drip(frames, gap)) return;
    c.serve(30s);
  });
  auto manager = std::make_unique<pusher::Manager>(options_for(server));
  Watcher w(*manager);
  // What an application asks for when told it is connected (to send X-Socket-ID).
  std::mutex id_mutex;
  std::string id_when_connected = "(not connected)";
  pusher::Manager* raw = manager.get();
  auto on_state = manager->on_state_change([&, raw](const pusher::StateChange& c) {
    if (c.current != ConnectionState::connected) return;
    std::lock_guard<std::mutex> lock(id_mutex);
    id_when_connected = raw->socket_id();
  });
  manager->subscribe("drip");
  manager->connect();
  REQUIRE(w.wait_event("dripped", 30s));
  CHECK(manager->socket_id() == "42.43");
  {
    std::lock_guard<std::mutex> lock(id_mutex);
    CHECK(id_when_connected == "42.43");
  }
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    const auto* e = w.event("dripped");
    REQUIRE(e != nullptr);
    CHECK(e->channel == "drip");
    CHECK(e->data == data);
    CHECK(w.event("pusher:subscription_succeeded", "drip") != nullptr);
    CHECK(w.errors.empty());
  }
  REQUIRE(server.wait([](auto& logs) {
    for (auto& f : logs[0].frames) {
      if (f.is_pong() && f.payload == "mid") return true;
    }
    return false;
  }, 5s));
  CHECK(server.connections() == 1);
  destroy_promptly(manager);
}

namespace {

/// The transport gets `answer` after its upgrade request: the handshake must fail with
/// handshake_failed, no frame sent, the TCP connection closed.
void check_transport_handshake_refused(const std::function<void(Conn&)>& answer) {
  HostileServer server([&](Conn& c) {
    if (!c.read_request()) return;
    answer(c);
    c.wait_peer_close(10s);
  });
  WsClient client;
  auto start = Clock::now();
  client.connect(ws_options(server));
  REQUIRE(client.wait_closed());
  CHECK(Clock::now() - start < 2s);  // refused on the answer, not by the connect timeout
  CHECK_FALSE(client.opened());
  auto closed = client.close_event();
  CHECK(closed.error.code == ErrorCode::handshake_failed);
  CHECK(closed.sent_code == 0);
  REQUIRE(server.wait([](auto& logs) { return !logs.empty() && logs[0].peer_closed; }, 5s));
  ConnLog log = server.log(0);
  CHECK(log.frames.empty());
  CHECK(log.bytes_in == log.request.size());  // nothing after the request
}

/// The Manager's first connection gets `answer`: handshake_failed, then a good reconnect.
void check_manager_handshake_refused(const std::function<void(Conn&)>& answer) {
  HostileServer server(first_then_good([&](Conn& c) {
    if (!c.read_request()) return;
    answer(c);
    c.wait_peer_close(10s);
  }));
  auto manager = std::make_unique<pusher::Manager>(options_for(server));
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_error(ErrorCode::handshake_failed));
  REQUIRE(w.wait_connected(1));
  CHECK(server.connections() == 2);
  CHECK(server.log(0).frames.empty());
  CHECK(server.log(0).peer_closed);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.errors.size() == 1);
    CHECK(w.errors_of(ErrorCode::connection_refused) == 0);
  }
  destroy_promptly(manager);
}

}  // namespace

TEST_CASE("garbage before the 101 fails the handshake; the Manager retries") {
  SUBCASE("a line of garbage, then a correct 101") {
    check_transport_handshake_refused([](Conn& c) { c.send("garbage\r\n" + c.response_101()); });
  }
  SUBCASE("binary garbage with NUL bytes") {
    check_transport_handshake_refused([](Conn& c) {
      c.send(std::string("\0\x01\xFF\xFEHTTP/1.1 101\r\n\r\n", 19) + c.response_101());
    });
  }
  SUBCASE("1 MiB without a blank line: refused at the header limit, not buffered") {
    const long before = max_rss_kib();
    check_transport_handshake_refused([](Conn& c) { c.send(std::string(1u << 20, 'G'), 5s); });
    CHECK(max_rss_kib() - before < 64 * 1024);
  }
  SUBCASE("an HTTP/1.0 101") {
    check_transport_handshake_refused([](Conn& c) {
      std::string r = c.response_101();
      r.replace(0, 8, "HTTP/1.0");
      c.send(r);
    });
  }
  SUBCASE("a 200 OK") {
    check_transport_handshake_refused(
        [](Conn& c) { c.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); });
  }
  SUBCASE("manager") {
    check_manager_handshake_refused([](Conn& c) { c.send("\x16\x03\x01garbage\r\n" + c.response_101()); });
  }
}

TEST_CASE("a 101 with a wrong Sec-WebSocket-Accept fails the handshake; the Manager retries") {
  SUBCASE("the accept of another key") {
    check_transport_handshake_refused([](Conn& c) {
      c.send(c.response_101(pusher::detail::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==")));
    });
  }
  SUBCASE("the key echoed instead of its hash") {
    check_transport_handshake_refused([](Conn& c) { c.send(c.response_101(c.key())); });
  }
  SUBCASE("no Sec-WebSocket-Accept at all") {
    check_transport_handshake_refused([](Conn& c) {
      c.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    });
  }
  SUBCASE("an extension we never offered") {
    check_transport_handshake_refused([](Conn& c) {
      std::string r = c.response_101();
      r.insert(r.size() - 2, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
      c.send(r);
    });
  }
  SUBCASE("manager") {
    check_manager_handshake_refused([](Conn& c) { c.send(c.response_101("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")); });
  }
}

// The transport has no deadline of its own (net/transport.hpp): it waits until its owner, the
// Service at its connect timeout, aborts it. The manager subcases check that deadline.
TEST_CASE("a server that never completes the handshake: timeout, then retries") {
  SUBCASE("transport: silent after the request") {
    HostileServer server([](Conn& c) {
      if (c.read_request()) c.idle(10s);
    });
    WsClient client;
    auto o = ws_options(server);
    o.connect_timeout = 500ms;  // libcurl's backstop, for TCP: long done
    client.connect(o);
    CHECK_FALSE(client.wait_closed(1s));
    client.abort(pusher::Error{ErrorCode::timeout, "the owner's deadline", 0, {}});
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.opened());
    CHECK(client.close_event().error.code == ErrorCode::timeout);
    CHECK_FALSE(client.close_event().unreachable);
    CHECK(server.wait([](auto& logs) { return !logs.empty() && logs[0].peer_closed; }, 5s));
  }
  SUBCASE("transport: half a 101, never the blank line") {
    HostileServer server([](Conn& c) {
      if (!c.read_request()) return;
      c.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
      c.idle(10s);
    });
    WsClient client;
    auto o = ws_options(server);
    o.connect_timeout = 500ms;
    client.connect(o);
    CHECK_FALSE(client.wait_closed(1s));
    client.abort(pusher::Error{ErrorCode::timeout, "the owner's deadline", 0, {}});
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.opened());
    CHECK(client.close_event().error.code == ErrorCode::timeout);
  }
  SUBCASE("manager: silent, silent, then good") {
    HostileServer server([](Conn& c) {
      if (c.index() < 2) {
        if (c.read_request()) c.idle(10s);
        return;
      }
      good(c);
    });
    auto o = options_for(server);
    o.connect_timeout = 700ms;
    auto manager = std::make_unique<pusher::Manager>(o);
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait([&] { return w.errors_of(ErrorCode::timeout) >= 2; }, 10s));
    REQUIRE(w.wait_connected(1, 10s));
    CHECK(server.connections() == 3);
    CHECK(server.log(0).peer_closed);  // the timed-out socket was closed, not leaked
    CHECK(server.log(1).peer_closed);
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      CHECK(w.errors.size() == 2);  // one timeout per failed attempt
    }
    destroy_promptly(manager);
  }
  SUBCASE("manager: a 101 but never pusher:connection_established") {
    HostileServer server(first_then_good([](Conn& c) {
      if (c.accept()) c.idle(10s);
    }));
    auto o = options_for(server);
    o.connect_timeout = 700ms;
    auto manager = std::make_unique<pusher::Manager>(o);
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait_error(ErrorCode::timeout));
    REQUIRE(w.wait_connected(1));
    CHECK(server.connections() == 2);
    CHECK(server.log(0).peer_closed);
    destroy_promptly(manager);
  }
  SUBCASE("manager: destroyed promptly while the server hangs") {
    HostileServer server([](Conn& c) {
      if (c.read_request()) c.idle(20s);
    });
    auto manager = std::make_unique<pusher::Manager>(options_for(server));
    manager->connect();
    REQUIRE(server.wait_connections(1, 5s));
    destroy_promptly(manager);
  }
}

TEST_CASE("pusher:error then a TCP drop without a close frame") {
  SUBCASE("4001 before connection_established (Reverb's unknown app): refused, no reconnect") {
    HostileServer server([](Conn& c) {
      if (!c.accept()) return;
      c.send_text(pusher_message_object("pusher:error",
                                        R"({"code":4001,"message":"Application does not exist"})"));
      c.drop();
    });
    auto manager = std::make_unique<pusher::Manager>(options_for(server));
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait_error(ErrorCode::connection_refused, 4001));
    CHECK(w.wait([&] { return manager->state() == ConnectionState::disconnected; }, 2s));
    CHECK_FALSE(server.wait_connections(2, 1500ms));
    CHECK(manager->state() == ConnectionState::disconnected);
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      CHECK(w.connected_count() == 0);
      CHECK(w.delays.empty());  // no reconnect was ever scheduled
      // One refusal, one error: connection_refused with the server's words, no server_error.
      CHECK_MESSAGE(w.errors_of(ErrorCode::server_error, 4001) == 0, w.error_list_locked());
      CHECK(w.errors_of(ErrorCode::connection_refused, 4001) == 1);
    }
    destroy_promptly(manager);
  }
  SUBCASE("4001 after connection_established: refused, no reconnect") {
    HostileServer server([](Conn& c) {
      if (!c.accept() || !c.send_text(established("1.2"))) return;
      c.send_text(pusher_message("pusher:error",
                                 R"({"code":4001,"message":"Application does not exist"})"));
      c.drop();
    });
    auto manager = std::make_unique<pusher::Manager>(options_for(server));
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait_error(ErrorCode::connection_refused, 4001));
    CHECK_FALSE(server.wait_connections(2, 1500ms));
    CHECK(manager->state() == ConnectionState::disconnected);
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      CHECK(w.connected_count() == 1);
      CHECK(w.delays.empty());
      CHECK(w.errors_of(ErrorCode::server_error, 4001) == 0);  // one error: the refusal
      CHECK(w.errors_of(ErrorCode::connection_refused, 4001) == 1);
      CHECK(w.states.back().current == ConnectionState::disconnected);
    }
    destroy_promptly(manager);
  }
  SUBCASE("4201 after connection_established: immediate reconnect") {
    std::atomic<long long> dropped_at{0};
    HostileServer server([&](Conn& c) {
      if (c.index() != 0) return good(c);
      if (!c.accept() || !c.send_text(established("1.2"))) return;
      c.send_text(pusher_message("pusher:error",
                                 R"({"code":4201,"message":"Pong reply not received in time"})"));
      dropped_at = Clock::now().time_since_epoch().count();
      c.drop();
    });
    auto o = options_for(server);
    o.reconnect.initial_delay = 5s;  // a back-off would be visible; "immediate" is not
    o.reconnect.max_delay = 10s;
    auto manager = std::make_unique<pusher::Manager>(o);
    Watcher w(*manager);
    manager->connect();
    REQUIRE(server.wait_connections(2, 3s));
    auto after = Clock::now() - Clock::time_point(Clock::duration(dropped_at.load()));
    CHECK(after < 1s);
    REQUIRE(w.wait_connected(2));
    std::lock_guard<std::mutex> lock(w.mutex);
    REQUIRE(!w.delays.empty());
    CHECK(w.delays[0] == 0ms);
    CHECK(w.errors_of(ErrorCode::server_error, 4201) == 1);
    CHECK(w.errors_of(ErrorCode::connection_refused) == 0);
  }
}

TEST_CASE("4004/4009 as messages with the socket left open: refused, no loop") {
  for (int code : {4004, 4009}) {
    CAPTURE(code);
    HostileServer server([&](Conn& c) {
      if (!c.accept()) return;
      const std::string data = "{\"code\":" + std::to_string(code) + ",\"message\":\"go away\"}";
      // Reverb sends its error data as a string; soketi as an object: one of each.
      c.send_text(code == 4004 ? pusher_message("pusher:error", data)
                               : pusher_message_object("pusher:error", data));
      c.idle(10s);  // the socket stays open: the client must drop it
    });
    auto manager = std::make_unique<pusher::Manager>(options_for(server));
    Watcher w(*manager);
    manager->connect();
    REQUIRE(w.wait_error(ErrorCode::connection_refused, code));
    REQUIRE(server.wait([](auto& logs) { return !logs.empty() && logs[0].peer_closed; }, 3s));
    CHECK_FALSE(server.wait_connections(2, 1500ms));
    CHECK(manager->state() == ConnectionState::disconnected);
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      CHECK(w.connected_count() == 0);
      CHECK(w.delays.empty());
      CHECK_MESSAGE(w.errors_of(ErrorCode::server_error, code) == 0, w.error_list_locked());
      CHECK(w.errors_of(ErrorCode::connection_refused, code) == 1);
    }
    INFO("client frames on the refused connection: " << server.log(0).frames.size());
    destroy_promptly(manager);
  }
}

namespace {

enum class Form { string, object, absent };

std::string message_in(Form form, const std::string& event, const std::string& data,
                       const std::string& channel = {}) {
  switch (form) {
    case Form::string:
      return pusher_message(event, data, channel);
    case Form::object:
      return pusher_message_object(event, data, channel);
    case Form::absent:
      return pusher_message_no_data(event, channel);
  }
  return {};
}

}  // namespace

TEST_CASE("data as a string, an object and absent on every event the client handles") {
  Form form = Form::string;
  SUBCASE("string") { form = Form::string; }
  SUBCASE("object") { form = Form::object; }
  SUBCASE("absent") { form = Form::absent; }
  const bool absent = form == Form::absent;
  CAPTURE(static_cast<int>(form));

  HostileServer server([&](Conn& c) {
    if (c.index() != 0 || !c.accept()) return;
    const std::string est = R"({"socket_id":"9.9","activity_timeout":120})";
    c.send_text(message_in(form, "pusher:connection_established", est));
    if (absent) c.send_text(established("9.9"));  // the unusable one was skipped
    for (int i = 0; i < 4; ++i) {
      if (!c.wait_text("pusher:subscribe", 10s)) return;
    }
    auto send = [&](const std::string& event, const std::string& data, const std::string& ch = {}) {
      c.send_text(message_in(form, event, data, ch));
    };
    const std::string ok = "pusher_internal:subscription_succeeded";
    send(ok, "{}", "public-a");
    send(ok, R"({"presence":{"ids":["1"],"hash":{"1":{"name":"a"}},"count":1}})", "presence-p");
    send(ok, "{}", "cache-c");
    send("pusher:subscription_error", R"({"type":"AuthError","error":"no","status":401})",
         "public-err");
    send("pusher:ping", "{}");
    send("pusher:pong", "{}");
    send("pusher:error", R"({"code":4301,"message":"slow down"})");
    send("pusher_internal:subscription_count", R"({"subscription_count":5})", "public-a");
    send("pusher_internal:member_added", R"({"user_id":"2","user_info":{"name":"b"}})",
         "presence-p");
    send("pusher_internal:member_removed", R"({"user_id":"2"})", "presence-p");
    send("pusher:cache_miss", "{}", "cache-c");
    send("pusher:signin_success", R"({"user_data":"{\"id\":\"1\"}"})");
    send("my-event", R"({"x":1})", "public-a");
    send("channel-less", R"({"y":2})");
    c.send_text(pusher_message("done", "{}", "public-a"));
    c.serve(30s);
  });
  auto o = options_for(server);
  o.authorizer = pusher::make_secret_authorizer("hostile-key", "hostile-secret", [](auto&) {
    return std::string(R"({"user_id":"1","user_info":{"name":"a"}})");
  });
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  auto a = manager->subscribe("public-a");
  auto p = manager->subscribe("presence-p");
  auto cache = manager->subscribe("cache-c");
  auto err = manager->subscribe("public-err");
  std::mutex mm;
  std::vector<std::string> joined, left;
  std::size_t here = 0;
  auto b1 = p.here([&](const std::vector<pusher::Member>& m) {
    std::lock_guard<std::mutex> l(mm);
    here = m.size();
  });
  auto b2 = p.joining([&](const pusher::Member& m) {
    std::lock_guard<std::mutex> l(mm);
    joined.push_back(m.id);
  });
  auto b3 = p.leaving([&](const pusher::Member& m) {
    std::lock_guard<std::mutex> l(mm);
    left.push_back(m.id);
  });
  manager->connect();
  REQUIRE(w.wait_event("done", 15s));
  // The pong to the server's pusher:ping was sent whatever the data form.
  REQUIRE(server.wait([](auto& logs) { return logs[0].texts_containing("\"pusher:pong\"") == 1; }, 5s));
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(manager->socket_id() == "9.9");
  CHECK(server.connections() == 1);
  CHECK(a.subscribed());
  CHECK(p.subscribed());
  CHECK(cache.subscribed());
  CHECK_FALSE(err.subscribed());

  std::lock_guard<std::mutex> lock(w.mutex);
  INFO(w.errors.size());
  for (const char* ch : {"public-a", "presence-p", "cache-c"}) {
    CAPTURE(ch);
    CHECK(w.event("pusher:subscription_succeeded", ch) != nullptr);
  }
  CHECK(w.event("pusher:subscription_error", "public-err") != nullptr);
  CHECK(w.errors_of(ErrorCode::subscription_failed) == 1);
  CHECK(w.errors_of(ErrorCode::server_error, absent ? 0 : 4301) == 1);
  CHECK(w.event("pusher:subscription_count", "public-a") != nullptr);
  CHECK(a.subscription_count() == (absent ? 0 : 5));
  CHECK(w.event("pusher:cache_miss", "cache-c") != nullptr);
  const auto* mine = w.event("my-event", "public-a");
  REQUIRE(mine != nullptr);
  CHECK(mine->data == (absent ? "" : R"({"x":1})"));
  const auto* less = w.event("channel-less", "");
  REQUIRE(less != nullptr);
  CHECK(less->data == (absent ? "" : R"({"y":2})"));
  {
    std::lock_guard<std::mutex> l(mm);
    if (absent) {
      // No presence data: subscribed without members; member events without a user_id are
      // malformed and skipped.
      CHECK(here == 0);
      CHECK(joined.empty());
      CHECK(left.empty());
    } else {
      CHECK(here == 1);
      CHECK(joined == std::vector<std::string>{"2"});
      CHECK(left == std::vector<std::string>{"2"});
    }
  }
  // Malformed ones, each reported once: only where required data is missing.
  // absent: connection_established, member_added, member_removed, signin_success.
  CHECK(w.errors_of(ErrorCode::malformed_message) == (absent ? 4u : 0u));
  CHECK(w.errors.size() == (absent ? 6u : 2u));
  CHECK(w.connected_count() == 1);
}

TEST_CASE("10,000 unknown pusher:* events are ignored: no error, still connected") {
  constexpr int kEvents = 10000;
  HostileServer server([&](Conn& c) {
    if (c.index() != 0 || !c.accept()) return;
    if (!c.send_text(established("3.3"))) return;
    std::string burst;
    for (int i = 0; i < kEvents; ++i) {
      const std::string name = (i % 2 == 0 ? "pusher:unknown-" : "pusher_internal:weird-") +
                               std::to_string(i);
      burst += Conn::text_frame(message_in(static_cast<Form>(i % 3), name, R"({"n":1})",
                                           i % 5 == 0 ? "some-channel" : ""));
    }
    if (!c.send(burst)) return;
    c.send_text(pusher_message("done", "{}"));
    c.serve(30s);
  });
  auto manager = std::make_unique<pusher::Manager>(options_for(server));
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_event("done", 30s));
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(server.connections() == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.errors.empty());
    // None of them reached the application.
    for (auto& e : w.events) CHECK(e.name.rfind("pusher:unknown", 0) == std::string::npos);
    CHECK(w.events.size() == 1);
  }
  CHECK(manager->stats().messages_in >= static_cast<std::uint64_t>(kEvents));
  destroy_promptly(manager);
}

TEST_CASE("a JSON nesting bomb is a malformed message, skipped; still connected") {
  constexpr int kDepth = 100000;
  const std::string arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kDepth, '}');
  HostileServer server([&](Conn& c) {
    if (c.index() != 0 || !c.accept()) return;
    if (!c.send_text(established("4.4"))) return;
    if (!c.wait_text("pusher:subscribe", 10s)) return;
    c.send_text(pusher_message("pusher_internal:subscription_succeeded", "{}", "public-a"));
    // Structured: the envelope parser must stop at its depth limit.
    c.send_text(R"({"event":"bomb","channel":"public-a","data":)" + arrays + "}");
    c.send_text(R"({"event":"bomb","channel":"public-a","extra":)" + objects + "}");
    c.send_text(arrays);
    // Inside a string: pusher:* data is parsed (depth-bounded); channel data is passed on.
    c.send_text(pusher_message("pusher_internal:subscription_count", arrays, "public-a"));
    c.send_text(pusher_message("pusher:error", objects));
    c.send_text(pusher_message("App\\Events\\MessageSent", arrays, "public-a"));
    c.send_text(pusher_message("App\\Events\\MessageSent", "{\"message\":" + objects + "}",
                               "public-a"));
    c.send_text(pusher_message("done", "{}", "public-a"));
    c.serve(30s);
  });
  auto manager = std::make_unique<pusher::Manager>(options_for(server));
  Watcher w(*manager);
  std::atomic<int> typed{0};
  // Typed decoding runs only when someone listens: listen, so it sees the bombs too.
  auto typed_binding =
      manager->bind_app_events([&](const pusher::AppEvent&, const pusher::Event&) { ++typed; });
  manager->subscribe("public-a");
  manager->connect();
  REQUIRE(w.wait_event("done", 20s));
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(server.connections() == 1);
  std::lock_guard<std::mutex> lock(w.mutex);
  INFO(w.errors.size());
  CHECK(w.errors_of(ErrorCode::malformed_message) == 3);
  CHECK(w.events_named("bomb") == 0);
  CHECK(w.events_named("App\\Events\\MessageSent") == 2);  // delivered, data untouched
  CHECK(typed >= 2);
  CHECK(w.connected_count() == 1);
}

TEST_CASE("a server that stops answering pings: pong timeout, immediate reconnect") {
  std::atomic<long long> ping_at{0};
  HostileServer server([&](Conn& c) {
    if (c.index() != 0) return good(c);
    if (!c.accept() || !c.send_text(established("6.6", 120))) return;
    if (!c.wait_text("\"pusher:ping\"", 10s)) return;
    ping_at = Clock::now().time_since_epoch().count();
    c.idle(10s);  // never answers
  });
  auto o = options_for(server);
  o.activity_timeout = 1s;
  o.pong_timeout = 1s;
  o.reconnect.initial_delay = 5s;  // the pong timeout must reconnect at once, not back off
  o.reconnect.max_delay = 10s;
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  auto start = Clock::now();
  manager->connect();
  REQUIRE(w.wait_error(ErrorCode::timeout, -1, 8s));
  REQUIRE(server.wait_connections(2, 3s));
  CHECK(Clock::now() - start < 5s);
  auto since_ping = Clock::now() - Clock::time_point(Clock::duration(ping_at.load()));
  CHECK(since_ping < 3s);
  REQUIRE(w.wait_connected(2));
  CHECK(server.wait([](auto& logs) { return logs[0].peer_closed; }, 3s));  // the dead one dropped
  // The new connection answers: pings go out and come back, and nothing drops it.
  REQUIRE(server.wait([](auto& logs) {
    return logs.size() >= 2 && logs[1].texts_containing("\"pusher:ping\"") >= 2;
  }, 6s));
  CHECK(server.connections() == 2);
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(manager->stats().last_ping_rtt.has_value());
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.errors.size() == 1);
    REQUIRE(!w.delays.empty());
    CHECK(w.delays[0] == 0ms);
  }
  destroy_promptly(manager);
}

// ---- Reverb mode: Laravel Reverb 1.10.2, frame for frame (hostile_server.hpp) ----
//
// One case per line of the captured transcripts, each through the public Manager: what the
// server sends is checked byte for byte, and what the client makes of it as the docs say.

namespace {

using pusher::test::hostile::ReverbConfig;
using pusher::test::hostile::ReverbServer;

/// A Manager's options for the Reverb mode, signing locally with the app secret as `user`.
pusher::Options reverb_options(const ReverbServer& reverb, const std::string& user = "user-a",
                               const std::string& name = "Alice") {
  pusher::Options o;
  o.key = reverb.config().app_key;
  o.host = "127.0.0.1";
  o.port = reverb.port();
  o.tls = false;
  o.proxy = "";
  o.connect_timeout = 3s;
  o.reconnect.initial_delay = 100ms;
  o.reconnect.max_delay = 400ms;
  const std::string presence = "{\"user_id\":" + json_quote(user) +
                               ",\"user_info\":{\"name\":" + json_quote(name) + "}}";
  o.authorizer = pusher::make_secret_authorizer(
      reverb.config().app_key, reverb.config().app_secret,
      [presence](const pusher::AuthRequest&) { return presence; });
  return o;
}

bool has_line(const std::vector<std::string>& sent, const std::string& line) {
  return std::find(sent.begin(), sent.end(), line) != sent.end();
}

std::size_t lines_containing(const std::vector<std::string>& sent, const std::string& needle) {
  return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [&](auto& s) {
    return s.find(needle) != std::string::npos;
  }));
}

std::string sent_list(const std::vector<std::string>& sent) {
  std::string out;
  for (auto& s : sent) out += s.substr(0, 300) + "\n";
  return out;
}

}  // namespace

TEST_CASE("Reverb: connection_established with string data; upgrade headers and query reach it") {
  ReverbServer reverb;
  auto o = reverb_options(reverb);
  o.origin = "https://app.example";
  o.headers = {{"X-Gateway-Token", "gw-1"}, {"X-Tenant", "acme corp"}};
  o.query = {{"token", "a b/c&d"}, {"tenant", "acme"}};
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_connected());
  CHECK(eventually([&] { return manager->socket_id() == reverb.socket_id(0); }, 2s));
  const auto sent = reverb.sent(0);
  REQUIRE(!sent.empty());
  CHECK(sent[0] == R"({"event":"pusher:connection_established","data":"{\"socket_id\":\")" +
                       reverb.socket_id(0) + R"(\",\"activity_timeout\":30}"})");
  // The upgrade request: the query after the protocol parameters, percent-encoded, and the
  // headers after Origin.
  const std::string request = reverb.server().log(0).request;
  CAPTURE(request);
  CHECK(request.rfind("GET /app/reverb-key?protocol=7&client=cpp&version=" PUSHER_VERSION_STRING
                      "&token=a%20b%2Fc%26d&tenant=acme HTTP/1.1\r\n",
                      0) == 0);
  const auto origin = request.find("\r\nOrigin: https://app.example\r\n");
  const auto gateway = request.find("\r\nX-Gateway-Token: gw-1\r\n");
  CHECK(origin != std::string::npos);
  CHECK(gateway != std::string::npos);
  CHECK(origin < gateway);
  CHECK(request.find("\r\nX-Tenant: acme corp\r\n") != std::string::npos);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.errors.empty());
  }
  destroy_promptly(manager);

  // What the Manager refuses at construction, naming the field.
  auto refused = [&](auto change) {
    auto bad = reverb_options(reverb);
    change(bad);
    CHECK_THROWS_AS(pusher::Manager{bad}, std::invalid_argument);
  };
  refused([](pusher::Options& b) { b.headers = {{"X-Token", "a\r\nX-Injected: 1"}}; });
  refused([](pusher::Options& b) { b.headers = {{"X Token", "v"}}; });
  refused([](pusher::Options& b) { b.headers = {{"X-Token:", "v"}}; });
  refused([](pusher::Options& b) { b.headers = {{"", "v"}}; });
  refused([](pusher::Options& b) { b.headers = {{"sec-websocket-key", "v"}}; });
  refused([](pusher::Options& b) {
    b.origin = "https://a.example";
    b.headers = {{"Origin", "https://b.example"}};
  });
  refused([](pusher::Options& b) { b.query = {{"token", "v\n"}}; });
  refused([](pusher::Options& b) { b.query = {{"", "v"}}; });
}

TEST_CASE("Reverb: pusher:pong without data answers the client's ping: accepted, no error") {
  ReverbServer reverb;
  auto o = reverb_options(reverb);
  o.activity_timeout = 300ms;  // below Reverb's 30 s: the client pings every 300 ms
  o.pong_timeout = 1s;
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_connected());
  // Pings past the pong timeout: each answered by a data-less pong that counts as the answer.
  REQUIRE(reverb.server().wait(
      [](auto& logs) { return !logs.empty() && logs[0].texts_containing("\"pusher:ping\"") >= 5; },
      10s));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  CHECK(lines_containing(sent, "pusher:pong") >= 4);
  for (const auto& line : sent) {
    if (line.find("pusher:pong") != std::string::npos) CHECK(line == R"({"event":"pusher:pong"})");
  }
  CHECK(manager->stats().last_ping_rtt.has_value());
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(reverb.server().connections() == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK_MESSAGE(w.errors.empty(), w.error_list_locked());
    CHECK(w.connected_count() == 1);
  }
  destroy_promptly(manager);
}

TEST_CASE("Reverb: client events arrive with data as an object, and user_id on presence") {
  ReverbServer reverb;
  auto alice = std::make_unique<pusher::Manager>(reverb_options(reverb, "user-a", "Alice"));
  Watcher wa(*alice);
  std::mutex mm;
  std::vector<pusher::Member> joined;
  auto a_presence = alice->subscribe("presence-room");
  auto a_private = alice->subscribe("private-room");
  auto on_join = a_presence.joining([&](const pusher::Member& m) {
    std::lock_guard<std::mutex> lock(mm);
    joined.push_back(m);
  });
  alice->connect();
  REQUIRE(wa.wait([&] { return wa.event("pusher:subscription_succeeded", "presence-room") &&
                               wa.event("pusher:subscription_succeeded", "private-room"); }));
  auto bob = std::make_unique<pusher::Manager>(reverb_options(reverb, "user-b", "Bob"));
  Watcher wb(*bob);
  auto b_presence = bob->subscribe("presence-room");
  auto b_private = bob->subscribe("private-room");
  bob->connect();
  // trigger() waits for the subscription: both go out once Bob is in.
  b_private.trigger("client-typing", R"({"user":"Bob"})");
  b_presence.trigger("client-typing", R"({"user":"Bob"})");
  REQUIRE(wa.wait([&] {
    return std::count_if(wa.events.begin(), wa.events.end(),
                         [](auto& e) { return e.name == "client-typing"; }) >= 2;
  }));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  // The transcript's lines, byte for byte.
  CHECK(has_line(sent, R"({"event":"pusher_internal:member_added",)"
                       R"("data":"{\"user_id\":\"user-b\",\"user_info\":{\"name\":\"Bob\"}}",)"
                       R"("channel":"presence-room"})"));
  CHECK(has_line(sent,
                 R"({"event":"client-typing","channel":"private-room","data":{"user":"Bob"}})"));
  CHECK(has_line(sent, R"({"event":"client-typing","channel":"presence-room",)"
                       R"("data":{"user":"Bob"},"user_id":"user-b"})"));
  CHECK(has_line(reverb.sent(1),
                 R"({"event":"pusher_internal:subscription_succeeded","data":"{\"presence\":)"
                 R"({\"count\":2,\"ids\":[\"user-a\",\"user-b\"],\"hash\":{\"user-a\":)"
                 R"({\"name\":\"Alice\"},\"user-b\":{\"name\":\"Bob\"}}}}",)"
                 R"("channel":"presence-room"})"));
  {
    std::lock_guard<std::mutex> lock(wa.mutex);
    const auto* on_private = wa.event("client-typing", "private-room");
    const auto* on_presence = wa.event("client-typing", "presence-room");
    REQUIRE(on_private != nullptr);
    REQUIRE(on_presence != nullptr);
    CHECK(on_private->data == R"({"user":"Bob"})");  // the object's JSON text
    CHECK(on_private->user_id.empty());
    CHECK(on_presence->data == R"({"user":"Bob"})");
    CHECK(on_presence->user_id == "user-b");
    CHECK_MESSAGE(wa.errors.empty(), wa.error_list_locked());
  }
  {
    std::lock_guard<std::mutex> lock(mm);
    REQUIRE(joined.size() == 1);
    CHECK(joined[0].id == "user-b");
    CHECK(joined[0].info == R"({"name":"Bob"})");
  }
  CHECK(a_presence.count() == 2);
  {
    std::lock_guard<std::mutex> lock(wb.mutex);
    CHECK_MESSAGE(wb.errors.empty(), wb.error_list_locked());
  }
  destroy_promptly(bob);
  destroy_promptly(alice);
}

TEST_CASE("Reverb: 4200 Invalid message format, and the connection stays open") {
  ReverbServer reverb;
  auto alice = std::make_unique<pusher::Manager>(reverb_options(reverb, "user-a", "Alice"));
  Watcher wa(*alice);
  alice->subscribe("private-room");
  alice->connect();
  REQUIRE(wa.wait([&] { return wa.event("pusher:subscription_succeeded", "private-room"); }));
  auto bob = std::make_unique<pusher::Manager>(reverb_options(reverb, "user-b", "Bob"));
  Watcher wb(*bob);
  auto room = bob->subscribe("private-room");
  bob->connect();
  room.trigger("client-typing", "not an object");  // not JSON: sent as a string
  REQUIRE(wb.wait_error(ErrorCode::server_error, 4200));
  // Still the same connection: a good event after it goes through.
  room.trigger("client-typing", R"({"n":2})");
  REQUIRE(wa.wait_event("client-typing"));
  CHECK(has_line(reverb.sent(1),
                 R"({"event":"pusher:error",)"
                 R"("data":"{\"code\":4200,\"message\":\"Invalid message format\"}"})"));
  CHECK(reverb.server().log(1).texts_containing(R"("data":"not an object")") == 1);
  CHECK(bob->state() == ConnectionState::connected);
  CHECK(reverb.server().connections() == 2);
  {
    std::lock_guard<std::mutex> lock(wa.mutex);
    CHECK(wa.event("client-typing")->data == R"({"n":2})");
  }
  {
    std::lock_guard<std::mutex> lock(wb.mutex);
    CHECK_MESSAGE(wb.errors.size() == 1, wb.error_list_locked());
    CHECK(wb.connected_count() == 1);
    CHECK(wb.delays.empty());
  }
  destroy_promptly(bob);
  destroy_promptly(alice);
}

TEST_CASE("Reverb: an unknown app key: 4001, then TCP dropped with no close frame; refused") {
  ReverbServer reverb;
  auto o = reverb_options(reverb);
  o.key = "no-such-key";
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  manager->connect();
  REQUIRE(w.wait_error(ErrorCode::connection_refused, 4001));
  CHECK(w.wait([&] { return manager->state() == ConnectionState::disconnected; }, 2s));
  CHECK_FALSE(reverb.server().wait_connections(2, 1500ms));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0] == R"({"event":"pusher:error",)"
                   R"("data":"{\"code\":4001,\"message\":\"Application does not exist\"}"})");
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connected_count() == 0);
    CHECK(w.delays.empty());  // no reconnect was ever scheduled
    CHECK(w.errors_of(ErrorCode::connection_refused, 4001) == 1);
  }
  destroy_promptly(manager);
}

TEST_CASE("Reverb: a bad signature: channel-less 4009 fails the private subscription; stays up") {
  ReverbServer reverb;
  auto o = reverb_options(reverb);
  o.authorizer = pusher::make_secret_authorizer(reverb.config().app_key, "not-the-secret");
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  auto room = manager->subscribe("private-room");
  auto chat = manager->subscribe("chat");
  manager->connect();
  REQUIRE(w.wait_error(ErrorCode::subscription_failed, 4009));
  // The connection was kept: the public channel is in, and a broadcast reaches it.
  REQUIRE(w.wait([&] { return w.event("pusher:subscription_succeeded", "chat") != nullptr; }));
  reverb.trigger("chat", "App\\Events\\MessageSent", R"({"message":"hi","n":1})");
  REQUIRE(w.wait_event("App\\Events\\MessageSent"));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  CHECK(has_line(sent, R"({"event":"pusher:error",)"
                       R"("data":"{\"code\":4009,\"message\":\"Connection is unauthorized\"}"})"));
  CHECK(has_line(sent, R"({"event":"App\\Events\\MessageSent",)"
                       R"("data":"{\"message\":\"hi\",\"n\":1}","channel":"chat"})"));
  CHECK_FALSE(room.subscribed());
  CHECK(chat.subscribed());
  CHECK(manager->state() == ConnectionState::connected);
  CHECK(reverb.server().connections() == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connected_count() == 1);
    CHECK(w.errors_of(ErrorCode::connection_refused) == 0);
    std::size_t failed = 0;
    for (auto& e : w.errors) {
      if (e.code != ErrorCode::subscription_failed) continue;
      ++failed;
      CHECK(e.channel == "private-room");
    }
    CHECK(failed == 1);
    CHECK(w.event("App\\Events\\MessageSent")->data == R"({"message":"hi","n":1})");
  }
  destroy_promptly(manager);
}

namespace {

/// A client event of 12,000 bytes to the Reverb mode, which closes with 1009 and nothing else;
/// checks the close and the reconnect, and returns the errors the Manager reported.
std::vector<pusher::Error> reverb_oversize_errors() {
  ReverbServer reverb;
  auto o = reverb_options(reverb);
  o.max_client_event_size = 20000;  // let it out: Reverb is the one to refuse it
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  auto room = manager->subscribe("private-room");
  manager->connect();
  REQUIRE(w.wait([&] { return w.event("pusher:subscription_succeeded", "private-room"); }));
  room.trigger("client-big", "{\"pad\":\"" + std::string(12000, 'x') + "\"}");
  REQUIRE(w.wait([&] {
    return std::any_of(w.errors.begin(), w.errors.end(),
                       [](auto& e) { return e.server_code == 1009; });
  }));
  // A reconnect, and the channel is subscribed again.
  REQUIRE(w.wait_connected(2));
  CHECK(reverb.server().connections() == 2);
  CHECK(reverb.wait_sent(1, "pusher_internal:subscription_succeeded", 5s));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  REQUIRE(!sent.empty());
  CHECK(sent.back() == "[close 1009 Maximum message size exceeded]");
  CHECK(lines_containing(sent, "pusher:error") == 0);
  // The client echoed the close (RFC 6455 §5.5.1).
  CHECK(reverb.server().log(0).close_code() == 1009);
  destroy_promptly(manager);
  std::lock_guard<std::mutex> lock(w.mutex);
  CHECK_MESSAGE(w.errors.size() == 1, w.error_list_locked());
  CHECK(w.errors_of(ErrorCode::server_error) == 0);
  CHECK(w.errors_of(ErrorCode::connection_refused) == 0);
  return w.errors;
}

}  // namespace

TEST_CASE("Reverb: more than 10,000 bytes: close 1009, no pusher:error; the client reconnects") {
  const auto errors = reverb_oversize_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].server_code == 1009);
}

// docs/errors-and-states.md: "the server closed with 1009 because a message we sent was over
// its limit" is message_too_large, although the client echoes the server's 1009 (RFC 6455
// §5.5.1) before the connection ends.
TEST_CASE("Reverb: a close 1009 from the server is reported as message_too_large") {
  const auto errors = reverb_oversize_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == ErrorCode::message_too_large);
  CHECK(errors[0].server_code == 1009);
  CHECK(errors[0].transient);
}

TEST_CASE("Reverb: an empty presence hash [] gives zero members, without an error") {
  ReverbServer reverb;
  // A raw connection subscribes with no channel_data (signed over socket_id:channel only):
  // from then on Reverb lists the channel as count 0, ids [], hash [].
  WsClient raw;
  pusher::detail::net::WebSocketOptions wo;
  wo.url = "ws://127.0.0.1:" + std::to_string(reverb.port()) + "/app/reverb-key?protocol=7";
  wo.proxy = "";
  wo.connect_timeout = 3s;
  raw.connect(wo);
  REQUIRE(raw.wait_messages(1));
  const std::string socket_id = reverb.socket_id(0);
  const std::string auth = pusher::sign_auth(reverb.config().app_key, reverb.config().app_secret,
                                             socket_id + ":presence-room");
  raw.send(R"({"event":"pusher:subscribe","data":{"auth":")" + auth +
           R"(","channel":"presence-room"}})");
  REQUIRE(raw.wait_messages(2));

  auto manager = std::make_unique<pusher::Manager>(reverb_options(reverb));
  Watcher w(*manager);
  auto room = manager->subscribe("presence-room");
  std::mutex mm;
  std::optional<std::size_t> here;
  auto on_here = room.here([&](const std::vector<pusher::Member>& members) {
    std::lock_guard<std::mutex> lock(mm);
    here = members.size();
  });
  manager->connect();
  REQUIRE(w.wait([&] { return w.event("pusher:subscription_succeeded", "presence-room"); }));
  const std::string empty =
      R"({"event":"pusher_internal:subscription_succeeded",)"
      R"("data":"{\"presence\":{\"count\":0,\"ids\":[],\"hash\":[]}}","channel":"presence-room"})";
  CHECK(raw.messages()[1] == empty);
  CHECK(has_line(reverb.sent(1), empty));
  CHECK(room.subscribed());
  CHECK(room.count() == 0);
  CHECK(room.members().empty());
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lock(mm);
    return here.has_value();
  }, 2s));
  {
    std::lock_guard<std::mutex> lock(mm);
    CHECK(here == std::optional<std::size_t>(0));
  }
  // The raw subscriber saw the Manager join.
  CHECK(reverb.wait_sent(0,
                         R"({"event":"pusher_internal:member_added",)"
                         R"("data":"{\"user_id\":\"user-a\",\"user_info\":{\"name\":\"Alice\"}}",)"
                         R"("channel":"presence-room"})",
                         5s));
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK_MESSAGE(w.errors.empty(), w.error_list_locked());
  }
  destroy_promptly(manager);
}

TEST_CASE("Reverb: the server's pusher:ping goes only to subscribed connections, when idle") {
  ReverbConfig config;
  config.tick = 200ms;  // Reverb: 60 s
  config.ping_interval = 300ms;
  ReverbServer reverb(config);
  auto subscribed = std::make_unique<pusher::Manager>(reverb_options(reverb));
  Watcher ws(*subscribed);
  subscribed->subscribe("chat");
  subscribed->connect();
  REQUIRE(ws.wait_connected());
  auto idle = std::make_unique<pusher::Manager>(reverb_options(reverb));
  Watcher wi(*idle);
  idle->connect();
  REQUIRE(wi.wait_connected());
  // Answered every time, so never pruned: several pings, each with its pong.
  REQUIRE(reverb.server().wait(
      [](auto& logs) { return !logs.empty() && logs[0].texts_containing("\"pusher:pong\"") >= 3; },
      10s));
  const auto to_subscribed = reverb.sent(0);
  CAPTURE(sent_list(to_subscribed));
  CHECK(lines_containing(to_subscribed, "pusher:ping") >= 3);
  for (const auto& line : to_subscribed) {
    if (line.find("pusher:ping") != std::string::npos) CHECK(line == R"({"event":"pusher:ping"})");
  }
  CHECK(lines_containing(to_subscribed, "4201") == 0);
  CHECK(lines_containing(reverb.sent(1), "pusher:ping") == 0);  // never subscribed: never pinged
  CHECK(subscribed->state() == ConnectionState::connected);
  CHECK(idle->state() == ConnectionState::connected);
  CHECK(reverb.server().connections() == 2);
  for (Watcher* w : {&ws, &wi}) {
    std::lock_guard<std::mutex> lock(w->mutex);
    CHECK_MESSAGE(w->errors.empty(), w->error_list_locked());
  }
  destroy_promptly(idle);
  destroy_promptly(subscribed);
}

TEST_CASE("Reverb: no pong in time: 4201, a drop with no close frame, an immediate reconnect") {
  ReverbConfig config;
  config.tick = 200ms;
  config.ping_interval = 300ms;
  config.lose_pongs = true;  // the client answers; its pong is lost on the way
  ReverbServer reverb(config);
  auto o = reverb_options(reverb);
  o.reconnect.initial_delay = 5s;  // a back-off would be visible; "immediate" is not
  o.reconnect.max_delay = 10s;
  auto manager = std::make_unique<pusher::Manager>(o);
  Watcher w(*manager);
  manager->subscribe("chat");
  manager->connect();
  REQUIRE(w.wait_error(ErrorCode::server_error, 4201));
  REQUIRE(w.wait_connected(2, 3s));
  CHECK(reverb.wait_sent(1, "pusher_internal:subscription_succeeded", 5s));
  const auto sent = reverb.sent(0);
  CAPTURE(sent_list(sent));
  REQUIRE(sent.size() >= 2);
  CHECK(sent[sent.size() - 2] == R"({"event":"pusher:ping"})");
  CHECK(sent.back() ==
        R"({"event":"pusher:error",)"
        R"("data":"{\"code\":4201,\"message\":\"Pong reply not received in time\"}"})");
  const ConnLog first = reverb.server().log(0);
  CHECK(first.texts_containing("\"pusher:pong\"") >= 1);  // the client did answer
  std::lock_guard<std::mutex> lock(w.mutex);
  REQUIRE(!w.delays.empty());
  CHECK(w.delays[0] == 0ms);
  CHECK(w.errors_of(ErrorCode::connection_refused) == 0);
}
