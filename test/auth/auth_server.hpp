#pragma once

// auth-server.mjs as a fixture, and a way to run an Authorizer on a loop thread and wait.

#include <pusher/auth.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"
#include "net/event_loop.hpp"

namespace pusher::test {

inline const std::string kAppId = "4242";
inline const std::string kAppKey = "278d425bdf160c739803";
inline const std::string kAppSecret = "7ad3773142a6692b25b8";

/// test/interop/auth-server.mjs on 127.0.0.1; with `csrf` it wants that X-CSRF-TOKEN.
class AuthServer {
 public:
  explicit AuthServer(const std::string& csrf = {}) {
    const std::string dir = interop_dir();
    std::vector<std::string> argv = {
        node_binary(), dir + "/auth-server.mjs", "--app-id", kAppId, "--key", kAppKey, "--secret",
        kAppSecret};
    if (!csrf.empty()) argv.insert(argv.end(), {"--csrf", csrf});
    process_ = std::make_unique<ChildProcess>(
        argv, std::vector<std::pair<std::string, std::string>>{}, dir);
    auto line = process_->wait_for_line("READY ", std::chrono::seconds(15));
    if (!line) FAIL("auth-server.mjs did not start: " << process_->output());
    port_ = std::stoi(*line);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string output() const { return process_->output(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

/// One server for the whole test program (started on first use).
inline AuthServer& shared_auth_server() {
  static AuthServer server;
  return server;
}

/// Runs authorize() on the loop thread and waits for `done`, up to `deadline`.
inline AuthResult authorize_on(detail::net::EventLoop& loop, Authorizer& authorizer,
                               AuthRequest request,
                               std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto promise = std::make_shared<std::promise<AuthResult>>();
  std::future<AuthResult> result = promise->get_future();
  loop.post([&authorizer, request = std::move(request), promise] {
    authorizer.authorize(request, [promise](AuthResult r) { promise->set_value(std::move(r)); });
  });
  REQUIRE(result.wait_for(deadline) == std::future_status::ready);
  return result.get();
}

/// Runs `task` on the loop thread and waits for it.
template <typename Task>
void run_on(detail::net::EventLoop& loop, Task task) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  loop.post([task = std::move(task), done]() mutable {
    task();
    done->set_value();
  });
  REQUIRE(finished.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

}  // namespace pusher::test
