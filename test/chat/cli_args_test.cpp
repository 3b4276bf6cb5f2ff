#include "cli_args.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using Args = std::vector<std::string>;

TEST_CASE("local mode: --backend alone logs in and authorises there") {
  const chat::CliResult r =
      chat::parse_args({"--name", "alice", "--host", "127.0.0.1", "--port", "6001", "--no-tls",
                        "--key", "app-key", "--backend", "http://127.0.0.1:8080/"},
                       nullptr);
  REQUIRE(r.ok);
  CHECK(r.args.name == "alice");
  CHECK(r.args.room == "lobby");
  CHECK(r.args.options.host == "127.0.0.1");
  CHECK(r.args.options.port == 6001);
  CHECK_FALSE(r.args.options.tls);
  CHECK(r.args.options.key == "app-key");
  CHECK(r.args.backend == "http://127.0.0.1:8080");
  CHECK(r.args.local_login);
  CHECK(r.args.options.auth.endpoint == "http://127.0.0.1:8080/broadcasting/auth");
  CHECK(r.args.options.auth.bearer_token.empty());
}

TEST_CASE("remote mode: --auth-endpoint with a bearer token, from the flag or environment") {
  const Args args{
      "--name=bob", "--room=dev", "--cluster",       "eu",
      "--key",      "k",          "--auth-endpoint", "https://app.example/broadcasting/auth"};
  chat::CliResult r = chat::parse_args(args, "env-token");
  REQUIRE(r.ok);
  CHECK_FALSE(r.args.local_login);
  CHECK(r.args.room == "dev");
  CHECK(r.args.options.cluster == "eu");
  CHECK(r.args.options.auth.endpoint == "https://app.example/broadcasting/auth");
  CHECK(r.args.options.auth.bearer_token == "env-token");
  Args with_flag = args;
  with_flag.insert(with_flag.end(), {"--bearer", "flag-token"});
  CHECK(chat::parse_args(with_flag, "env-token").args.options.auth.bearer_token == "flag-token");
}

TEST_CASE("usage errors") {
  struct Case {
    Args args;
    const char* error;
  };
  const Args base{"--name", "a", "--host", "h", "--key", "k", "--backend", "http://b"};
  const Case cases[] = {
      {{"--host", "h", "--key", "k", "--backend", "http://b"},
       "--name NAME is required (1-64 characters)"},
      {{"--name", "a", "--host", "h", "--backend", "http://b"}, "--key is required"},
      {{"--name", "a", "--key", "k", "--backend", "http://b"}, "--host or --cluster is required"},
      {{"--name", "a", "--host", "h", "--key", "k"}, "--backend or --auth-endpoint is required"},
      {{"--name", "a", "--host", "h", "--key", "k", "--backend", "ftp://b"},
       "--backend must be an http(s):// URL"},
      {{"--name", "a", "--host", "h", "--key", "k", "--backend", "http://b", "--port", "70000"},
       "--port must be 1-65535"},
      {{"--name", "a", "--host", "h", "--key", "k", "--backend", "http://b", "--room", "a b"},
       "--room: letters, digits and _-=@,.; only"},
      {{"--name", "a", "--frobnicate"}, "unknown argument --frobnicate"},
      {{"--name"}, "missing value for --name"},
      {{"--tls=yes"}, "--tls takes no value"},
  };
  for (const Case& c : cases) {
    const chat::CliResult r = chat::parse_args(c.args, nullptr);
    CHECK_FALSE(r.ok);
    CHECK(r.error == c.error);
  }
  CHECK(chat::parse_args(base, nullptr).ok);
  CHECK(chat::parse_args({"--help"}, nullptr).help);
  CHECK(std::string(chat::usage()).find("--backend") != std::string::npos);
}
