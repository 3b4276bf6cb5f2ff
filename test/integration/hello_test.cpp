// samples/hello run as a user would run it, against soketi and the Laravel-shaped auth endpoint
// of test/interop/auth-server.mjs: settings from the environment or the command line, a bearer
// token, a MessageSent from the backend, presence members, and a clean exit on a signal.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"

using namespace std::chrono_literals;
using Env = std::vector<std::pair<std::string, std::string>>;

namespace {

std::string hello_path() {
  const char* path = std::getenv("PUSHER_HELLO");
  REQUIRE_MESSAGE(path != nullptr, "PUSHER_HELLO is not set: build with -Dsamples=enabled");
  return path;
}

using pusher::test::AuthEndpoint;

// Loopback only: a proxy from the environment of the machine running the tests must not be
// asked for 127.0.0.1 (libcurl honours no_proxy for the WebSocket and the auth request).
const Env kNoProxy = {{"no_proxy", "127.0.0.1"}, {"NO_PROXY", "127.0.0.1"}};

}  // namespace

TEST_CASE("hello, configured from the environment, prints a MessageSent and exits 0 (--once)") {
  pusher::test::SoketiServer soketi;
  AuthEndpoint auth(soketi.options());
  Env env = kNoProxy;
  env.insert(env.end(), {{"PUSHER_HOST", "127.0.0.1"},
                         {"PUSHER_PORT", std::to_string(soketi.port())},
                         {"PUSHER_KEY", soketi.options().key},
                         {"PUSHER_TLS", "0"},
                         {"PUSHER_AUTH_ENDPOINT", auth.url()},
                         {"PUSHER_BEARER", "tok-a"},
                         {"PUSHER_CHANNEL", "presence-hello"}});
  pusher::test::ChildProcess hello({hello_path(), "--once", "--exit-after", "30"}, env);
  // The auth server signed Alice in for tok-a: the token went out as a bearer token.
  REQUIRE_MESSAGE(hello.wait_for_output("subscribed to presence-hello as user 1, 1 here", 15s),
                  hello.output());
  soketi.trigger("presence-hello", "App\\Events\\MessageSent",
                 R"({"text":"hi from the backend","user":{"id":7,"name":"Bob"}})");
  CHECK(hello.wait(15s) == 0);
  std::string out = hello.output();
  CAPTURE(out);
  CHECK(out.find("message from Bob: hi from the backend\n") != std::string::npos);
  CHECK(out.find("error:") == std::string::npos);
}

TEST_CASE("hello, configured on the command line, sees members come and go; SIGINT exits 0") {
  pusher::test::SoketiServer soketi;
  AuthEndpoint auth(soketi.options());
  auto run = [&](const std::string& token) {
    return std::make_unique<pusher::test::ChildProcess>(
        std::vector<std::string>{hello_path(), "--host", "127.0.0.1", "--port",
                                 std::to_string(soketi.port()), "--key", soketi.options().key,
                                 "--auth-endpoint", auth.url(), "--bearer", token,
                                 "--exit-after", "60", "lobby"},
        kNoProxy);
  };
  auto alice = run("tok-a");
  // A room name is joined as its presence channel.
  REQUIRE_MESSAGE(alice->wait_for_output("subscribed to presence-lobby as user 1, 1 here", 15s),
                  alice->output());
  {
    auto bob = run("tok-b");
    REQUIRE_MESSAGE(bob->wait_for_output("subscribed to presence-lobby as user 2, 2 here", 15s),
                    bob->output());
    CHECK(alice->wait_for_output("joining: 2 {\"name\":", 15s));  // user_info, as JSON text
    bob->kill(SIGINT);  // Ctrl-C: the Manager closes with 1000 and hello exits 0
    CHECK(bob->wait(10s) == 0);
  }
  CHECK(alice->wait_for_output("leaving: 2\n", 15s));
  alice->kill(SIGINT);
  CHECK(alice->wait(10s) == 0);
  CAPTURE(alice->output());
  CHECK(alice->output().find("error:") == std::string::npos);
}

TEST_CASE("hello with a token the endpoint refuses reports auth_failed and still exits 0") {
  pusher::test::SoketiServer soketi;
  AuthEndpoint auth(soketi.options());
  pusher::test::ChildProcess hello({hello_path(), "--port", std::to_string(soketi.port()),
                                    "--key", soketi.options().key, "--auth-endpoint", auth.url(),
                                    "--bearer", "not-a-token", "--exit-after", "3",
                                    "presence-hello"},
                                   kNoProxy);
  CHECK(hello.wait(20s) == 0);
  std::string out = hello.output();
  CAPTURE(out);
  CHECK(out.find("error: auth_failed") != std::string::npos);
  CHECK(out.find("subscribed to") == std::string::npos);
}
