// pusher-bench: many connections on one shared loop thread; latency, memory and CPU.
//
//   pusher-bench --url ws://HOST:PORT[/PATH] --key KEY --channel C --connections N --events M
//                [--timeout S] [--idle S] [--per-connection] [--max-connecting K]
//
// Opens N connections (N Managers on one pusher::SharedLoop), subscribes each to C, prints
// `{"ready":N}` once all are subscribed, then counts the events whose data is JSON with a
// numeric `t` (the send time, epoch milliseconds with a fraction, stamped by the publisher
// just before its HTTP call). When every connection got M events (or at --timeout) it prints
// one JSON line:
//
//   {"connections":N,"events":M,"delivered":D,"p50_us":..,"p90_us":..,"p99_us":..,
//    "max_us":..,"rss_kib":..,"rss_per_conn_kib":..,"cpu_us_per_event":..,...}
//
// Latency is from `t` to the callback. CPU is getrusage(RUSAGE_SELF) from ready to done;
// RSS is VmRSS; per connection it is (RSS - RSS once the loop existed, before the first
// connection) / N. More fields follow: `rss_base_kib`, `connect_ms` (start to ready),
// `elapsed_s` and `events_per_s` (ready to done), `timed_out`.
//
// With `--events 0` the connections stay idle for --idle S seconds (default 10) after ready
// (--timeout then bounds only the wait for ready);
// the line then also has `idle_s` and `idle_ctx_switches` (context switches of every thread
// of this process during the idle time, from /proc/self/task/*/status: each one is a wake-up)
// and `idle_wakeups_per_min`. Whenever all N are subscribed again after connections were lost
// it prints `{"resubscribed":N,"at_ms":EPOCH_MS}` (the reconnect benchmark); a connection
// lost prints `{"lost":K,"at_ms":EPOCH_MS}` once per outage. With --per-connection each
// connection whose channel is subscribed again after it was lost also prints
// `{"resubscribed_one":I,"at_ms":EPOCH_MS}` (I from 0; the outage benchmark takes the median).
// --max-connecting K sets the SharedLoop's LoopOptions::max_connecting (connects in flight at
// once; 0 for no limit; the library's default when not given).
// SIGINT or SIGTERM end the wait early and still print the final line.
//
// Exit codes: 0 done, 2 usage error, 3 the timeout came first (the line is still printed).
#include <pusher/pusher.hpp>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Args {
  pusher::Options options;
  std::string channel;
  long channels = 1;  // connection i subscribes to `channel` (1) or to `channel-(i % channels)`
  long connections = 1;
  long events = 0;
  double timeout = 60;
  double idle = 10;
  bool per_connection = false;
  pusher::LoopOptions loop;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "pusher-bench: " << problem << "\n"
            << "usage: pusher-bench --url ws://HOST:PORT[/PATH] --key KEY --channel C "
               "--connections N --events M [--channels C] [--timeout S] [--idle S] "
               "[--per-connection] [--max-connecting K]\n";
  std::exit(2);
}

// --url: pusher::Endpoint::parse takes it apart and says what is wrong with it.
void set_url(const std::string& url, pusher::Options& o) {
  std::string why;
  auto endpoint = pusher::Endpoint::parse(url, &why);
  if (!endpoint) usage("--url: " + why);  // not echoed: a query may hold a token
  o.set_endpoint(*endpoint);
}

std::string next_value(int& i, int argc, char** argv) {
  if (i + 1 >= argc) usage(std::string("missing value for ") + argv[i]);
  return argv[++i];
}

double to_number(const std::string& text, const char* what, double max) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !(value >= 0) || value > max) {
    usage(std::string("invalid ") + what + ": " + text);
  }
  return value;
}

Args parse(int argc, char** argv) {
  Args a;
  bool have_url = false;
  bool have_events = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--url") {
      set_url(next_value(i, argc, argv), a.options);
      have_url = true;
    } else if (arg == "--key") {
      a.options.key = next_value(i, argc, argv);
    } else if (arg == "--channel") {
      a.channel = next_value(i, argc, argv);
    } else if (arg == "--channels") {
      a.channels = static_cast<long>(to_number(next_value(i, argc, argv), "channels", 1e6));
    } else if (arg == "--connections") {
      a.connections = static_cast<long>(to_number(next_value(i, argc, argv), "connections", 1e6));
    } else if (arg == "--events") {
      a.events = static_cast<long>(to_number(next_value(i, argc, argv), "events", 1e9));
      have_events = true;
    } else if (arg == "--timeout") {
      a.timeout = to_number(next_value(i, argc, argv), "timeout", 86400);
    } else if (arg == "--idle") {
      a.idle = to_number(next_value(i, argc, argv), "idle", 86400);
    } else if (arg == "--per-connection") {
      a.per_connection = true;
    } else if (arg == "--max-connecting") {
      a.loop.max_connecting =
          static_cast<unsigned>(to_number(next_value(i, argc, argv), "max-connecting", 1e6));
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (!have_url) usage("--url is required");
  if (a.options.key.empty()) usage("--key is required");
  if (a.channel.empty()) usage("--channel is required");
  if (a.connections < 1) usage("--connections must be at least 1");
  if (a.channels < 1) usage("--channels must be at least 1");
  if (!have_events) usage("--events is required (0: hold the connections idle)");
  if (a.timeout <= 0) usage("--timeout must be positive");
  return a;
}

double epoch_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

/// VmRSS of this process in KiB.
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

/// Context switches (voluntary + involuntary) of every thread of this process so far.
long long context_switches() {
  long long total = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
        total += std::strtoll(line.c_str() + line.find(':') + 1, nullptr, 10);
      }
    }
  }
  closedir(dir);
  return total;
}

/// User + system CPU time of this process, in microseconds.
double cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

/// The numeric top-level `t` of the data, if there is one (a scan, not a JSON parse: the
/// publisher writes `t` as a plain number).
bool find_t(const std::string& data, double& t) {
  std::size_t at = data.find("\"t\":");
  if (at == std::string::npos) return false;
  const char* start = data.c_str() + at + 4;
  while (*start == ' ') ++start;
  char* end = nullptr;
  t = std::strtod(start, &end);
  return end != start;
}

void emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string number(double value, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

/// Everything the callbacks touch. They all run on the one shared loop thread; main() reads
/// under the mutex or after the connections are gone.
struct Shared {
  long connections = 0;
  long events = 0;
  bool per_connection = false;

  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;  // a signal asked to finish
  bool all_done = false;

  // Loop thread only.
  std::vector<char> subscribed;     // per connection
  std::vector<char> dropped;        // per connection: lost since ready, not subscribed again
  std::vector<long> counts;         // events with a `t`, per connection
  long subscribed_count = 0;
  long completed = 0;               // connections that got `events`
  bool ever_ready = false;
  bool lost_since_ready = false;
  std::vector<double> latencies_us;
  double ready_cpu_us = 0;
  double ready_at = 0;       // steady seconds
  double done_cpu_us = 0;
  double done_at = 0;
  std::atomic<bool> ready{false};
  std::atomic<bool> finishing{false};  // main() is closing the connections
  std::atomic<long> delivered{0};
  std::atomic<long> subscribed_now{0};  // subscribed_count, for main()
};

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void on_subscribed(Shared& s, long index) {
  if (s.subscribed[index] != 0) return;
  s.subscribed[index] = 1;
  s.subscribed_now.store(++s.subscribed_count);
  if (s.dropped[index] != 0) {
    s.dropped[index] = 0;
    if (s.per_connection) {
      emit("{\"resubscribed_one\":" + std::to_string(index) +
           ",\"at_ms\":" + number(epoch_ms(), 3) + "}");
    }
  }
  if (s.subscribed_count != s.connections) return;
  if (!s.ever_ready) {
    s.ever_ready = true;
    s.ready_cpu_us = cpu_us();
    s.ready_at = steady_seconds();
    emit("{\"ready\":" + std::to_string(s.connections) + "}");
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.ready.store(true);
    }
    s.cv.notify_all();
  } else if (s.lost_since_ready) {
    s.lost_since_ready = false;
    emit("{\"resubscribed\":" + std::to_string(s.connections) + ",\"at_ms\":" +
         number(epoch_ms(), 3) + "}");
  }
}

void on_lost(Shared& s, long index) {
  if (s.subscribed[index] == 0) return;
  s.subscribed[index] = 0;
  s.subscribed_now.store(--s.subscribed_count);
  if (s.ever_ready && !s.finishing.load()) s.dropped[index] = 1;
  if (s.ever_ready && !s.lost_since_ready && !s.finishing.load()) {
    s.lost_since_ready = true;
    emit("{\"lost\":" + std::to_string(s.connections - s.subscribed_count) + ",\"at_ms\":" +
         number(epoch_ms(), 3) + "}");
  }
}

void on_event(Shared& s, long index, const pusher::Event& e) {
  if (s.events == 0 || e.name.rfind("pusher", 0) == 0) return;
  double t = 0;
  if (!find_t(e.data, t)) return;
  const double latency_us = (epoch_ms() - t) * 1e3;
  if (s.counts[index] >= s.events) return;
  s.latencies_us.push_back(latency_us);
  s.delivered.fetch_add(1, std::memory_order_relaxed);
  if (++s.counts[index] == s.events && ++s.completed == s.connections) {
    s.done_cpu_us = cpu_us();
    s.done_at = steady_seconds();
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.all_done = true;
    }
    s.cv.notify_all();
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);

  // SIGINT/SIGTERM go to one waiting thread (started before any other, so every thread
  // inherits the mask): it only wakes for a signal.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto shared = std::make_shared<Shared>();
  Shared& s = *shared;
  s.connections = args.connections;
  s.events = args.events;
  s.per_connection = args.per_connection;
  s.subscribed.assign(static_cast<std::size_t>(args.connections), 0);
  s.dropped.assign(static_cast<std::size_t>(args.connections), 0);
  s.counts.assign(static_cast<std::size_t>(args.connections), 0);
  s.latencies_us.reserve(static_cast<std::size_t>(std::min<long long>(
      static_cast<long long>(args.connections) * args.events, 50'000'000)));

  std::thread signal_thread([shared, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      shared->stop = true;
    }
    shared->cv.notify_all();
  });
  signal_thread.detach();

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(args.timeout));
  auto loop = std::make_shared<pusher::SharedLoop>(args.loop);
  args.options.loop = loop;
  const long rss_base = rss_kib();

  std::vector<std::unique_ptr<pusher::Manager>> managers;
  managers.reserve(static_cast<std::size_t>(args.connections));
  for (long i = 0; i < args.connections; ++i) {
    auto manager = std::make_unique<pusher::Manager>(args.options);
    pusher::Channel channel = manager->subscribe(
        args.channels == 1 ? args.channel : args.channel + "-" + std::to_string(i % args.channels));
    // Released: each callback lives exactly as long as its Manager, which goes first.
    manager->on_state_change([shared, i](const pusher::StateChange& c) {
      if (c.current != pusher::ConnectionState::connected) on_lost(*shared, i);
    }).release();
    channel.bind("pusher:subscription_succeeded", [shared, i](const pusher::Event&) {
      on_subscribed(*shared, i);
    }).release();
    channel.bind_global([shared, i](const pusher::Event& e) { on_event(*shared, i, e); }).release();
    manager->connect();
    managers.push_back(std::move(manager));
  }

  bool timed_out = false;
  bool stopped = false;
  double connect_ms = 0;
  long long idle_switches = -1;
  double idle_s = 0;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    timed_out = !s.cv.wait_until(lock, deadline, [&] { return s.ready.load() || s.stop; });
    stopped = s.stop;
    if (s.ready.load()) {
      connect_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    if (!timed_out && !stopped) {
      if (args.events > 0) {
        timed_out = !s.cv.wait_until(lock, deadline, [&] { return s.all_done || s.stop; });
        stopped = s.stop && !s.all_done;
      } else {
        lock.unlock();
        const long long before = context_switches();
        const auto idle_start = std::chrono::steady_clock::now();
        lock.lock();
        s.cv.wait_for(lock, std::chrono::duration<double>(args.idle), [&] { return s.stop; });
        lock.unlock();
        idle_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_start).count();
        const long long after = context_switches();
        if (before >= 0 && after >= 0) idle_switches = after - before;
        lock.lock();
      }
    }
  }

  // Read the loop thread's figures on the loop thread's schedule: stop the counting first by
  // closing every connection, so nothing changes them while we read.
  const long rss = rss_kib();
  const long subscribed_at_end = s.subscribed_now.load();
  const double end_cpu = cpu_us();
  const double end_at = steady_seconds();
  s.finishing.store(true);
  for (auto& m : managers) m->disconnect();
  // Let the closes go out and be answered (bounded), so that the destructors find nothing
  // left to wait for: 10,000 connections otherwise take 10,000 close handshakes in turn.
  const auto close_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (auto& m : managers) {
    while (m->state() == pusher::ConnectionState::connected &&
           std::chrono::steady_clock::now() < close_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  managers.clear();  // no callback runs after this: the figures are ours to read
  loop.reset();

  const long delivered = s.delivered.load();
  std::vector<double> sorted = std::move(s.latencies_us);
  std::sort(sorted.begin(), sorted.end());
  const bool done = s.all_done;
  const double cpu_from = s.ready_cpu_us;
  const double cpu_to = done ? s.done_cpu_us : end_cpu;
  const double elapsed = s.ever_ready ? (done ? s.done_at : end_at) - s.ready_at : 0;
  const double per_conn = static_cast<double>(rss - rss_base) / static_cast<double>(args.connections);

  std::string line = "{\"connections\":" + std::to_string(args.connections) +
                     ",\"events\":" + std::to_string(args.events) +
                     ",\"delivered\":" + std::to_string(delivered) +
                     ",\"p50_us\":" + number(percentile(sorted, 50)) +
                     ",\"p90_us\":" + number(percentile(sorted, 90)) +
                     ",\"p99_us\":" + number(percentile(sorted, 99)) +
                     ",\"max_us\":" + number(sorted.empty() ? 0 : sorted.back()) +
                     ",\"rss_kib\":" + std::to_string(rss) +
                     ",\"rss_per_conn_kib\":" + number(per_conn, 2) +
                     ",\"cpu_us_per_event\":" +
                     number(delivered > 0 ? (cpu_to - cpu_from) / static_cast<double>(delivered) : 0, 3) +
                     ",\"rss_base_kib\":" + std::to_string(rss_base) +
                     ",\"subscribed\":" + std::to_string(subscribed_at_end) +
                     ",\"connect_ms\":" + number(connect_ms, 1) +
                     ",\"elapsed_s\":" + number(elapsed, 3) +
                     ",\"events_per_s\":" + number(elapsed > 0 ? static_cast<double>(delivered) / elapsed : 0) +
                     ",\"timed_out\":" + (timed_out ? "true" : "false") +
                     ",\"stopped\":" + (stopped ? "true" : "false");
  if (args.events == 0 && idle_s > 0) {
    line += ",\"idle_s\":" + number(idle_s, 3) + ",\"idle_ctx_switches\":" +
            std::to_string(idle_switches) + ",\"idle_wakeups_per_min\":" +
            number(static_cast<double>(idle_switches) * 60.0 / idle_s, 1);
  }
  line += "}";
  emit(line);
  return timed_out ? 3 : 0;
}
