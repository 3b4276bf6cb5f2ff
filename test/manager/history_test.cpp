// EventHistory: order, limits, and what it costs in heap per entry. This executable replaces
// the global operator new/delete to count the live heap (the malloc_usable_size of each block:
// what glibc's malloc hands out, without its 8-byte chunk header) and the allocations.
// GCC 12 inlines the replacement operator delete below into library code and then takes its
// free() for a mismatch with operator new; the pair is consistent (both use malloc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "events/history.hpp"

#include <doctest/doctest.h>

#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "fake_transport.hpp"
#include "manager/manager_core.hpp"
#include "manual_scheduler.hpp"
#include "protocol/message.hpp"

namespace {

std::atomic<std::size_t> g_live_bytes{0};
std::atomic<std::size_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}

using pusher::Event;
using pusher::detail::EventHistory;

namespace {

Event make_event(const std::string& name, std::string data, std::string user_id = {}) {
  Event e;
  e.channel = "chat";
  e.name = name;
  e.data = std::move(data);
  e.user_id = std::move(user_id);
  e.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return e;
}

std::vector<std::string> names_of(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name);
  return out;
}

/// The bench's Laravel MessageSent messages (~318 bytes of strings each).
std::vector<std::string> bench_messages() {
  std::ifstream in(PUSHER_BENCH_DATA);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("the history keeps every field, oldest first, up to its capacity") {
  EventHistory history(3, 1 << 20);
  CHECK(history.snapshot().empty());
  history.push(make_event("e0", "{\"a\":1}", "7"));
  history.push(make_event("e1", ""));
  auto one = history.snapshot();
  REQUIRE(one.size() == 2);
  CHECK(one[0].channel == "chat");
  CHECK(one[0].name == "e0");
  CHECK(one[0].data == "{\"a\":1}");
  CHECK(one[0].user_id == "7");
  CHECK(one[0].received_at == make_event("x", "").received_at);
  CHECK(one[1].data.empty());
  CHECK(one[1].user_id.empty());
  for (int i = 2; i < 7; ++i) history.push(make_event("e" + std::to_string(i), "{}"));
  CHECK(names_of(history.snapshot()) == std::vector<std::string>{"e4", "e5", "e6"});
  CHECK(history.bytes() == 3 * (4 + 2 + 2));
}

TEST_CASE("the history keeps to its byte budget; an event over it alone is not kept") {
  EventHistory history(100, 100);
  history.push(make_event("a", std::string(40, 'x')));  // 4 + 1 + 40
  history.push(make_event("b", std::string(40, 'y')));
  CHECK(history.bytes() == 90);
  history.push(make_event("c", std::string(10, 'z')));  // evicts "a"
  CHECK(names_of(history.snapshot()) == std::vector<std::string>{"b", "c"});
  CHECK(history.bytes() == 45 + 15);
  history.push(make_event("huge", std::string(200, 'h')));
  CHECK(names_of(history.snapshot()) == std::vector<std::string>{"b", "c"});
  history.push(make_event("d", std::string(95, 'd')));  // exactly the budget: evicts both
  CHECK(names_of(history.snapshot()) == std::vector<std::string>{"d"});
  CHECK(history.bytes() == 100);
  EventHistory none(0, 100);
  none.push(make_event("a", "{}"));
  CHECK(none.snapshot().empty());
  CHECK(none.bytes() == 0);
}

TEST_CASE("binary and long strings come back byte for byte") {
  EventHistory history(4, 1 << 20);
  std::string binary("a\0b\xff", 4);
  history.push(make_event(std::string(300, 'n'), binary, std::string(70000, 'u')));
  auto out = history.snapshot();
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == std::string(300, 'n'));
  CHECK(out[0].data == binary);
  CHECK(out[0].user_id == std::string(70000, 'u'));
}

namespace {

/// Heap the history holds with `events` in it, and the allocations the pushes made.
struct Cost {
  std::size_t bytes = 0;
  std::size_t allocations = 0;
};

Cost history_cost(std::size_t capacity, std::size_t events) {
  const auto lines = bench_messages();
  REQUIRE(lines.size() >= 10);
  // Decoded first, as ManagerCore::on_channel_event gets them (the strings' capacity is the
  // decoder's).
  std::vector<Event> decoded;
  for (std::size_t i = 0; i < events; ++i) {
    auto result = pusher::detail::protocol::decode(lines[i % lines.size()]);
    auto& m = std::get<pusher::detail::protocol::ChannelEvent>(
        std::get<pusher::detail::protocol::Inbound>(result));
    Event e;
    e.channel = std::move(m.channel);
    e.name = std::move(m.event);
    e.data = std::move(m.data);
    e.user_id = std::move(m.user_id);
    decoded.push_back(std::move(e));
  }
  EventHistory history(capacity, 1u << 20);
  const std::size_t live = g_live_bytes.load();
  const std::size_t allocations = g_allocations.load();
  std::size_t freed_with_events = 0;  // the events' own blocks, freed below
  for (auto& e : decoded) {
    for (const std::string* s : {&e.channel, &e.name, &e.data, &e.user_id}) {
      if (s->capacity() > std::string().capacity()) {  // on the heap, not in the string
        freed_with_events += malloc_usable_size(const_cast<char*>(s->data()));
      }
    }
    history.push(e);
    Event gone = std::move(e);  // frees the event's own strings, as deliver() does
  }
  Cost cost;
  cost.bytes = g_live_bytes.load() + freed_with_events - live;
  cost.allocations = g_allocations.load() - allocations;
  return cost;
}

}  // namespace

TEST_CASE("memory: the history of 100 bench events, one block per entry") {
  const Cost full = history_cost(100, 100);
  const Cost steady = history_cost(100, 300);
  std::printf(
      "history of 100 MessageSent events: %zu bytes of heap (%zu per entry), %zu "
      "allocations for 100 pushes; after 300 pushes %zu bytes, %zu allocations\n",
      full.bytes, full.bytes / 100, full.allocations, steady.bytes, steady.allocations);
  // Each entry: its strings (~300 bytes) and a 32-byte header in one block, and a pointer in
  // the ring.
  CHECK(full.bytes < 100 * 360);
  CHECK(steady.bytes < 100 * 400);
  CHECK(full.allocations <= 100 + 8);
  CHECK(steady.allocations <= 300 + 8);
}

// The same through a whole ManagerCore: its heap grows by the history alone, so the difference
// between history 100 and history 0 is what the history costs a connection.
TEST_CASE("memory: a connection's heap after 100 events, history 100 against history 0") {
  auto run = [](std::size_t capacity) {
    pusher::detail::net::LoopThread thread;
    auto ref = std::make_shared<pusher::detail::LoopRef>(thread.loop());
    pusher::test::ManualScheduler clock;
    pusher::test::FakeServerSide server;
    pusher::Options o;
    o.key = "app-key";
    o.host = "127.0.0.1";
    o.tls = false;
    o.history_capacity = capacity;
    auto core = std::make_shared<pusher::detail::ManagerCore>(
        o, thread.loop(), ref,
        [&server](pusher::detail::net::WebSocketListener& listener) {
          return std::make_unique<pusher::test::FakeTransport>(server, listener);
        },
        &clock);
    const auto lines = bench_messages();
    core->connect();
    REQUIRE(ref->call([&] {
      server.establish("1.1");
      server.message(lines[0]);  // warms the decoder's scratch: not history
    }));
    const std::size_t before = g_live_bytes.load();
    REQUIRE(ref->call([&] {
      for (std::size_t i = 0; i < 100; ++i) server.message(lines[(i + 1) % lines.size()]);
    }));
    const std::size_t after = g_live_bytes.load();
    CHECK(core->history().size() == std::min<std::size_t>(capacity, 100));
    ref->shut();
    thread.stop_and_join();
    return static_cast<long>(after) - static_cast<long>(before);
  };
  const long with_history = run(100);
  const long without = run(0);
  std::printf(
      "a connection's heap after 100 events: %ld bytes more with history 100 than with "
      "history 0\n",
      with_history - without);
  CHECK(with_history - without < 100 * 360);
}
