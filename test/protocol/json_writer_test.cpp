// Test that the header is self-contained.
#include "protocol/json_writer.hpp"

#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "protocol/encode.hpp"
#include "protocol/json.hpp"

namespace pusher::detail::protocol {
namespace {

std::string quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST_CASE("append_json_string escapes quote, backslash and every control, nothing else") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain text") == R"("plain text")");
  CHECK(quoted("say \"hi\"") == R"("say \"hi\"")");
  CHECK(quoted("C:\\dir") == R"("C:\\dir")");
  CHECK(quoted("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
  CHECK(quoted(std::string("nul\0x", 5)) == R"("nul\u0000x")");
  CHECK(quoted("\x1f\x7f") == "\"\\u001F\x7f\"");
  CHECK(quoted("caf\xc3\xa9 / \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 / \xf0\x9f\x98\x80\"");
  // Every byte below 0x20 comes back from a JSON parser as itself.
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\";
  rapidjson::Document doc;
  REQUIRE(parse_document(quoted(all), doc));
  REQUIRE(doc.IsString());
  CHECK(std::string(doc.GetString(), doc.GetStringLength()) == all);
}

TEST_CASE("JsonWriter puts commas between values and members, not after keys or openers") {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .member("a", "x")
      .key("b").number(-7)
      .key("c").begin_array().number(1).string("two").null().boolean(true).begin_object().end_object().end_array()
      .key("d").raw(R"({"n":1})")
      .key("e").begin_array().end_array()
      .end_object();
  CHECK(out == R"({"a":"x","b":-7,"c":[1,"two",null,true,{}],"d":{"n":1},"e":[]})");
}

TEST_CASE("JsonWriter appends after text already in the string without a leading comma") {
  std::string out = "prefix:";
  JsonWriter(out).begin_array().number(1).number(2).end_array();
  CHECK(out == "prefix:[1,2]");
  std::string value = "x";
  JsonWriter(value).string("y");
  CHECK(value == "x\"y\"");
}

TEST_CASE("to_json writes a DOM's typed numbers as RapidJSON reads them back") {
  rapidjson::Document doc;
  REQUIRE(parse_document(R"({"i":-3,"u":18446744073709551615,"d":0.1,"e":1e300,"s":"q\"","n":null})", doc));
  CHECK(to_json(doc) == R"({"i":-3,"u":18446744073709551615,"d":0.1,"e":1e300,"s":"q\"","n":null})");
}

TEST_CASE("channel notices are JSON objects with escaped strings") {
  CHECK(notice_subscription_error("AuthError", "bad \"sig\"\n", 403) ==
        R"({"type":"AuthError","error":"bad \"sig\"\n","status":403})");
  CHECK(notice_member("u\"1", R"({"name":"Ann"})") == R"({"id":"u\"1","info":{"name":"Ann"}})");
  CHECK(notice_member("2", "") == R"({"id":"2","info":null})");
  CHECK(notice_number("subscription_count", 3) == R"({"subscription_count":3})");
  CHECK(notice_number("away_ms", 0) == R"({"away_ms":0})");
}

}  // namespace
}  // namespace pusher::detail::protocol
