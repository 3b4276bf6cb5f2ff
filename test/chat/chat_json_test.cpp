#include "chat_json.hpp"

#include <doctest/doctest.h>

#include "test_locale.hpp"

TEST_CASE("parse_login") {
  const auto login = chat::parse_login(R"({"token":"t0k","user":{"id":7,"name":"alice"}})");
  REQUIRE(login);
  CHECK(login->token == "t0k");
  CHECK(login->user.id == "7");
  CHECK(login->user.name == "alice");
  CHECK_FALSE(chat::parse_login(R"({"user":{"id":7}})"));
  CHECK_FALSE(chat::parse_login("not json"));
}

TEST_CASE("parse_message: bare, wrapped, string ids") {
  const char* bare =
      R"({"id":42,"room":"lobby","text":"hi","user":{"id":7,"name":"alice"},"sent_at":"2024-05-01T12:00:00Z"})";
  const auto message = chat::parse_message(bare);
  REQUIRE(message);
  CHECK(message->id == "42");
  CHECK(message->text == "hi");
  CHECK(message->sender.id == "7");
  CHECK(message->sender.name == "alice");
  CHECK(message->time == 1714564800);

  const auto wrapped =
      chat::parse_message(R"({"message":{"id":"m-1","text":"yo","user":{"id":"u"}}})");
  REQUIRE(wrapped);
  CHECK(wrapped->id == "m-1");
  CHECK(wrapped->time == 0);
  CHECK_FALSE(chat::parse_message(R"({"text":"no id"})"));
}

TEST_CASE("parse_messages skips junk entries") {
  const auto list = chat::parse_messages(
      R"({"messages":[{"id":1,"text":"a","user":{"id":1,"name":"x"}},17,{"id":2,"text":"b","user":{"id":2,"name":"y"}}]})");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[1].id == "2");
  CHECK(chat::parse_messages(R"([{"id":3,"text":"c"}])")->size() == 1);
  CHECK_FALSE(chat::parse_messages(R"({"messages":3})"));
}

TEST_CASE("error_message finds Laravel's message") {
  CHECK(chat::error_message(R"({"message":"Unauthenticated."})") == "Unauthenticated.");
  CHECK(chat::error_message(R"({"error":"bad room"})") == "bad room");
  CHECK(chat::error_message("<html>") == "");
}

TEST_CASE("member_user reads user_info.name") {
  CHECK(chat::member_user({"7", R"({"name":"alice"})"}).name == "alice");
  CHECK(chat::member_user({"7", ""}).name == "7");
  CHECK(chat::member_user({"7", "[1]"}).name == "7");
}

TEST_CASE("request bodies are JSON with escaping") {
  CHECK(chat::login_body("al\"ice") == R"({"name":"al\"ice"})");
  CHECK(chat::message_body("lobby", "héllo\n") == "{\"room\":\"lobby\",\"text\":\"héllo\\n\"}");
  CHECK(chat::read_body("lobby", "42") == R"({"room":"lobby","message_id":42})");
  CHECK(chat::read_body("lobby", "m-1") == R"({"room":"lobby","message_id":"m-1"})");
  CHECK(chat::typing_body({"7", "alice"}, true) == R"({"user_id":7,"name":"alice","typing":true})");
  CHECK(chat::typing_body({"u-7", "bob"}, false) ==
        R"({"user_id":"u-7","name":"bob","typing":false})");
}

TEST_CASE("url_encode") {
  CHECK(chat::url_encode("lobby") == "lobby");
  CHECK(chat::url_encode("a b&c=d;é") == "a%20b%26c%3Dd%3B%C3%A9");
}
