// hello: join a presence channel through your app's auth endpoint, print chat messages and who
// comes and goes, whisper a greeting, and leave cleanly on Ctrl-C. Copy it and start from here.
//   hello [--host H] [--port P] [--key K] [--tls] [--auth-endpoint URL] [--bearer TOKEN]
//         [--once] [--exit-after SECONDS] [CHANNEL]
// Options fall back to PUSHER_HOST, PUSHER_PORT, PUSHER_KEY, PUSHER_TLS (1 or true),
// PUSHER_AUTH_ENDPOINT, PUSHER_BEARER and PUSHER_CHANNEL. CHANNEL is a presence channel
// (presence-lobby) or a room name (lobby, joined as presence-lobby, like Echo's join()).
// --once exits after the first message, --exit-after after that many seconds.
#include <pusher/pusher.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

// Set by the signal handler (and by --once); a lock-free atomic may be written in a handler.
static std::atomic<bool> stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

int main(int argc, char** argv) try {
  std::map<std::string, std::string> args;  // "--host" -> "example.test", "--tls" -> "1"
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tls" || arg == "--once") {
      args[arg] = "1";
    } else if (arg.rfind("--", 0) == 0 && i + 1 < argc) {
      args[arg] = argv[++i];
    } else if (arg.rfind("--", 0) == 0 || args.count("channel") != 0) {
      throw std::invalid_argument("unexpected argument " + arg + " (see the top of main.cpp)");
    } else {
      args["channel"] = arg;
    }
  }
  // The command line wins over the environment, which wins over the default.
  auto setting = [&](const char* arg, const char* env, const char* fallback) -> std::string {
    if (args.count(arg) != 0) return args[arg];
    const char* value = env != nullptr ? std::getenv(env) : nullptr;
    return value != nullptr && *value != '\0' ? value : fallback;
  };
  pusher::Options options;
  options.host = setting("--host", "PUSHER_HOST", "127.0.0.1");
  options.port = std::atoi(setting("--port", "PUSHER_PORT", "6001").c_str());
  options.key = setting("--key", "PUSHER_KEY", "app-key");
  const std::string tls = setting("--tls", "PUSHER_TLS", "0");
  options.tls = tls == "1" || tls == "true";
  options.auth.endpoint = setting("--auth-endpoint", "PUSHER_AUTH_ENDPOINT",
                                  "http://127.0.0.1:8000/broadcasting/auth");
  options.auth.bearer_token = setting("--bearer", "PUSHER_BEARER", "");  // Sanctum, Passport
  const std::string channel = setting("channel", "PUSHER_CHANNEL", "presence-lobby");
  const bool once = args.count("--once") != 0;
  const int exit_after = std::atoi(setting("--exit-after", nullptr, "0").c_str());

  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, even into a pipe
  std::signal(SIGINT, [](int) { stop = true; });
  std::signal(SIGTERM, [](int) { stop = true; });

  pusher::Manager manager(options);  // its destructor closes the connection (code 1000)
  // Callbacks run on the Manager's thread. Keep each Binding: dropping one unbinds.
  auto on_error = manager.on_error([](const pusher::Error& e) {
    std::fprintf(stderr, "error: %s: %s\n", pusher::to_string(e.code), e.message.c_str());
  });
  const bool full_name = channel.rfind("presence-", 0) == 0;  // else a room name, as join() takes
  auto room = full_name ? manager.subscribe(channel) : manager.join(channel);
  auto on_here = room.here([&room](const std::vector<pusher::Member>& members) {
    std::printf("subscribed to %s as user %s, %zu here\n", room.name().c_str(),
                room.me() ? room.me()->id.c_str() : "?", members.size());
  });
  auto on_join = room.joining([](const pusher::Member& m) {
    std::printf("joining: %s %s\n", m.id.c_str(), m.info.c_str());
  });
  auto on_leave = room.leaving([](const pusher::Member& m) {
    std::printf("leaving: %s\n", m.id.c_str());
  });
  auto on_message = room.bind_app_events([once](const pusher::AppEvent& app, const pusher::Event&) {
    if (const auto* m = std::get_if<pusher::MessageSent>(&app)) {
      std::printf("message from %s: %s\n", m->sender_name.c_str(), m->text.c_str());
      if (once) stop = true;
    }
  });
  room.whisper("hello", R"({"text":"hello from pusher-cpp"})");  // goes out once subscribed
  manager.connect();

  // A signal handler may only set the flag: main looks at it in short sleeps.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(exit_after);
  while (!stop && (exit_after <= 0 || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;  // the Bindings, then the Manager, are destroyed: no callback runs after this
} catch (const std::exception& e) {  // bad arguments, options or channel name
  std::fprintf(stderr, "hello: %s\n", e.what());
  return 2;
}
