// Micro benchmarks of the receive path on Laravel-style `App\Events\MessageSent` messages
// (bench/data/message_sent.jsonl: 20 messages of ~320 bytes with UTF-8 chat text).
//
//   build-bench/bench/bench_micro [--benchmark_filter=REGEX] [--benchmark_min_time=S]
//
// Besides Google Benchmark's table it prints a summary against the targets of issue 8 and
// one line `BENCH_SUMMARY {json}` for bench/compare. Compare with the same frames in Node:
// `node test/interop/bench/decode.mjs` (what pusher-js does per message).
#include <benchmark/benchmark.h>

#include <pusher/app_events.hpp>
#include <pusher/channel.hpp>
#include <pusher/event.hpp>
#include <pusher/options.hpp>

#include <rapidjson/allocators.h>
#include <rapidjson/document.h>

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fake_transport.hpp"
#include "manager/manager_core.hpp"
#include "manual_scheduler.hpp"
#include "net/event_loop.hpp"
#include "protocol/message.hpp"
#include "ws/frame.hpp"

namespace {

namespace detail = pusher::detail;
namespace protocol = pusher::detail::protocol;
namespace ws = pusher::detail::ws;

constexpr const char* kEventName = "App\\Events\\MessageSent";

/// A DOM whose values and parse stack live in caller-provided buffers: no heap at all.
using PoolDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                                rapidjson::MemoryPoolAllocator<>>;
constexpr std::size_t kStackCapacity = 256;  // parse stack; the frames nest 3 deep

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// The committed messages, one per line, read once.
const std::vector<std::string>& messages() {
  static const std::vector<std::string> lines = [] {
    std::ifstream in(PUSHER_BENCH_DATA);
    if (!in) throw std::runtime_error(std::string("cannot read ") + PUSHER_BENCH_DATA);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) out.push_back(line);
    }
    if (out.empty()) throw std::runtime_error(std::string("no messages in ") + PUSHER_BENCH_DATA);
    return out;
  }();
  return lines;
}

/// The channels the messages are on (chat.1 .. chat.5).
std::vector<std::string> channels_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    auto decoded = protocol::decode(line);
    auto* inbound = std::get_if<protocol::Inbound>(&decoded);
    auto* event = inbound != nullptr ? std::get_if<protocol::ChannelEvent>(inbound) : nullptr;
    if (event == nullptr) throw std::runtime_error("a bench message is not a channel event");
    bool known = false;
    for (const auto& c : out) known = known || c == event->channel;
    if (!known) out.push_back(event->channel);
  }
  return out;
}

/// Appends an unmasked server text frame (RFC 6455 §5.2).
void append_server_frame(std::string_view payload, std::string& out) {
  out.push_back(static_cast<char>(0x81));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(payload);
}

/// `count` frames, cycling through the messages.
std::string wire_of(std::size_t count) {
  const auto& lines = messages();
  std::string wire;
  for (std::size_t i = 0; i < count; ++i) append_server_frame(lines[i % lines.size()], wire);
  return wire;
}

/// The messages as the Manager hands them to callbacks.
std::vector<pusher::Event> events_of(const std::vector<std::string>& lines) {
  std::vector<pusher::Event> out;
  for (const auto& line : lines) {
    auto decoded = protocol::decode(line);
    auto& m = std::get<protocol::ChannelEvent>(std::get<protocol::Inbound>(decoded));
    pusher::Event e;
    e.channel = m.channel;
    e.name = m.event;
    e.data = m.data;
    out.push_back(std::move(e));
  }
  return out;
}

class CountingSink final : public ws::FrameSink {
 public:
  void on_text(std::string_view message) override {
    ++texts;
    bytes += message.size();
  }
  void on_binary(std::string_view) override {}
  void on_ping(std::string_view) override {}
  void on_pong(std::string_view) override {}
  void on_close(std::uint16_t, std::string_view) override {}
  std::uint64_t texts = 0;
  std::uint64_t bytes = 0;
};

// ---------------------------------------------------------------------------------------
// WebSocket frame decode: ws::FrameDecoder over 1,024 frames, fed in reads of `chunk` bytes
// (64 KiB is the loop's read buffer; a huge chunk is one read holding every frame).

void BM_WsFrameDecode(benchmark::State& state) {
  constexpr std::size_t kFrames = 1024;
  const std::string wire = wire_of(kFrames);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  ws::FrameDecoder decoder(1u << 20);
  CountingSink sink;
  for (auto _ : state) {
    for (std::size_t off = 0; off < wire.size(); off += chunk) {
      if (!decoder.feed(std::string_view(wire).substr(off, chunk), sink)) {
        state.SkipWithError(decoder.error().message.c_str());
        return;
      }
    }
  }
  if (sink.texts != kFrames * static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("frames lost");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(wire.size()) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(kFrames) * state.iterations());
}
BENCHMARK(BM_WsFrameDecode)->ArgName("chunk")->Arg(64 * 1024)->Arg(1 << 30);

// ---------------------------------------------------------------------------------------
// Pusher envelope decode alone: protocol::decode, one message per call.

void BM_ProtocolDecode(benchmark::State& state) {
  const auto& lines = messages();
  std::size_t i = 0;
  for (auto _ : state) {
    auto decoded = protocol::decode(lines[i]);
    benchmark::DoNotOptimize(decoded);
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProtocolDecode);

// The same into one Inbound that is used again, as the Service decodes: the strings keep
// their capacity from one message to the next.
void BM_ProtocolDecodeInto(benchmark::State& state) {
  const auto& lines = messages();
  protocol::Inbound inbound;
  protocol::DecodeFailure failure;
  std::size_t i = 0;
  for (auto _ : state) {
    if (!protocol::decode(lines[i], inbound, failure)) {
      state.SkipWithError(failure.message.c_str());
      return;
    }
    benchmark::DoNotOptimize(inbound);
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProtocolDecodeInto);

// ---------------------------------------------------------------------------------------
// Decode + dispatch through the real Manager: a ManagerCore on a loop thread, its Service
// connected to the unit tests' fake transport, 5 channels each with a callback bound to
// `App\Events\MessageSent` through the public Channel::bind. Each benchmark iteration runs
// a batch of messages through Service::on_text on the loop thread (one post per batch),
// timed by that thread's CPU clock.

class ManagerHarness {
 public:
  explicit ManagerHarness(std::size_t history_capacity) {
    pusher::Options options;
    options.key = "app-key";
    options.host = "127.0.0.1";
    options.port = 6001;
    options.tls = false;
    options.history_capacity = history_capacity;
    core_ = std::make_shared<detail::ManagerCore>(
        options, thread_.loop(), ref_,
        [this](detail::net::WebSocketListener& listener) {
          return std::make_unique<pusher::test::FakeTransport>(server_, listener);
        },
        &clock_);
    for (const auto& name : channels_of(messages())) {
      pusher::Channel channel(core_->subscribe(name));
      bindings_.push_back(channel.bind(kEventName, [this](const pusher::Event& e) {
        ++delivered;
        benchmark::DoNotOptimize(e.data.data());
      }));
    }
    core_->connect();
    ok_ = ref_->call([this] {
      server_.establish("1.1");
      for (const auto& name : channels_of(messages())) {
        server_.message(R"({"event":"pusher_internal:subscription_succeeded","channel":")" + name +
                        R"(","data":"{}"})");
      }
    });
  }
  ~ManagerHarness() {
    bindings_.clear();
    ref_->shut();
    thread_.stop_and_join();
  }
  ManagerHarness(const ManagerHarness&) = delete;
  ManagerHarness& operator=(const ManagerHarness&) = delete;

  bool ok() const { return ok_ && core_->state() == pusher::ConnectionState::connected; }
  /// Runs `fn` on the loop thread and waits.
  template <typename Fn>
  bool on_loop(Fn&& fn) {
    return ref_->call(std::forward<Fn>(fn), std::chrono::seconds(60));
  }
  /// Runs `fn` on the loop thread and returns the CPU seconds the loop thread spent in it
  /// (robust to other processes sharing the cores, unlike wall time); -1 on a timeout.
  template <typename Fn>
  double timed_on_loop(Fn&& fn) {
    double seconds = -1;
    on_loop([&] {
      const double start = thread_cpu_seconds();
      fn();
      seconds = thread_cpu_seconds() - start;
    });
    return seconds;
  }
  /// Plays the server: one text message into the Service (loop thread only).
  void message(std::string_view text) { server_.listener->on_text(text); }

  std::uint64_t delivered = 0;  // loop thread

 private:
  detail::net::LoopThread thread_;
  std::shared_ptr<detail::LoopRef> ref_ = std::make_shared<detail::LoopRef>(thread_.loop());
  pusher::test::ManualScheduler clock_;
  pusher::test::FakeServerSide server_;
  std::shared_ptr<detail::ManagerCore> core_;
  std::vector<pusher::Binding> bindings_;
  bool ok_ = false;
};

constexpr std::size_t kBatch = 2000;

void BM_DecodeDispatch(benchmark::State& state) {
  ManagerHarness harness(static_cast<std::size_t>(state.range(0)));
  if (!harness.ok()) {
    state.SkipWithError("the Manager did not connect to the fake transport");
    return;
  }
  const auto& lines = messages();
  for (auto _ : state) {
    state.SetIterationTime(harness.timed_on_loop([&] {
      for (std::size_t k = 0; k < kBatch; ++k) harness.message(lines[k % lines.size()]);
    }));
  }
  const auto expected = kBatch * static_cast<std::uint64_t>(state.iterations());
  std::uint64_t delivered = 0;
  harness.on_loop([&] { delivered = harness.delivered; });
  if (delivered != expected) state.SkipWithError("events lost between decode and callback");
  state.SetItemsProcessed(static_cast<std::int64_t>(expected));
}
// history is Options::history_capacity: 100 (the default) keeps a copy of every event.
// Timed by the loop thread's CPU clock (the benchmark thread only waits for it).
BENCHMARK(BM_DecodeDispatch)->ArgName("history")->Arg(100)->Arg(0)->UseManualTime();

// The whole receive path short of the socket: 64 KiB reads of frames -> FrameDecoder ->
// Service::on_text -> protocol::decode -> Manager dispatch -> the bound callback.
class ServiceSink final : public ws::FrameSink {
 public:
  explicit ServiceSink(ManagerHarness& harness) : harness_(harness) {}
  void on_text(std::string_view message) override { harness_.message(message); }
  void on_binary(std::string_view) override {}
  void on_ping(std::string_view) override {}
  void on_pong(std::string_view) override {}
  void on_close(std::uint16_t, std::string_view) override {}

 private:
  ManagerHarness& harness_;
};

void BM_FramesToCallback(benchmark::State& state) {
  ManagerHarness harness(100);
  if (!harness.ok()) {
    state.SkipWithError("the Manager did not connect to the fake transport");
    return;
  }
  const std::string wire = wire_of(kBatch);
  constexpr std::size_t kChunk = 64 * 1024;
  ws::FrameDecoder decoder(1u << 20);
  ServiceSink sink(harness);
  for (auto _ : state) {
    state.SetIterationTime(harness.timed_on_loop([&] {
      for (std::size_t off = 0; off < wire.size(); off += kChunk) {
        decoder.feed(std::string_view(wire).substr(off, kChunk), sink);
      }
    }));
  }
  const auto expected = kBatch * static_cast<std::uint64_t>(state.iterations());
  std::uint64_t delivered = 0;
  harness.on_loop([&] { delivered = harness.delivered; });
  if (delivered != expected) state.SkipWithError("events lost between frames and callback");
  state.SetItemsProcessed(static_cast<std::int64_t>(expected));
  state.SetBytesProcessed(static_cast<std::int64_t>(wire.size()) * state.iterations());
}
BENCHMARK(BM_FramesToCallback)->UseManualTime();

// ---------------------------------------------------------------------------------------
// Typed decode: pusher::decode_app_event to MessageSent, from the Event a callback gets
// (data already unescaped), and from the raw message (protocol::decode first).

void BM_TypedDecode(benchmark::State& state) {
  const auto events = events_of(messages());
  for (const auto& e : events) {
    if (!std::holds_alternative<pusher::MessageSent>(pusher::decode_app_event(e))) {
      state.SkipWithError("a bench message does not decode to MessageSent");
      return;
    }
  }
  const pusher::EventNames names;
  std::size_t i = 0;
  for (auto _ : state) {
    pusher::AppEvent app = pusher::decode_app_event(events[i], names);
    benchmark::DoNotOptimize(app);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TypedDecode);

void BM_TypedDecodeFromMessage(benchmark::State& state) {
  const auto& lines = messages();
  const pusher::EventNames names;
  std::size_t i = 0;
  std::uint64_t typed = 0;
  for (auto _ : state) {
    auto decoded = protocol::decode(lines[i]);
    auto& m = std::get<protocol::ChannelEvent>(std::get<protocol::Inbound>(decoded));
    pusher::Event event;
    event.channel = std::move(m.channel);
    event.name = std::move(m.event);
    event.data = std::move(m.data);
    pusher::AppEvent app = pusher::decode_app_event(event, names);
    typed += std::holds_alternative<pusher::MessageSent>(app) ? 1 : 0;
    benchmark::DoNotOptimize(app);
    if (++i == lines.size()) i = 0;
  }
  if (typed != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("not MessageSent");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TypedDecodeFromMessage);

// ---------------------------------------------------------------------------------------
// The reference: bare RapidJSON, in situ, into a DOM on stack buffers (no heap), of the
// envelope and then of the data string (unescaped in place by the first parse). No field is
// read or copied: the floor any DOM-based decoder stands on. JSON.parse of both in Node is
// what pusher-js does per message.

void BM_BareRapidJsonInsitu(benchmark::State& state) {
  const auto& lines = messages();
  std::string buffer;
  buffer.reserve(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    buffer.assign(lines[i]);  // in situ parsing writes into its input: a copy, as decode() makes
    char value_buffer[8192];
    char stack_buffer[1024];
    char data_stack_buffer[1024];
    rapidjson::MemoryPoolAllocator<> values(value_buffer, sizeof value_buffer);
    rapidjson::MemoryPoolAllocator<> stack(stack_buffer, sizeof stack_buffer);
    rapidjson::MemoryPoolAllocator<> data_stack(data_stack_buffer, sizeof data_stack_buffer);
    PoolDocument envelope(&values, kStackCapacity, &stack);
    envelope.ParseInsitu(buffer.data());
    auto data = envelope.FindMember("data");
    if (envelope.HasParseError() || data == envelope.MemberEnd() || !data->value.IsString()) {
      state.SkipWithError("envelope");
      return;
    }
    PoolDocument payload(&values, kStackCapacity, &data_stack);
    payload.ParseInsitu(const_cast<char*>(data->value.GetString()));
    if (payload.HasParseError() || !payload.IsObject()) {
      state.SkipWithError("data");
      return;
    }
    benchmark::DoNotOptimize(payload.MemberCount());
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareRapidJsonInsitu);

// Only the data's parse, from the Event (the same input BM_TypedDecode gets).
void BM_BareRapidJsonDataOnly(benchmark::State& state) {
  const auto events = events_of(messages());
  std::string buffer;
  buffer.reserve(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    buffer.assign(events[i].data);
    char value_buffer[8192];
    char stack_buffer[1024];
    rapidjson::MemoryPoolAllocator<> values(value_buffer, sizeof value_buffer);
    rapidjson::MemoryPoolAllocator<> stack(stack_buffer, sizeof stack_buffer);
    PoolDocument payload(&values, kStackCapacity, &stack);
    payload.ParseInsitu(buffer.data());
    benchmark::DoNotOptimize(payload.IsObject());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareRapidJsonDataOnly);

// ---------------------------------------------------------------------------------------
// The summary: the console table, then the figures against issue 8's targets.

class SummaryReporter final : public benchmark::ConsoleReporter {
 public:
  SummaryReporter()
      : ConsoleReporter(isatty(STDOUT_FILENO) != 0 ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      // With --benchmark_repetitions, keep the median; else the single run.
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      std::string name = run.run_name.str();
      if (!aggregate && medians_.count(name) != 0) continue;
      if (aggregate) medians_[name] = true;
      Figures& f = figures_[name];
      auto items = run.counters.find("items_per_second");
      if (items != run.counters.end()) f.items_per_second = items->second.value;
      auto bytes = run.counters.find("bytes_per_second");
      if (bytes != run.counters.end()) f.bytes_per_second = bytes->second.value;
    }
  }

  void print_summary() const {
    const double frame_mb = bytes("BM_WsFrameDecode/chunk:65536") / 1e6;
    const double frame_mb_one = bytes("BM_WsFrameDecode/chunk:1073741824") / 1e6;
    const double protocol = items("BM_ProtocolDecode");
    const double dispatch = items("BM_DecodeDispatch/history:100/manual_time");
    const double dispatch_no_history = items("BM_DecodeDispatch/history:0/manual_time");
    const double full = items("BM_FramesToCallback/manual_time");
    const double typed = items("BM_TypedDecode");
    const double typed_full = items("BM_TypedDecodeFromMessage");
    const double bare = items("BM_BareRapidJsonInsitu");
    const double bare_data = items("BM_BareRapidJsonDataOnly");
    // Time per event, typed over bare: 1.0 is as fast as the reference, 1.3 is 30% slower.
    const double ratio = typed_full > 0 && bare > 0 ? bare / typed_full : 0;
    const double ratio_data = typed > 0 && bare_data > 0 ? bare_data / typed : 0;
    std::printf("\nsummary (single core, %zu messages of ~%zu bytes)\n", messages().size(),
                average_size());
    std::printf("  frame decode            %8.0f MB/s in 64 KiB reads, %.0f MB/s in one read\n",
                frame_mb, frame_mb_one);
    std::printf("  protocol::decode        %8.3f M msg/s\n", protocol / 1e6);
    std::printf("  decode + dispatch       %8.3f M events/s (history 100), %.3f M (history 0);"
                " target >= 4 M\n", dispatch / 1e6, dispatch_no_history / 1e6);
    std::printf("  frames -> callback      %8.3f M events/s\n", full / 1e6);
    std::printf("  typed, message -> MessageSent %6.3f M/s; bare RapidJSON in situ (envelope +"
                " data) %.3f M/s;\n    typed/bare time ratio %.2f (target <= 1.30)\n",
                typed_full / 1e6, bare / 1e6, ratio);
    std::printf("  typed, Event -> MessageSent   %6.3f M/s; bare data-only DOM %.3f M/s; ratio"
                " %.2f\n", typed / 1e6, bare_data / 1e6, ratio_data);
    std::printf("BENCH_SUMMARY {\"frame_decode_mb_s\":%.1f,\"frame_decode_one_read_mb_s\":%.1f,"
                "\"protocol_decode_per_s\":%.0f,\"decode_dispatch_per_s\":%.0f,"
                "\"decode_dispatch_no_history_per_s\":%.0f,\"frames_to_callback_per_s\":%.0f,"
                "\"typed_per_s\":%.0f,\"typed_from_message_per_s\":%.0f,\"bare_insitu_per_s\":%.0f,"
                "\"bare_data_only_per_s\":%.0f,\"typed_over_bare\":%.3f,"
                "\"typed_over_bare_data_only\":%.3f}\n",
                frame_mb, frame_mb_one, protocol, dispatch, dispatch_no_history, full, typed,
                typed_full, bare, bare_data, ratio, ratio_data);
    std::fflush(stdout);
  }

 private:
  struct Figures {
    double items_per_second = 0;
    double bytes_per_second = 0;
  };
  double items(const std::string& name) const {
    auto it = figures_.find(name);
    return it == figures_.end() ? 0 : it->second.items_per_second;
  }
  double bytes(const std::string& name) const {
    auto it = figures_.find(name);
    return it == figures_.end() ? 0 : it->second.bytes_per_second;
  }
  static std::size_t average_size() {
    std::size_t total = 0;
    for (const auto& m : messages()) total += m.size();
    return total / messages().size();
  }
  std::map<std::string, Figures> figures_;
  std::map<std::string, bool> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    (void)messages();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_micro: %s\n", e.what());
    return 1;
  }
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
