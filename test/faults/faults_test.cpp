// Network faults, servers scaled out, and TLS without verification (issue 7), through the
// public API against real soketi processes, on loopback only.
//
// Faults come from FaultProxy (a TCP proxy of ours between the Manager and soketi) or from
// killing soketi itself. Every case checks the same things: the Manager recovers; every
// channel is subscribed exactly once per connection (pusher:subscription_succeeded counted per
// connection); every event published while the client was connected arrives exactly once
// (counted by sequence number); events published while it was down may be lost (Pusher
// replays nothing) but none arrives twice.
#include <pusher/pusher.hpp>

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fault_proxy.hpp"
#include "fixtures.hpp"
#include "recorder.hpp"

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
using pusher::test::faults::FaultProxy;

/// The number after `"seq":` in an event's data; -1 when there is none.
long seq_of(const std::string& data) {
  auto at = data.find("\"seq\":");
  if (at == std::string::npos) return -1;
  at += 6;
  long n = 0;
  bool any = false;
  for (; at < data.size() && std::isdigit(static_cast<unsigned char>(data[at])) != 0; ++at) {
    n = n * 10 + (data[at] - '0');
    any = true;
  }
  return any ? n : -1;
}

/// Records what a Manager reports, for waiting on from the test thread.
struct Watcher : pusher::test::Recorder {
  std::vector<std::string> channels;                  // those a connection must resubscribe
  int connections = 0;                                // transitions to connected
  std::map<std::string, int> succeeded;               // subscription_succeeded per channel
  std::optional<Clock::time_point> subscribed_since;  // every channel, this connection
  std::optional<Clock::time_point> lost_at;           // the last time the state left connected
  std::vector<pusher::StateChange> states;
  std::vector<pusher::Error> errors;
  // "channel/event" -> seq -> how many times it arrived, and when it first did.
  std::map<std::string, std::map<long, int>> seen;
  std::map<std::string, std::map<long, Clock::time_point>> first_seen;
  std::size_t app_events = 0;
  std::vector<pusher::Binding> bindings;

  Watcher(pusher::Manager& m, std::vector<std::string> names) : channels(std::move(names)) {
    bindings.push_back(m.bind_global([this](const pusher::Event& e) {
      record([&] {
        if (e.name == "pusher:subscription_succeeded") {
          ++succeeded[e.channel];
          bool all = std::all_of(channels.begin(), channels.end(),
                                 [&](const std::string& c) { return succeeded[c] >= connections; });
          if (all && !subscribed_since) subscribed_since = Clock::now();
        }
        if (e.name.rfind("pusher:", 0) == 0) return;
        ++app_events;
        const std::string key = e.channel + "/" + e.name;
        const long seq = seq_of(e.data);
        if (++seen[key][seq] == 1) first_seen[key][seq] = Clock::now();
      });
    }));
    bindings.push_back(m.on_state_change([this](const pusher::StateChange& c) {
      record([&] {
        states.push_back(c);
        if (c.current == pusher::ConnectionState::connected) ++connections;
        if (c.previous == pusher::ConnectionState::connected) {
          subscribed_since.reset();
          lost_at = Clock::now();
        }
      });
    }));
    bindings.push_back(
        m.on_error([this](const pusher::Error& e) { record([&] { errors.push_back(e); }); }));
  }
  ~Watcher() { bindings.clear(); }

  /// Waits until the n-th connection is up and has every channel subscribed.
  bool wait_subscribed(int n, std::chrono::milliseconds timeout = 15s) {
    return wait(
        [&] {
          if (connections < n || !subscribed_since) return false;
          return std::all_of(channels.begin(), channels.end(),
                             [&](const std::string& c) { return succeeded[c] >= n; });
        },
        timeout);
  }
  /// Waits until seq 0..count-1 of `key` have all arrived.
  bool wait_all(const std::string& key, long count, std::chrono::milliseconds timeout = 15s) {
    return wait(
        [&] {
          auto it = seen.find(key);
          if (it == seen.end()) return false;
          for (long s = 0; s < count; ++s) {
            if (it->second.count(s) == 0) return false;
          }
          return true;
        },
        timeout);
  }
  int times(const std::string& key, long seq) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = seen.find(key);
    if (it == seen.end()) return 0;
    auto s = it->second.find(seq);
    return s == it->second.end() ? 0 : s->second;
  }
  bool connected_now() {
    std::lock_guard<std::mutex> lock(mutex);
    return !states.empty() && states.back().current == pusher::ConnectionState::connected;
  }
  bool saw_error(pusher::ErrorCode code) {
    std::lock_guard<std::mutex> lock(mutex);
    return std::any_of(errors.begin(), errors.end(),
                       [&](const pusher::Error& e) { return e.code == code; });
  }
};

/// Every channel subscribed exactly once per connection, and no event arrived twice.
void check_once(Watcher& w) {
  // The last connection's confirmations may still be on their way: wait (bounded).
  w.wait(
      [&] {
        return std::all_of(w.channels.begin(), w.channels.end(),
                           [&](const std::string& c) { return w.succeeded[c] >= w.connections; });
      },
      5s);
  std::lock_guard<std::mutex> lock(w.mutex);
  for (const auto& c : w.channels) {
    CAPTURE(c);
    CHECK(w.succeeded[c] == w.connections);
  }
  for (const auto& [key, seqs] : w.seen) {
    for (const auto& [seq, n] : seqs) {
      CAPTURE(key);
      CAPTURE(seq);
      CHECK(n == 1);
    }
  }
}

pusher::Options options_for(int port) {
  pusher::Options o;
  o.key = "app-key";
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = false;
  o.proxy = "";
  o.connect_timeout = 5s;
  o.reconnect.initial_delay = 100ms;  // the tests wait for reconnects: keep them quick
  o.reconnect.max_delay = 500ms;
  return o;
}

void subscribe_all(pusher::Manager& m, const Watcher& w) {
  for (const auto& c : w.channels) m.subscribe(c);
}

std::string counted(long seq, const std::string& more = {}) {
  return "{\"seq\":" + std::to_string(seq) + more + "}";
}

/// `n` characters of random hex: data that does not compress.
std::string random_hex(std::size_t n) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out(n, '0');
  for (char& c : out) c = "0123456789abcdef"[digit(rng)];
  return out;
}

/// True when an executable `name` is in one of PATH's folders.
bool in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string dir = rest.substr(0, colon);
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

/// Debian's redis-server on 127.0.0.1, on a free port, with no persistence.
class RedisServer {
 public:
  /// Empty when redis-server is not installed; throws when it is but does not start.
  static std::unique_ptr<RedisServer> start() {
    if (!in_path("redis-server")) return nullptr;
    std::string last_output;
    for (int attempt = 0; attempt < 3; ++attempt) {
      const int port = pusher::test::free_port();
      auto process = std::make_unique<pusher::test::ChildProcess>(
          std::vector<std::string>{"redis-server", "--port", std::to_string(port), "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no"});
      if (process->wait_for_output("Ready to accept connections", 10s) &&
          pusher::test::process_listens_on(process->pid(), port)) {
        return std::unique_ptr<RedisServer>(new RedisServer(std::move(process), port));
      }
      last_output = process->output();  // the port was probably taken: try another
    }
    throw std::runtime_error("redis-server did not start on 127.0.0.1:\n" + last_output);
  }
  int port() const { return port_; }

 private:
  RedisServer(std::unique_ptr<pusher::test::ChildProcess> process, int port)
      : process_(std::move(process)), port_(port) {}
  std::unique_ptr<pusher::test::ChildProcess> process_;
  int port_;
};

}  // namespace

TEST_SUITE_BEGIN("faults");

TEST_CASE("a connection reset in the middle of a frame: reconnect, resubscribe once, go on") {
  pusher::test::SoketiServer soketi;
  FaultProxy proxy(soketi.port());
  pusher::Manager m(options_for(proxy.port()));
  Watcher w(m, {"reset-a", "reset-b"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1));

  soketi.trigger("reset-a", "before", "{}", 10);
  REQUIRE(w.wait_all("reset-a/before", 10));

  // A 6 KB event whose frame is cut after 100 bytes; then every connection is reset.
  proxy.cut_next_download(100);
  soketi.trigger("reset-b", "big", counted(0, ",\"pad\":\"" + random_hex(6000) + "\""));
  REQUIRE(proxy.wait_cut(10s));
  REQUIRE(w.wait_subscribed(2));

  soketi.trigger("reset-a", "after", "{}", 10);
  soketi.trigger("reset-b", "after", "{}", 10);
  REQUIRE(w.wait_all("reset-a/after", 10));
  REQUIRE(w.wait_all("reset-b/after", 10));
  CHECK(w.times("reset-b/big", 0) == 0);  // cut: lost, never half-delivered
  CHECK_FALSE(w.saw_error(pusher::ErrorCode::malformed_message));
  CHECK(m.stats().reconnects == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connections == 2);
    CHECK(w.app_events == 30);
  }
  check_once(w);
}

TEST_CASE("a half-open connection is found by the pong timeout, then replaced") {
  pusher::test::SoketiServer soketi;
  FaultProxy proxy(soketi.port());
  pusher::Options o = options_for(proxy.port());
  o.activity_timeout = 1s;
  o.pong_timeout = 1s;
  pusher::Manager m(o);
  Watcher w(m, {"half-a", "half-b"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1));
  soketi.trigger("half-a", "before", "{}", 5);
  REQUIRE(w.wait_all("half-a/before", 5));
  // Keep-alive works through the proxy: a ping was answered, nothing was dropped.
  std::this_thread::sleep_for(2500ms);
  CHECK(m.stats().last_ping_rtt.has_value());
  CHECK(m.stats().reconnects == 0);

  const auto frozen_at = Clock::now();
  REQUIRE(proxy.half_open() == 1);
  REQUIRE(w.wait([&] { return w.lost_at.has_value(); }, 10s));
  const auto detected = *w.lost_at - frozen_at;
  MESSAGE("half-open connection detected after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(detected).count() << " ms");
  // At most one activity timeout of quiet, then one pong timeout (plus scheduling slack).
  CHECK(detected <= 3500ms);
  CHECK(w.saw_error(pusher::ErrorCode::timeout));
  REQUIRE(w.wait_subscribed(2));

  soketi.trigger("half-a", "after", "{}", 10);
  soketi.trigger("half-b", "after", "{}", 10);
  REQUIRE(w.wait_all("half-a/after", 10));
  REQUIRE(w.wait_all("half-b/after", 10));
  CHECK(m.stats().reconnects == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connections == 2);
  }
  check_once(w);
}

TEST_CASE("2 s of latency each way: slow, but connected, subscribed and kept alive") {
  pusher::test::SoketiServer soketi;
  FaultProxy proxy(soketi.port());
  proxy.set_latency(2s);
  pusher::Options o = options_for(proxy.port());
  o.connect_timeout = 20s;
  o.activity_timeout = 2s;  // pings cross the latency too: a round trip of ~4 s
  o.pong_timeout = 8s;
  pusher::Manager m(o);
  Watcher w(m, {"slow-a", "slow-b"});
  subscribe_all(m, w);
  const auto start = Clock::now();
  m.connect();
  REQUIRE(w.wait_subscribed(1, 40s));
  const auto took = Clock::now() - start;
  MESSAGE("subscribed after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms");
  CHECK(took >= 5500ms);  // upgrade, established, subscribe, succeeded: 3 delays at least

  const auto published = Clock::now();
  soketi.trigger("slow-a", "tick", "{}", 5);
  soketi.trigger("slow-b", "tick", "{}", 5);
  REQUIRE(w.wait_all("slow-a/tick", 5, 20s));
  REQUIRE(w.wait_all("slow-b/tick", 5, 20s));
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.first_seen["slow-a/tick"][0] - published >= 1900ms);
  }
  // Idle long enough for pings through the latency: answered, no reconnect.
  CHECK_FALSE(w.wait([&] { return w.lost_at.has_value(); }, 9s));
  auto rtt = m.stats().last_ping_rtt;
  REQUIRE(rtt.has_value());
  // 2 s each way: a real round trip is at least 4 s, whatever pongs and pings overlap.
  MESSAGE("ping round trip " << std::chrono::duration_cast<std::chrono::milliseconds>(*rtt).count()
                             << " ms");
  CHECK(*rtt >= 3900ms);
  CHECK(m.stats().reconnects == 0);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connections == 1);
  }
  check_once(w);
}

TEST_CASE("1 KiB/s: a small event arrives soon, a large one eventually") {
  pusher::test::SoketiServer soketi;
  FaultProxy proxy(soketi.port());
  proxy.set_bandwidth(1024);
  pusher::Options o = options_for(proxy.port());
  o.connect_timeout = 20s;
  pusher::Manager m(o);
  Watcher w(m, {"thin"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1, 30s));

  auto start = Clock::now();
  soketi.trigger("thin", "small", counted(0, ",\"text\":\"hi\""));
  REQUIRE(w.wait_all("thin/small", 1, 10s));
  const auto small_took = Clock::now() - start;

  const std::uint64_t down_before = proxy.bytes_down();
  start = Clock::now();
  soketi.trigger("thin", "large", counted(0, ",\"pad\":\"" + random_hex(8000) + "\""));
  REQUIRE(w.wait_all("thin/large", 1, 40s));
  const auto large_took = Clock::now() - start;
  MESSAGE("small event after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(small_took).count()
          << " ms, 8 KB event after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(large_took).count() << " ms");
  CHECK(small_took < 3s);
  CHECK(large_took >= 5s);  // 8 KB at 1 KiB/s: the cap held
  CHECK(proxy.bytes_down() - down_before >= 8000);

  soketi.trigger("thin", "small", counted(1));
  REQUIRE(w.wait_all("thin/small", 2, 10s));
  CHECK(m.stats().reconnects == 0);
  check_once(w);
}

TEST_CASE("50 soketi SIGKILL + restart cycles during a steady publish stream") {
  pusher::test::SoketiServer soketi;
  pusher::Manager m(options_for(soketi.port()));
  Watcher w(m, {"steady-a", "steady-b"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1));

  // Kill times (steady clock), set before each SIGKILL, read by the publisher.
  std::mutex kills_mutex;
  std::vector<Clock::time_point> kills;
  auto last_kill = [&] {
    std::lock_guard<std::mutex> lock(kills_mutex);
    return kills.empty() ? Clock::time_point{} : kills.back();
  };

  struct Published {
    long seq;
    std::string channel;
    bool ok;    // soketi answered 200
    bool must;  // the client was subscribed on this soketi before, and no kill came during
  };
  std::vector<Published> published;  // the publisher's until it is joined
  std::atomic<bool> stop_publishing{false};
  const auto publish_deadline = Clock::now() + 170s;
  std::thread publisher([&] {
    for (long seq = 0; seq < 3000 && !stop_publishing && Clock::now() < publish_deadline; ++seq) {
      const std::string channel = seq % 2 == 0 ? "steady-a" : "steady-b";
      const auto t_start = Clock::now();
      bool up;
      {
        std::lock_guard<std::mutex> lock(w.mutex);
        // Subscribed on the soketi running now: the confirmations came after the last kill.
        up = w.subscribed_since.has_value() && *w.subscribed_since > last_kill();
      }
      bool ok = true;
      try {
        soketi.trigger(channel, "tick", counted(seq));
      } catch (const std::exception&) {
        ok = false;  // soketi was down: the event is not published
      }
      const bool quiet = last_kill() < t_start;  // no kill began while it was published
      published.push_back({seq, channel, ok, ok && up && quiet});
    }
  });

  constexpr int kCycles = 50;
  const auto started = Clock::now();
  int cycles = 0;
  for (; cycles < kCycles; ++cycles) {
    // Let the stream reach this connection: wait for four events (bounded), then kill.
    std::size_t before;
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      before = w.app_events;
    }
    w.wait([&] { return w.app_events >= before + 4; }, 4s);
    {
      std::lock_guard<std::mutex> lock(kills_mutex);
      kills.push_back(Clock::now());
    }
    soketi.kill_hard();
    soketi.restart();
    if (!w.wait_subscribed(cycles + 2, 20s)) break;
  }
  const auto took = Clock::now() - started;
  MESSAGE(cycles << " cycles in "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  // A little more of the stream on the last connection, then stop.
  {
    std::size_t before;
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      before = w.app_events;
    }
    w.wait([&] { return w.app_events >= before + 4; }, 5s);
  }
  stop_publishing = true;
  publisher.join();
  CHECK(cycles == kCycles);

  // Every event that had to arrive did (they may still be on their way: wait, bounded).
  std::size_t must = 0;
  std::size_t ok = 0;
  for (const auto& p : published) {
    must += p.must ? 1 : 0;
    ok += p.ok ? 1 : 0;
  }
  w.wait(
      [&] {
        for (const auto& p : published) {
          if (p.must && w.seen[p.channel + "/tick"].count(p.seq) == 0) return false;
        }
        return true;
      },
      10s);
  std::size_t received;
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    received = w.app_events;
  }
  MESSAGE(published.size() << " events published, " << ok << " accepted by soketi, " << must
                           << " while subscribed, " << received << " received");
  CHECK(must >= static_cast<std::size_t>(kCycles));  // the stream reached most connections
  std::size_t missing = 0;
  for (const auto& p : published) {
    if (p.must && w.times(p.channel + "/tick", p.seq) == 0) {
      if (++missing <= 10) MESSAGE("event " << p.seq << " on " << p.channel << " never arrived");
    }
  }
  CHECK(missing == 0);
  CHECK(m.stats().reconnects == static_cast<std::uint64_t>(cycles));
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connections == cycles + 1);
  }
  check_once(w);
}

TEST_CASE("messages queued while down are sent after the reconnect (client events)") {
  pusher::test::SoketiServer soketi;
  FaultProxy proxy(soketi.port());
  auto authorizer = pusher::make_secret_authorizer(soketi.options().key, soketi.options().secret);
  const std::string channel = "private-queue";

  pusher::Options so = options_for(proxy.port());
  so.authorizer = authorizer;
  pusher::Manager sender(so);
  Watcher ws(sender, {channel});
  pusher::Options ro = options_for(soketi.port());  // the receiver bypasses the proxy
  ro.authorizer = authorizer;
  pusher::Manager receiver(ro);
  Watcher wr(receiver, {channel});

  auto out = sender.subscribe(channel);
  subscribe_all(receiver, wr);
  sender.connect();
  receiver.connect();
  REQUIRE(ws.wait_subscribed(1));
  REQUIRE(wr.wait_subscribed(1));

  for (long seq = 0; seq < 3; ++seq) out.trigger("client-note", counted(seq));
  REQUIRE(wr.wait_all(channel + "/client-note", 3));

  // The sender's server becomes unreachable; it queues while it tries again and again.
  proxy.set_refusing(true);
  REQUIRE(proxy.reset_all());
  REQUIRE(ws.wait([&] { return ws.lost_at.has_value(); }, 10s));
  for (long seq = 3; seq < 8; ++seq) out.trigger("client-note", counted(seq));
  CHECK_FALSE(ws.connected_now());
  CHECK_FALSE(wr.wait([&] { return wr.app_events > 3; }, 1500ms));  // nothing leaked out
  CHECK(proxy.accepted() >= 2);                                     // it did try again meanwhile

  proxy.set_refusing(false);
  REQUIRE(ws.wait_subscribed(2));
  REQUIRE(wr.wait_all(channel + "/client-note", 8));
  CHECK_FALSE(ws.saw_error(pusher::ErrorCode::queue_overflow));
  {
    std::lock_guard<std::mutex> lock(wr.mutex);
    CHECK(wr.app_events == 8);
    // In the order they were queued.
    const auto& at = wr.first_seen[channel + "/client-note"];
    for (long seq = 4; seq < 8; ++seq) {
      CAPTURE(seq);
      CHECK(at.at(seq - 1) <= at.at(seq));
    }
  }
  {
    std::lock_guard<std::mutex> lock(ws.mutex);
    CHECK(ws.connections == 2);
  }
  check_once(ws);
  check_once(wr);
}

TEST_CASE("two soketi processes share Redis: events cross, and the client moves over") {
  std::unique_ptr<RedisServer> redis = RedisServer::start();
  if (!redis) {
    MESSAGE("skipped: redis-server is not installed (Debian package redis-server)");
    return;
  }
  pusher::test::SoketiOptions so;
  so.redis_port = redis->port();
  pusher::test::SoketiServer first(so);
  pusher::test::SoketiServer second(so);

  pusher::Options o = options_for(first.port());
  o.fallback_endpoints.push_back(pusher::Endpoint{"127.0.0.1", second.port(), false, ""});
  pusher::Manager m(o);
  Watcher w(m, {"scaled-a", "scaled-b"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1));

  // The soketis' Redis clients connect in the background: wait until one event crosses.
  bool crossed = false;
  for (int i = 0; i < 20 && !crossed; ++i) {
    second.trigger("scaled-a", "warmup", "{}");
    crossed = w.wait([&] { return !w.seen["scaled-a/warmup"].empty(); }, 500ms);
  }
  REQUIRE_MESSAGE(crossed, "no event crossed from the second soketi to the first:\n"
                               << first.output() << "\n---\n"
                               << second.output());

  second.trigger("scaled-a", "before", "{}", 10);
  second.trigger("scaled-b", "before", "{}", 10);
  REQUIRE(w.wait_all("scaled-a/before", 10));
  REQUIRE(w.wait_all("scaled-b/before", 10));

  first.kill_hard();
  REQUIRE(w.wait_subscribed(2, 20s));
  second.trigger("scaled-a", "after", "{}", 10);
  second.trigger("scaled-b", "after", "{}", 10);
  REQUIRE(w.wait_all("scaled-a/after", 10));
  REQUIRE(w.wait_all("scaled-b/after", 10));
  CHECK(m.stats().reconnects == 1);
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    CHECK(w.connections == 2);
    w.seen.erase("scaled-a/warmup");  // published until one arrived: not counted
  }
  check_once(w);
}

TEST_CASE("verify_peer = false connects to a self-signed wss server and logs a warning") {
  const auto files = pusher::test::make_tls_files();
  pusher::test::SoketiOptions so;
  so.tls_cert = files.server_cert;
  so.tls_key = files.server_key;
  pusher::test::SoketiServer soketi(so);

  std::mutex log_mutex;
  std::vector<std::pair<pusher::LogLevel, std::string>> lines;
  pusher::Options o = options_for(soketi.port());
  o.tls = true;
  o.verify_peer = false;  // no ca_file: the certificate cannot be verified
  o.log_level = pusher::LogLevel::warn;
  o.logger = [&](pusher::LogLevel level, const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    lines.emplace_back(level, line);
  };
  pusher::Manager m(o);
  Watcher w(m, {"tls"});
  subscribe_all(m, w);
  m.connect();
  REQUIRE(w.wait_subscribed(1));
  soketi.trigger("tls", "tick", "{}", 3);
  REQUIRE(w.wait_all("tls/tick", 3));

  std::lock_guard<std::mutex> lock(log_mutex);
  bool warned = false;
  for (const auto& [level, line] : lines) {
    CAPTURE(line);
    CHECK(level >= pusher::LogLevel::warn);  // nothing below the level asked for
    std::string low = line;
    std::transform(low.begin(), low.end(), low.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (level == pusher::LogLevel::warn && low.find("verif") != std::string::npos &&
        low.find("off") != std::string::npos) {
      warned = true;
    }
  }
  CHECK(warned);
  check_once(w);
}

TEST_SUITE_END();
