#include "servers.hpp"

#include <signal.h>

#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "environment.hpp"
#include "loopback.hpp"

namespace pusher::test {
namespace {

constexpr auto kReadyDeadline = std::chrono::seconds(30);
constexpr auto kProbeTimeout = std::chrono::milliseconds(1000);
constexpr auto kPollStep = std::chrono::milliseconds(20);
constexpr int kPortAttempts = 3;
// soketi prints this from its listen callback, whether the listen worked or not.
constexpr const char* kListenDone = "Server is up and running";

// Thrown when another process holds the port soketi was given.
struct PortTaken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string flag(bool value) {
  return value ? "true" : "false";
}

std::string tail_of(const std::string& output) {
  return output.empty() ? "(no output)" : output;
}

}  // namespace

SoketiServer::SoketiServer(SoketiOptions options) : options_(std::move(options)) {
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    throw std::invalid_argument("SoketiOptions: set both tls_cert and tls_key, or neither");
  }
  for (int attempt = 1;; ++attempt) {
    port_ = options_.port != 0 ? options_.port : free_port();
    do {
      metrics_port_ = free_port();
    } while (metrics_port_ == port_);
    try {
      start();
      return;
    } catch (const PortTaken&) {
      // A free port can be taken between free_port() and soketi's listen: pick another.
      if (options_.port != 0 || attempt == kPortAttempts) throw;
    }
  }
}

SoketiServer::~SoketiServer() = default;

std::string SoketiServer::ws_url() const {
  return std::string(tls() ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_);
}

std::vector<std::pair<std::string, std::string>> SoketiServer::environment() const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"SOKETI_HOST", "127.0.0.1"},
      {"SOKETI_PORT", std::to_string(port_)},
      // soketi always opens a second listener for /usage and metrics.
      {"SOKETI_METRICS_HOST", "127.0.0.1"},
      {"SOKETI_METRICS_SERVER_PORT", std::to_string(metrics_port_)},
      {"SOKETI_METRICS_ENABLED", "false"},
      {"SOKETI_DEFAULT_APP_ID", options_.app_id},
      {"SOKETI_DEFAULT_APP_KEY", options_.key},
      {"SOKETI_DEFAULT_APP_SECRET", options_.secret},
      {"SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES", flag(options_.client_events)},
      {"SOKETI_DEFAULT_APP_USER_AUTHENTICATION", flag(options_.user_authentication)},
      {"SOKETI_SHUTDOWN_GRACE_PERIOD", std::to_string(options_.shutdown_grace_period_ms)},
      {"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE", "1"},
  };
  if (options_.user_authentication_timeout_ms > 0) {
    env.emplace_back("SOKETI_USER_AUTHENTICATION_TIMEOUT",
                     std::to_string(options_.user_authentication_timeout_ms));
  }
  if (options_.redis_port != 0) {
    env.emplace_back("SOKETI_ADAPTER_DRIVER", "redis");
    env.emplace_back("SOKETI_DB_REDIS_HOST", options_.redis_host);
    env.emplace_back("SOKETI_DB_REDIS_PORT", std::to_string(options_.redis_port));
  }
  if (tls()) {
    env.emplace_back("SOKETI_SSL_CERT", options_.tls_cert);
    env.emplace_back("SOKETI_SSL_KEY", options_.tls_key);
  }
  return env;
}

void SoketiServer::start() {
  const std::string dir = interop_dir();
  // cwd is the interop folder: soketi loads a .env from its working directory. The preload
  // makes it exit when our stdin pipe closes, so it never outlives a crashed test.
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{node_binary(), "--import", dir + "/exit-with-parent.mjs",
                               dir + "/node_modules/@soketi/soketi/bin/server.js", "start"},
      environment(), dir);
  wait_ready();
}

void SoketiServer::wait_ready() {
  const std::string where = "127.0.0.1:" + std::to_string(port_);
  const auto deadline = std::chrono::steady_clock::now() + kReadyDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) {
      throw std::runtime_error("soketi exited with status " + std::to_string(process_->wait({})) +
                               " before it was ready on " + where +
                               "; check node 20 and the npm packages (tools/test installs "
                               "them). Its output:\n" +
                               tail_of(process_->output()));
    }
    // Only a listener owned by our process counts: the port may have been taken by another.
    if (process_listens_on(process_->pid(), port_)) {
      if (http_get_status(port_, "/ready", tls(), kProbeTimeout) == 200) return;
    } else if (process_->output().find(kListenDone) != std::string::npos &&
               !process_listens_on(process_->pid(), port_)) {
      kill_hard();
      throw PortTaken("soketi could not listen on " + where +
                      ": another process holds the port; stop it or pick another port");
    }
    std::this_thread::sleep_for(kPollStep);
  }
  std::string output = process_->output();
  kill_hard();
  throw std::runtime_error("soketi did not answer GET /ready with 200 on " + where +
                           " within 30 s; is the machine overloaded? Its output:\n" +
                           tail_of(output));
}

void SoketiServer::kill_hard() {
  if (!process_) return;
  process_->kill(SIGKILL);
  if (process_->wait(std::chrono::seconds(10)) < 0) {
    throw std::runtime_error("soketi (pid " + std::to_string(process_->pid()) +
                             ") survived SIGKILL for 10 s; look for a stuck node process");
  }
}

void SoketiServer::stop_graceful(std::chrono::milliseconds timeout) {
  if (!process_) return;
  process_->kill(SIGTERM);
  if (process_->wait(timeout) < 0) {
    throw std::runtime_error("soketi did not exit within " + std::to_string(timeout.count()) +
                             " ms of SIGTERM; raise the timeout or lower "
                             "SoketiOptions::shutdown_grace_period_ms. Its output:\n" +
                             tail_of(process_->output()));
  }
}

void SoketiServer::restart() {
  if (process_ && process_->running()) kill_hard();
  start();
}

bool SoketiServer::running() {
  return process_ && process_->running();
}

std::string SoketiServer::output() const {
  return process_ ? process_->output() : std::string();
}

std::string SoketiServer::trigger(const std::string& channel, const std::string& event,
                                  const std::string& data_json, int count,
                                  const std::string& socket_id,
                                  const std::string& encryption_master_key) {
  if (count < 1) throw std::invalid_argument("SoketiServer::trigger: count must be at least 1");
  const std::string dir = interop_dir();
  std::vector<std::string> argv = {node_binary(), dir + "/trigger.mjs",
                                   "--port",      std::to_string(port_),
                                   "--app-id",    options_.app_id,
                                   "--key",       options_.key,
                                   "--secret",    options_.secret,
                                   "--channel",   channel,
                                   "--event",     event,
                                   "--data",      data_json};
  if (count > 1) {
    argv.insert(argv.end(), {"--count", std::to_string(count)});
  }
  if (!socket_id.empty()) argv.insert(argv.end(), {"--socket-id", socket_id});
  if (tls()) argv.emplace_back("--tls");
  if (!encryption_master_key.empty()) {
    argv.insert(argv.end(), {"--encryption-master-key", encryption_master_key});
  }

  ChildProcess script(argv, {}, dir);
  script.close_stdin();
  const int status = script.wait(std::chrono::seconds(60));
  std::string output = script.output();
  if (status != 0 || output.find("OK " + std::to_string(count)) == std::string::npos) {
    throw std::runtime_error(
        "trigger.mjs failed (" +
        (status < 0 ? std::string("no exit within 60 s") : "status " + std::to_string(status)) +
        ") for " + std::to_string(count) + " event(s) '" + event + "' on '" + channel +
        "' via soketi on port " + std::to_string(port_) + ":\n" + tail_of(output));
  }
  return output;
}

EchoServer::EchoServer(const std::string& tls_cert, const std::string& tls_key) {
  if (tls_cert.empty() != tls_key.empty()) {
    throw std::invalid_argument("EchoServer: give both a TLS certificate and key, or neither");
  }
  tls_ = !tls_cert.empty();
  const std::string dir = interop_dir();
  std::vector<std::string> argv = {node_binary(), dir + "/echo-server.mjs"};
  if (tls_) argv.insert(argv.end(), {"--tls", tls_cert, tls_key});
  process_ =
      std::make_unique<ChildProcess>(argv, std::vector<std::pair<std::string, std::string>>{}, dir);
  std::optional<std::string> line = process_->wait_for_line("READY ", std::chrono::seconds(15));
  if (!line) {
    throw std::runtime_error("echo-server.mjs did not print READY within 15 s (" +
                             process_->command() +
                             "); check node 20 and the npm packages "
                             "(tools/test installs them). Its output:\n" +
                             tail_of(process_->output()));
  }
  port_ = std::stoi(*line);
}

std::string EchoServer::url() const {
  return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_);
}

AuthEndpoint::AuthEndpoint(const std::string& app_id, const std::string& key,
                           const std::string& secret)
    : process_({node_binary(), interop_dir() + "/auth-server.mjs", "--app-id", app_id, "--key",
                key, "--secret", secret},
               {}, interop_dir()) {
  auto line = process_.wait_for_line("READY ", std::chrono::seconds(15));
  if (!line) throw std::runtime_error("auth-server.mjs did not start: " + process_.output());
  url_ = "http://127.0.0.1:" + *line + "/broadcasting/auth";
}

}  // namespace pusher::test
