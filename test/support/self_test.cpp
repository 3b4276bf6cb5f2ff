// Tests of the test fixtures themselves, against the real node servers.
#include "fixtures.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include <doctest/doctest.h>

namespace pusher::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// True when binding 127.0.0.1:port fails with EADDRINUSE.
bool port_in_use(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool in_use =
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return in_use;
}

long long ms_since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("ChildProcess captures output and exit status") {
  ChildProcess child({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  CHECK(child.wait(seconds(10)) == 3);
  CHECK(child.output().find("hello") != std::string::npos);
  CHECK(child.output().find("oops") != std::string::npos);
  CHECK_FALSE(child.running());
  CHECK(child.wait(milliseconds(0)) == 3);
}

TEST_CASE("ChildProcess passes extra environment and cwd, and sees its stdin close") {
  std::string dir = temp_dir();
  ChildProcess child({"sh", "-c", "echo \"v=$PUSHER_X dir=$(pwd)\"; cat; echo eof"},
                     {{"PUSHER_X", "42"}}, dir);
  CHECK(child.wait_for_line("v=", seconds(10)) == "42 dir=" + dir);
  CHECK(child.running());
  child.close_stdin();
  CHECK(child.wait_for_output("eof", seconds(10)));
  CHECK(child.wait(seconds(10)) == 0);
}

TEST_CASE("ChildProcess reports a program that cannot start") {
  CHECK_THROWS_AS(ChildProcess({"pusher-test-no-such-program"}), std::runtime_error);
}

TEST_CASE("ChildProcess stops a child that ignores SIGTERM within about 3.5 s") {
  auto start = steady_clock::now();
  pid_t pid = 0;
  {
    // exec keeps the ignored SIGTERM and the pid, so no orphan holds the output pipe.
    ChildProcess child({"sh", "-c", "trap '' TERM; echo armed; exec sleep 30"});
    REQUIRE(child.wait_for_output("armed", seconds(10)));
    pid = child.pid();
    start = steady_clock::now();
  }
  long long took = ms_since(start);
  MESSAGE("SIGTERM-ignoring child gone after " << took << " ms");
  CHECK(took >= 2900);
  CHECK(took < 3500);
  CHECK(::kill(pid, 0) != 0);  // reaped: the pid no longer exists for us
}

TEST_CASE("ChildProcess::kill ends a child at once") {
  ChildProcess child({"sleep", "30"});
  CHECK(child.running());
  child.kill(SIGKILL);
  CHECK(child.wait(seconds(5)) == 128 + SIGKILL);
}

TEST_CASE("free_port and temp_dir") {
  int port = free_port();
  CHECK(port > 0);
  CHECK_FALSE(port_in_use(port));
  std::string a = temp_dir();
  std::string b = temp_dir();
  CHECK(a != b);
  CHECK(std::filesystem::is_directory(a));
}

TEST_CASE("SoketiServer starts, triggers, dies hard and restarts on the same port") {
  auto start = steady_clock::now();
  SoketiServer soketi;
  MESSAGE("soketi ready after " << ms_since(start) << " ms on port " << soketi.port());
  const int port = soketi.port();
  CHECK(http_get_status(port, "/ready", false, seconds(5)) == 200);
  CHECK(port_in_use(port));
  CHECK(soketi.ws_url() == "ws://127.0.0.1:" + std::to_string(port));

  // soketi answers OK without subscribers.
  CHECK(soketi.trigger("my-channel", "my-event", R"({"hello":"world"})").find("OK 1") !=
        std::string::npos);
  CHECK(soketi.trigger("my-channel", "my-event", R"({"n":1})", 3).find("OK 3") !=
        std::string::npos);
  CHECK_THROWS_AS(soketi.trigger("my-channel", "my-event", "not json"), std::runtime_error);

  soketi.kill_hard();
  CHECK_FALSE(soketi.running());
  CHECK(http_get_status(port, "/ready", false, milliseconds(500)) == -1);

  start = steady_clock::now();
  soketi.restart();
  MESSAGE("soketi restarted after " << ms_since(start) << " ms");
  CHECK(soketi.port() == port);
  CHECK(http_get_status(port, "/ready", false, seconds(5)) == 200);
  CHECK(soketi.trigger("my-channel", "my-event", "{}").find("OK 1") != std::string::npos);
}

TEST_CASE("SoketiServer::trigger throws when soketi is gone") {
  SoketiServer soketi;
  soketi.kill_hard();
  CHECK_THROWS_WITH_AS(soketi.trigger("c", "e", "{}"),
                       doctest::Contains("is soketi running on that port"), std::runtime_error);
}

TEST_CASE("SoketiServer stops gracefully with SIGTERM") {
  SoketiServer soketi;
  auto start = steady_clock::now();
  soketi.stop_graceful(seconds(10));
  MESSAGE("soketi stopped gracefully after " << ms_since(start) << " ms");
  CHECK_FALSE(soketi.running());
}

TEST_CASE("SoketiServer over TLS") {
  const TlsFiles tls = make_tls_files();
  SoketiOptions options;
  options.tls_cert = tls.server_cert;
  options.tls_key = tls.server_key;
  SoketiServer soketi(options);
  CHECK(soketi.ws_url().rfind("wss://", 0) == 0);
  CHECK(http_get_status(soketi.port(), "/ready", true, seconds(5)) == 200);
  CHECK(soketi.trigger("c", "e", "{}").find("OK 1") != std::string::npos);
}

TEST_CASE("EchoServer plain and TLS") {
  EchoServer plain;
  CHECK(plain.port() > 0);
  CHECK(plain.url() == "ws://127.0.0.1:" + std::to_string(plain.port()));
  // Plain HTTP without an upgrade gets 426.
  CHECK(http_get_status(plain.port(), "/", false, seconds(5)) == 426);

  const TlsFiles tls = make_tls_files();
  EchoServer secure(tls.server_cert, tls.server_key);
  CHECK(secure.port() > 0);
  CHECK(secure.port() != plain.port());
  CHECK(http_get_status(secure.port(), "/", true, seconds(5)) == 426);
}

TEST_CASE("EchoServer exits when its stdin closes, and on SIGTERM") {
  EchoServer echo;
  echo.process().close_stdin();
  CHECK(echo.process().wait(seconds(10)) == 0);

  EchoServer other;
  other.process().kill(SIGTERM);
  CHECK(other.process().wait(seconds(10)) == 0);
}

TEST_CASE("make_tls_files makes a CA, a server and a wrong-host certificate, once") {
  const TlsFiles tls = make_tls_files();
  for (const auto& path :
       {tls.ca_cert, tls.server_cert, tls.server_key, tls.wrong_host_cert, tls.wrong_host_key}) {
    CHECK(std::filesystem::is_regular_file(path));
  }
  CHECK(make_tls_files().dir == tls.dir);
  ChildProcess verify(
      {"openssl", "verify", "-CAfile", tls.ca_cert, "-verify_ip", "127.0.0.1", tls.server_cert});
  CHECK(verify.wait(seconds(10)) == 0);
  ChildProcess wrong({"openssl", "verify", "-CAfile", tls.ca_cert, "-verify_ip", "127.0.0.1",
                      tls.wrong_host_cert});
  CHECK(wrong.wait(seconds(10)) != 0);
  ChildProcess by_name({"openssl", "verify", "-CAfile", tls.ca_cert, "-verify_hostname",
                        "not-this-host.example", tls.wrong_host_cert});
  CHECK(by_name.wait(seconds(10)) == 0);
}

}  // namespace pusher::test
