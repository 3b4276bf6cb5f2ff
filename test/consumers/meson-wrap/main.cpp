// A program that takes pusher-cpp through a Meson wrap (dependency('pusher')).
// It subscribes to one channel, prints READY once subscribed, then prints the first
// application event and exits 0; without one within 20 s it exits 1. The server and app come
// from PUSHER_TEST_HOST, PUSHER_TEST_PORT, PUSHER_TEST_KEY and PUSHER_TEST_CHANNEL (ws://).
#include <pusher/pusher.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int main() {
  pusher::Options options;
  options.key = env_or("PUSHER_TEST_KEY", "app-key");
  options.host = env_or("PUSHER_TEST_HOST", "127.0.0.1");
  options.port = std::atoi(env_or("PUSHER_TEST_PORT", "6001").c_str());
  options.tls = false;
  pusher::Manager manager(options);

  std::mutex mutex;
  std::condition_variable received;
  bool done = false;
  pusher::Event event;

  auto on_error = manager.on_error([](const pusher::Error& e) {
    std::fprintf(stderr, "error %s: %s\n", pusher::to_string(e.code), e.message.c_str());
  });
  pusher::Channel channel = manager.subscribe(env_or("PUSHER_TEST_CHANNEL", "consumers"));
  auto on_ready = channel.bind("pusher:subscription_succeeded", [](const pusher::Event&) {
    std::printf("READY\n");
    std::fflush(stdout);
  });
  auto on_event = channel.bind_global([&](const pusher::Event& e) {
    if (e.name.rfind("pusher:", 0) == 0) return;  // channel notices
    std::lock_guard<std::mutex> lock(mutex);
    if (!done) event = e;
    done = true;
    received.notify_all();
  });
  manager.connect();

  std::unique_lock<std::mutex> lock(mutex);
  if (!received.wait_for(lock, std::chrono::seconds(20), [&] { return done; })) {
    std::printf("TIMEOUT\n");
    return 1;
  }
  std::printf("EVENT %s %s %s\n", event.channel.c_str(), event.name.c_str(), event.data.c_str());
  return 0;
}
