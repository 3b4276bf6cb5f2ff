#include "net/event_loop.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

using pusher::detail::net::EventLoop;
using pusher::detail::net::LoopThread;
using namespace std::chrono_literals;

TEST_CASE("timers run in due order and cancelled timers never run") {
  EventLoop loop;
  std::vector<int> order;
  loop.add_timer(30ms, [&] { order.push_back(3); });
  auto cancelled = loop.add_timer(10ms, [&] { order.push_back(99); });
  loop.add_timer(20ms, [&] { order.push_back(2); });
  loop.add_timer(0ms, [&] { order.push_back(1); });
  loop.add_timer(40ms, [&] { loop.stop(); });
  loop.cancel_timer(cancelled);
  loop.run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("timers cancelled in bulk are swept: the survivors run in due order, the others never") {
  // Thousands of connects each cancel a connect timeout; the heap sweeps the dead entries.
  EventLoop loop;
  std::vector<int> order;
  std::vector<EventLoop::TimerId> ids;
  for (int i = 0; i < 3000; ++i) {
    // The same delay: each is due no sooner than the one made before it, so they run in order.
    ids.push_back(loop.add_timer(50ms, [&order, i] { order.push_back(i); }));
  }
  for (int i = 0; i < 3000; ++i) {
    if (i % 7 != 0) loop.cancel_timer(ids[static_cast<std::size_t>(i)]);
  }
  // A timer added from inside the loop, after the sweep, still runs.
  bool late = false;
  loop.add_timer(0ms, [&] { loop.add_timer(1ms, [&] { late = true; }); });
  loop.add_timer(200ms, [&] { loop.stop(); });
  loop.run();
  CHECK(late);
  std::vector<int> expected;  // the survivors, in the order they were made
  for (int i = 0; i < 3000; ++i) {
    if (i % 7 == 0) expected.push_back(i);
  }
  CHECK(order == expected);
}

TEST_CASE("posted tasks from other threads run on the loop thread in order") {
  LoopThread thread;
  EventLoop& loop = thread.loop();
  std::promise<std::vector<int>> result;
  auto seen = std::make_shared<std::vector<int>>();
  std::atomic<bool> all_on_loop{true};
  for (int i = 0; i < 1000; ++i) {
    loop.post([&, seen, i] {
      if (!loop.in_loop_thread()) all_on_loop = false;
      seen->push_back(i);
      if (i == 999) result.set_value(*seen);
    });
  }
  auto future = result.get_future();
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  std::vector<int> expected(1000);
  for (int i = 0; i < 1000; ++i) expected[static_cast<std::size_t>(i)] = i;
  CHECK(future.get() == expected);
  CHECK(all_on_loop);
  CHECK_FALSE(loop.in_loop_thread());
}

TEST_CASE("an idle loop sleeps: no wake-ups without timers or sockets") {
  LoopThread thread;
  // A first round trip settles the start-up wake-ups.
  std::promise<void> settled;
  thread.loop().post([&] { settled.set_value(); });
  settled.get_future().wait();
  std::this_thread::sleep_for(20ms);
  std::promise<std::uint64_t> before;
  thread.loop().post([&] { before.set_value(thread.loop().wakeups()); });
  auto start = before.get_future().get();
  std::this_thread::sleep_for(200ms);
  std::promise<std::uint64_t> after;
  thread.loop().post([&] { after.set_value(thread.loop().wakeups()); });
  // The post itself wakes the loop once.
  CHECK(after.get_future().get() - start <= 1);
}

TEST_CASE("a task may post more work and add timers from inside the loop") {
  EventLoop loop;
  int steps = 0;
  loop.post([&] {
    ++steps;
    loop.post([&] {
      ++steps;
      loop.add_timer(1ms, [&] {
        ++steps;
        loop.stop();
      });
    });
  });
  loop.run();
  CHECK(steps == 3);
}
