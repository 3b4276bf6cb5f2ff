// pusher-cli driven end to end against soketi: its JSON lines and exit codes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "fixtures.hpp"

using namespace std::chrono_literals;

namespace {

std::string cli_path() {
  const char* path = std::getenv("PUSHER_CLI");
  REQUIRE_MESSAGE(path != nullptr, "PUSHER_CLI is not set: build with -Dsamples=enabled");
  return path;
}

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
    CHECK(cli.output().find(R"("server_code":4001)") != std::string::npos);
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
