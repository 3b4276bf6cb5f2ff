#pragma once

// A fault-injecting TCP proxy for the network-fault tests (issue 7).
//
// It listens on 127.0.0.1 (an ephemeral port) and forwards every connection it accepts to
// 127.0.0.1:<upstream port> (soketi). Faults can be switched on and off at any time:
//
//   - reset_all(): every open connection is reset now (RST to both sides: SO_LINGER 0);
//   - cut_next_download(n): the next server->client chunk longer than n bytes is forwarded
//     up to n bytes only (a frame cut in the middle), then every connection is reset;
//   - half_open(): the connections open now stop forwarding in both directions, silently,
//     and their sockets stay open (a NAT that forgot them); later connections are normal;
//   - set_latency(d): every chunk read from now on is held d before it is forwarded, both ways;
//   - set_bandwidth(b): each direction of each connection forwards at most b bytes a second;
//   - set_refusing(true): new connections are reset as soon as they are accepted;
//   - pass_through(): no latency, no bandwidth cap, no refusing (frozen connections stay so).
//
// One thread does everything with poll(), waking at least every 10 ms. Everything is bounded:
// the connections (past kMaxConnections they are reset at once), the bytes held per direction
// (reading stops while kMaxHeld are waiting), every wait of the API (a deadline). The
// destructor stops and joins the thread and closes every socket.
//
// Thread safety: every member may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

namespace pusher::test::faults {

using Millis = std::chrono::milliseconds;

class FaultProxy {
 public:
  /// Connections open at once; more are reset on accept.
  static constexpr std::size_t kMaxConnections = 64;
  /// Bytes held per direction of a connection before the proxy stops reading that side.
  static constexpr std::size_t kMaxHeld = 256 * 1024;

  /// Listens and starts forwarding to 127.0.0.1:upstream_port. Throws std::runtime_error.
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// The port to connect to, on 127.0.0.1.
  int port() const { return port_; }

  /// Clears latency, bandwidth cap and refusing. Connections frozen by half_open() stay frozen.
  void pass_through();
  /// Holds every chunk read from now on for `delay` before forwarding it (both ways).
  void set_latency(Millis delay);
  /// At most bytes_per_second per direction of each connection; 0 lifts the cap.
  void set_bandwidth(std::size_t bytes_per_second);
  /// New connections are reset at once while on (the server looks unreachable).
  void set_refusing(bool on);

  /// Resets every open connection, both sides, and returns once done (false at the 5 s deadline).
  bool reset_all();
  /// The next server->client chunk longer than `after` bytes is cut after `after` bytes; those
  /// are forwarded, then every connection is reset.
  void cut_next_download(std::size_t after);
  /// True once an armed cut happened.
  bool wait_cut(Millis timeout);
  /// Freezes the connections open now: nothing more is read or written on them, both sides
  /// stay open. Returns how many were frozen.
  std::size_t half_open();

  /// Connections accepted so far (refused ones included).
  std::size_t accepted() const { return accepted_.load(); }
  /// Connections being forwarded now (frozen ones excluded).
  std::size_t forwarding() const { return forwarding_.load(); }
  /// Bytes forwarded server->client and client->server so far.
  std::uint64_t bytes_down() const { return bytes_down_.load(); }
  std::uint64_t bytes_up() const { return bytes_up_.load(); }

 private:
  void run();
  // Makes the proxy thread look at the settings and requests now.
  void wake();

  int port_ = 0;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;

  std::mutex mutex_;
  std::condition_variable changed_;
  // Settings and requests, under mutex_.
  Millis latency_{0};
  std::size_t bandwidth_ = 0;
  bool refusing_ = false;
  std::uint64_t reset_requested_ = 0;
  std::uint64_t reset_done_ = 0;
  std::uint64_t freeze_requested_ = 0;
  std::uint64_t freeze_done_ = 0;
  std::size_t frozen_last_ = 0;
  bool cut_armed_ = false;
  std::size_t cut_after_ = 0;
  bool cut_happened_ = false;

  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> forwarding_{0};
  std::atomic<std::uint64_t> bytes_down_{0};
  std::atomic<std::uint64_t> bytes_up_{0};

  int upstream_port_ = 0;
  std::thread thread_;
};

}  // namespace pusher::test::faults
