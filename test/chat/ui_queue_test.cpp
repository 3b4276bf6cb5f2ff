#include "ui_queue.hpp"

#include <doctest/doctest.h>

#include <poll.h>

#include <thread>
#include <vector>

TEST_CASE("tasks posted from another thread wake the fd and run in order") {
  chat::UiQueue queue;
  pollfd idle{queue.fd(), POLLIN, 0};
  CHECK(::poll(&idle, 1, 0) == 0);

  std::vector<int> seen;
  std::thread producer([&] {
    for (int i = 0; i < 3; ++i) queue.post([&seen, i] { seen.push_back(i); });
  });
  producer.join();

  pollfd ready{queue.fd(), POLLIN, 0};
  CHECK(::poll(&ready, 1, 1000) == 1);
  for (auto& task : queue.drain()) task();
  CHECK(seen == std::vector<int>{0, 1, 2});
  pollfd drained{queue.fd(), POLLIN, 0};
  CHECK(::poll(&drained, 1, 0) == 0);
  CHECK(queue.drain().empty());
}
