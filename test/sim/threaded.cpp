// The simulator's threaded mode: the public calls of the random driver from several threads at
// once against a real loop thread, for ThreadSanitizer and AddressSanitizer to watch.
#include <pusher/auth.hpp>
#include <pusher/channel.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <mutex>
#include <thread>

#include "manager/manager_core.hpp"
#include "sim.hpp"

namespace pusher::sim {
namespace {

using namespace std::chrono_literals;
const char* const kNames[] = {"room", "private-room", "presence-room", "private-desk"};

struct Shared {
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::string> triggers;
  std::set<std::string> written;  // loop thread only
};

}  // namespace

RunResult run_threaded(std::uint64_t seed, int threads, double seconds) {
  RunResult result;
  detail::net::LoopThread thread;
  detail::net::EventLoop& loop = thread.loop();
  ModelServer server(Mode::soketi, loop, "app-key", "app-secret",
                     [&](const std::string& inv, const std::string& what) {
                       result.violations.push_back(Violation{inv, what, 0});
                     });
  Shared shared;
  std::vector<std::shared_ptr<detail::ManagerCore>> managers;
  std::vector<Binding> keep;
  for (int i = 0; i < 2; ++i) {
    Options o;
    o.key = "app-key";
    o.host = "127.0.0.1";
    o.port = 6001;
    o.tls = false;
    o.outbound_queue_limit = 20;
    o.client_events_per_second = 1000;
    std::string user = "user-" + std::to_string(i);
    o.authorizer = make_secret_authorizer("app-key", "app-secret", [user](const AuthRequest&) {
      return "{\"user_id\":\"" + user + "\"}";
    });
    auto ref = std::make_shared<detail::LoopRef>(loop);
    auto core = std::make_shared<detail::ManagerCore>(
        o, loop, ref,
        [&server, &shared, i](detail::net::WebSocketListener& listener) {
          auto t = std::make_unique<SimTransport>(server, listener, i);
          t->written = &shared.written;
          return t;
        },
        nullptr, seed + static_cast<std::uint64_t>(i) + 1);
    core->start();
    ref->call([&] {
      keep.emplace_back(core->error_handlers.add(ref, "", [&shared](const Error& e) {
        std::lock_guard<std::mutex> lock(shared.mutex);
        shared.errors.push_back(e.message);
        if (e.code == ErrorCode::internal_error || e.code == ErrorCode::callback_exception) {
          shared.errors.push_back("VIOLATION " + e.message);
        }
      }));
    });
    core->connect();
    managers.push_back(core);
  }
  // The server publishes and drops connections now and then, on the loop thread.
  std::atomic<bool> running{true};
  std::function<void()> tick;
  std::uint64_t server_state = seed;
  tick = [&] {
    if (!running) return;
    std::uint64_t r = (server_state = server_state * 6364136223846793005ULL + 1442695040888963407ULL) >> 33;
    server.publish(kNames[r % 4], "ev-a");
    if (r % 50 == 0) {
      for (Conn* c : server.conns()) {
        server.drop_tcp(*c);
        break;
      }
    }
    loop.add_timer(2ms, tick);
  };
  loop.post([&] { tick(); });

  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::atomic<int> counter{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::uint64_t state = seed * 1000 + static_cast<std::uint64_t>(t);
      std::vector<Binding> bindings;
      std::vector<std::string> mine;
      while (std::chrono::steady_clock::now() < deadline) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        std::uint64_t r = state >> 33;
        auto& m = managers[r % managers.size()];
        std::string name = kNames[(r >> 3) % 4];
        switch ((r >> 6) % 12) {
          case 0: case 1: m->subscribe(name); break;
          case 2: m->unsubscribe(name); break;
          case 3: case 4: {
            pusher::Channel ch(m->subscribe(name));
            bindings.push_back(ch.bind("ev-a", [](const Event&) {}));
            break;
          }
          case 5: if (!bindings.empty()) bindings.erase(bindings.begin() + static_cast<long>(r % bindings.size())); break;
          case 6: case 7: {
            if (name == "room") break;
            pusher::Channel ch(m->subscribe(name));
            std::string event = "client-x" + std::to_string(counter++);
            ch.trigger(event, "{}");
            mine.push_back(event);
            break;
          }
          case 8: m->connect(); break;
          case 9: if (r % 7 == 0) m->disconnect(); break;
          case 10: (void)m->history(); (void)m->state(); (void)m->socket_id(); break;
          default: {
            if (auto ch = m->find(name)) (void)pusher::Channel(ch).members();
            break;
          }
        }
      }
      std::lock_guard<std::mutex> lock(shared.mutex);
      shared.triggers.insert(shared.triggers.end(), mine.begin(), mine.end());
      result.steps_run += 0;
    });
  }
  for (auto& w : workers) w.join();
  result.steps_run = static_cast<std::size_t>(counter.load());
  // Settle: connect everything, let the queues drain, then account for every trigger.
  for (auto& m : managers) m->connect();
  std::this_thread::sleep_for(1500ms);
  loop.post([&] { running = false; });
  std::size_t queued = 0;
  std::set<std::string> written;
  for (auto& m : managers) {
    auto ref = m->loop_ref();
    ref->call([&] {
      queued += m->queued_client_events();
      written = shared.written;
    });
  }
  {
    std::lock_guard<std::mutex> lock(shared.mutex);
    std::size_t unresolved = 0;
    for (const auto& e : shared.errors) {
      if (e.rfind("VIOLATION", 0) == 0) result.violations.push_back(Violation{"I5", e, 0});
    }
    std::set<std::string> reported;
    for (const auto& e : shared.errors) {
      auto pos = e.find("client-x");
      if (pos == std::string::npos) continue;
      auto end = e.find_first_not_of("0123456789", pos + 8);
      reported.insert(e.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    }
    for (const auto& name : shared.triggers) {
      if (written.count(name) == 0 && reported.count(name) == 0) ++unresolved;
    }
    // Still waiting in a queue is allowed; anything beyond that was lost without a word.
    std::size_t allowed = queued + 2 * 20 * 4;
    if (unresolved > allowed) {
      result.violations.push_back(Violation{
          "I3", std::to_string(unresolved) + " client events neither sent nor reported (" +
                    std::to_string(queued) + " still queued)", 0});
    }
  }
  keep.clear();
  for (auto& m : managers) m->shutdown();  // as ~Manager does, from this (non-loop) thread
  managers.clear();
  thread.stop_and_join();
  return result;
}

}  // namespace pusher::sim
