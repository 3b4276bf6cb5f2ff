#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"

namespace pusher::test {

/// How to start soketi; the defaults match the Pusher app used by the tests.
struct SoketiOptions {
  std::string app_id = "app-id";
  std::string key = "app-key";
  std::string secret = "app-secret";
  int port = 0;  ///< 0 picks a free port
  bool client_events = true;
  bool user_authentication = false;
  int user_authentication_timeout_ms = 0;  ///< 0 keeps soketi's default
  std::string tls_cert, tls_key;           ///< both set: wss and https
  int shutdown_grace_period_ms = 100;
  /// Non-zero: soketi's Redis adapter (SOKETI_ADAPTER_DRIVER=redis) through the Redis server
  /// on redis_host:redis_port, so several soketi processes share their channels.
  int redis_port = 0;
  std::string redis_host = "127.0.0.1";
};

/// A soketi 1.6.1 server on 127.0.0.1, started from the interop folder's node_modules and
/// ready (GET /ready answered 200 by this very process) when the constructor returns.
///
/// @par Thread Safety
/// Not thread-safe; port() and options() may be read from any thread.
class SoketiServer {
 public:
  explicit SoketiServer(SoketiOptions options = {});
  ~SoketiServer();
  SoketiServer(const SoketiServer&) = delete;
  SoketiServer& operator=(const SoketiServer&) = delete;

  int port() const { return port_; }
  const SoketiOptions& options() const { return options_; }
  bool tls() const { return !options_.tls_cert.empty(); }
  /// "ws://127.0.0.1:PORT" or "wss://...".
  std::string ws_url() const;

  /// SIGKILL and reap: clients see the connection drop with no close frame.
  void kill_hard();
  /// SIGTERM and wait up to the deadline for exit: clients get 4200 first.
  void stop_graceful(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Starts again on the same port (stopping it hard first if running), waits until ready.
  void restart();
  bool running();
  /// soketi's output so far, for failure messages.
  std::string output() const;

  /// Triggers events through the HTTP API with the official server library (trigger.mjs):
  /// count events, data_json plus "seq" when count > 1. Returns the script's output.
  /// Throws std::runtime_error with the script's output on failure. It reads only what the
  /// constructor set, so one thread may trigger while another kills and restarts the server.
  std::string trigger(const std::string& channel, const std::string& event,
                      const std::string& data_json, int count = 1,
                      const std::string& socket_id = {},
                      const std::string& encryption_master_key = {});

 private:
  void start();
  void wait_ready();
  std::vector<std::pair<std::string, std::string>> environment() const;

  SoketiOptions options_;
  int port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

/// The WebSocket echo server of echo-server.mjs on 127.0.0.1 (an ephemeral port), with TLS
/// when a certificate and key are given. Commands it understands: see echo-server.mjs.
///
/// @par Thread Safety
/// Not thread-safe; port() may be read from any thread.
class EchoServer {
 public:
  explicit EchoServer(const std::string& tls_cert = {}, const std::string& tls_key = {});
  int port() const { return port_; }
  /// "ws://127.0.0.1:PORT" or "wss://...".
  std::string url() const;
  ChildProcess& process() { return *process_; }

 private:
  bool tls_ = false;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

/// test/interop/auth-server.mjs: a Laravel-shaped `/broadcasting/auth` endpoint for one app,
/// signing with the official `pusher` library. It picks the user by `Authorization: Bearer`:
/// tok-a is Alice (id 1), tok-b is Bob (id 2), any other token gets a 401; on channels whose
/// name holds `echo`, user_info carries the X-Test-* headers it received.
class AuthEndpoint {
 public:
  /// Starts it on a free loopback port; throws std::runtime_error when it does not come up.
  AuthEndpoint(const std::string& app_id, const std::string& key, const std::string& secret);
  explicit AuthEndpoint(const SoketiOptions& app) : AuthEndpoint(app.app_id, app.key, app.secret) {}
  /// `http://127.0.0.1:<port>/broadcasting/auth`.
  const std::string& url() const { return url_; }

 private:
  ChildProcess process_;
  std::string url_;
};

}  // namespace pusher::test
