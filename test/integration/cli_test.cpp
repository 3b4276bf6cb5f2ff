// pusher-cli driven end to end against soketi: its JSON lines and exit codes.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"

using namespace std::chrono_literals;

namespace {

std::string cli_path() {
  const char* path = std::getenv("PUSHER_CLI");
  REQUIRE_MESSAGE(path != nullptr, "PUSHER_CLI is not set: build with -Dsamples=enabled");
  return path;
}

using pusher::test::AuthEndpoint;

}  // namespace

TEST_CASE("pusher-cli prints states, subscriptions and events as JSON lines, then exits 0") {
  pusher::test::SoketiServer soketi;
  pusher::test::ChildProcess cli({cli_path(), "--url", soketi.ws_url(), "--key", soketi.options().key,
                                  "--states", "--count", "2", "--timeout", "20", "--history",
                                  "chat"});
  REQUIRE(cli.wait_for_output("{\"subscribed\":\"chat\"}", 15s));
  soketi.trigger("chat", "App\\Events\\MessageSent", R"({"text":"hi \"there\"","user":{"id":1,"name":"a"}})");
  soketi.trigger("chat", "client-typing", R"({"user_id":"1","name":"a"})");
  CHECK(cli.wait(15s) == 0);
  std::string out = cli.output();
  CAPTURE(out);
  CHECK(out.find(R"({"state":"connecting","previous":"initialized"})") != std::string::npos);
  CHECK(out.find(R"({"state":"connected","previous":"connecting","socket_id":")") != std::string::npos);
  CHECK(out.find(R"({"channel":"chat","event":"App\\Events\\MessageSent","data":"{\"text\":\"hi \\\"there\\\"\",\"user\":{\"id\":1,\"name\":\"a\"}}","type":"MessageSent"})") != std::string::npos);
  CHECK(out.find(R"("event":"client-typing")") != std::string::npos);
  CHECK(out.find(R"("type":"UserTyping")") != std::string::npos);
  // --history prints one JSON array line with both events.
  CHECK(out.find(R"([{"channel":"chat","event":"App\\Events\\MessageSent")") != std::string::npos);
}

TEST_CASE("pusher-cli exits 3 at its timeout, 1 when refused, 2 on usage errors") {
  pusher::test::SoketiServer soketi;
  {
    pusher::test::ChildProcess cli({cli_path(), "--url", soketi.ws_url(), "--key", soketi.options().key,
                                    "--count", "1", "--timeout", "1", "quiet"});
    CHECK(cli.wait(15s) == 3);
  }
  {
    pusher::test::ChildProcess cli({cli_path(), "--url", soketi.ws_url(), "--key", "wrong-key",
                                    "--states", "--timeout", "20", "x"});
    CHECK(cli.wait(15s) == 1);
    CHECK(cli.output().find(R"("server_code":4001,"code_kind":"pusher")") != std::string::npos);
  }
  {
    pusher::test::ChildProcess cli({cli_path(), "--key", "k", "chat"});
    CHECK(cli.wait(5s) == 2);
  }
  {
    pusher::test::ChildProcess cli({cli_path(), "--url", "ws://127.0.0.1:1", "--key", "k", "bad name"});
    CHECK(cli.wait(5s) == 2);
  }
}

TEST_CASE("pusher-cli sends client events from stdin on a presence channel; others see the sender") {
  pusher::test::SoketiServer soketi;
  const std::string secret = soketi.options().secret;
  pusher::test::ChildProcess alice({cli_path(), "--url", soketi.ws_url(), "--key", soketi.options().key,
                                    "--secret", secret, "--user-id", "alice", "--user-info",
                                    R"({"name":"Alice"})", "--states", "--count", "1", "--timeout", "20",
                                    "presence-room"});
  pusher::test::ChildProcess bob({cli_path(), "--url", soketi.ws_url(), "--key", soketi.options().key,
                                  "--secret", secret, "--user-id", "bob", "--states", "--timeout", "20",
                                  "presence-room", "public-room"});
  REQUIRE(alice.wait_for_output(R"({"subscribed":"presence-room"})", 15s));
  REQUIRE(bob.wait_for_output(R"({"subscribed":"presence-room"})", 15s));
  REQUIRE(bob.write_stdin("public-room client-typing {}\n"));
  REQUIRE(bob.wait_for_output("client events need a private- or presence- channel", 10s));
  REQUIRE(bob.write_stdin("presence-room client-typing {\"typing\":true,\"name\":\"Bob\"}\n"));
  CHECK(alice.wait(15s) == 0);
  std::string out = alice.output();
  CAPTURE(out);
  CHECK(out.find(R"({"channel":"presence-room","event":"client-typing","data":"{\"typing\":true,\"name\":\"Bob\"}","user_id":"bob","type":"UserTyping"})") != std::string::npos);
}

TEST_CASE("pusher-cli prints presence members, joins and leaves as JSON lines with --states") {
  pusher::test::SoketiServer soketi;
  const std::string secret = soketi.options().secret;
  const std::string key = soketi.options().key;
  pusher::test::ChildProcess alice({cli_path(), "--url", soketi.ws_url(), "--key", key,
                                    "--secret", secret, "--user-id", "alice", "--user-info",
                                    R"({"name":"Alice"})", "--states", "--timeout", "30",
                                    "presence-room"});
  // Here: the members on subscribing, Alice alone.
  REQUIRE(alice.wait_for_output(
      R"({"members":[{"id":"alice","info":{"name":"Alice"}}],"channel":"presence-room"})", 15s));
  std::optional<std::string> bob_members;
  {
    pusher::test::ChildProcess bob({cli_path(), "--url", soketi.ws_url(), "--key", key,
                                    "--secret", secret, "--user-id", "bob", "--states", "--timeout",
                                    "30", "presence-room"});
    bob_members = bob.wait_for_line(R"({"members":[)", 15s);
    // Joining: Bob, with the user_info the CLI signed by default ({}).
    REQUIRE(alice.wait_for_output(
        R"({"member_added":{"id":"bob","info":{}},"channel":"presence-room"})", 15s));
    bob.kill(SIGTERM);  // the CLI closes with 1000 on SIGTERM
    CHECK(bob.wait(10s) == 0);
  }
  // Leaving: only the id.
  REQUIRE(alice.wait_for_output(R"({"member_removed":{"id":"bob"},"channel":"presence-room"})",
                                15s));
  alice.kill(SIGTERM);
  CHECK(alice.wait(10s) == 0);
  REQUIRE(bob_members.has_value());
  CAPTURE(*bob_members);
  // Both members, in whatever order the server listed them.
  CHECK(bob_members->find(R"({"id":"alice","info":{"name":"Alice"}})") != std::string::npos);
  CHECK(bob_members->find(R"({"id":"bob","info":{}})") != std::string::npos);
  CHECK(bob_members->find(R"(],"channel":"presence-room"})") != std::string::npos);
}

TEST_CASE("pusher-cli --auth-header reaches the auth endpoint; --header goes on the upgrade") {
  pusher::test::SoketiServer soketi;
  AuthEndpoint auth(soketi.options());
  pusher::test::ChildProcess cli({cli_path(), "--url", soketi.ws_url(), "--key",
                                  soketi.options().key, "--header", "X-Gateway-Token: gw-1",
                                  "--auth-endpoint", auth.url(), "--auth-header",
                                  "Authorization: Bearer tok-a", "--auth-header",
                                  "X-Test-Trace:  t-1 ", "--states", "--timeout", "30",
                                  "presence-echo-room"});
  auto members = cli.wait_for_line(R"({"members":[)", 15s);
  REQUIRE_MESSAGE(members.has_value(), cli.output());
  CAPTURE(*members);
  // Alice (tok-a), and the auth server saw the extra header, its value trimmed.
  CHECK(members->find(R"({"id":"1","info":{"name":"Alice")") != std::string::npos);
  CHECK(members->find(R"("headers":{"x-test-trace":"t-1"})") != std::string::npos);
  cli.kill(SIGTERM);
  CHECK(cli.wait(10s) == 0);
}

TEST_CASE("pusher-cli refuses malformed --header and --auth-header values with exit code 2") {
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--header", "no colon"},
           {"--header", ": no name"},
           {"--header", "Bad Name: v"},
           {"--header", "Sec-WebSocket-Key: x"},
           {"--auth-header", "no colon"},
           {"--auth-header", "Bad Name: v"}}) {
    CAPTURE(option);
    CAPTURE(value);
    pusher::test::ChildProcess cli({cli_path(), "--url", "ws://127.0.0.1:1", "--key", "k", option,
                                    value, "chat"});
    CHECK(cli.wait(5s) == 2);
  }
}
