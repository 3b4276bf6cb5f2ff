// Test that the header is self-contained.
#include "protocol/encode.hpp"

#include <string>
#include <variant>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "protocol/message.hpp"

namespace pusher::detail::protocol {
namespace {

/// An encoder call and the exact bytes it must produce.
struct Case {
  const char* what;
  std::string actual;
  std::string expected;
};

void check_table(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(c.actual == c.expected);
  }
}

/// Parses `json` with an independent DOM parser; fails the test when it is not valid JSON.
rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), json);
  REQUIRE(doc.IsObject());
  return doc;
}

std::string string_at(const rapidjson::Value& object, const char* name) {
  REQUIRE(object.HasMember(name));
  const rapidjson::Value& value = object[name];
  REQUIRE(value.IsString());
  return {value.GetString(), value.GetStringLength()};
}

}  // namespace

TEST_CASE("encoders produce these exact bytes") {
  check_table({
      {"public subscribe", encode_subscribe("my-channel"),
       R"({"event":"pusher:subscribe","data":{"channel":"my-channel"}})"},
      {"private subscribe", encode_subscribe("private-a", "key:abc123"),
       R"({"event":"pusher:subscribe","data":{"channel":"private-a","auth":"key:abc123"}})"},
      {"presence subscribe: channel_data stays a string",
       encode_subscribe("presence-a", "key:f00", R"({"user_id":"1","user_info":{"name":"Ann"}})"),
       R"({"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"key:f00",)"
       R"("channel_data":"{\"user_id\":\"1\",\"user_info\":{\"name\":\"Ann\"}}"}})"},
      {"channel_data without auth", encode_subscribe("a", {}, "{}"),
       R"({"event":"pusher:subscribe","data":{"channel":"a","channel_data":"{}"}})"},
      {"unsubscribe", encode_unsubscribe("private-a"),
       R"({"event":"pusher:unsubscribe","data":{"channel":"private-a"}})"},
      {"ping", encode_ping(), R"({"event":"pusher:ping","data":{}})"},
      {"pong", encode_pong(), R"({"event":"pusher:pong","data":{}})"},
      {"signin", encode_signin("key:sig", R"({"id":"1","user_info":{}})"),
       R"({"event":"pusher:signin","data":{"auth":"key:sig","user_data":"{\"id\":\"1\",)"
       R"(\"user_info\":{}}"}})"},
  });
}

TEST_CASE("client events embed JSON data as a value, anything else as a string") {
  check_table({
      {"object", encode_client_event("private-a", "client-typing", R"({"name":"Ann"})"),
       R"({"event":"client-typing","channel":"private-a","data":{"name":"Ann"}})"},
      {"whitespace is compacted, numbers kept byte for byte",
       encode_client_event("private-a", "client-x", " {\n \"n\" : 1.50 , \"e\" : 1E+2 } \n"),
       R"({"event":"client-x","channel":"private-a","data":{"n":1.50,"e":1E+2}})"},
      {"array", encode_client_event("p", "client-x", "[1, true, null]"),
       R"({"event":"client-x","channel":"p","data":[1,true,null]})"},
      {"JSON string", encode_client_event("p", "client-x", R"("hi")"),
       R"({"event":"client-x","channel":"p","data":"hi"})"},
      {"number", encode_client_event("p", "client-x", "42"),
       R"({"event":"client-x","channel":"p","data":42})"},
      {"not JSON", encode_client_event("p", "client-x", "hello \"you\""),
       R"({"event":"client-x","channel":"p","data":"hello \"you\""})"},
      {"truncated JSON", encode_client_event("p", "client-x", R"({"a":)"),
       R"({"event":"client-x","channel":"p","data":"{\"a\":"})"},
      {"two values", encode_client_event("p", "client-x", "{} {}"),
       R"({"event":"client-x","channel":"p","data":"{} {}"})"},
      {"empty", encode_client_event("p", "client-x", ""),
       R"({"event":"client-x","channel":"p","data":""})"},
      {"escapes inside embedded JSON are normalised",
       encode_client_event("p", "client-x", R"({"t":"\u0041\/\u00e9"})"),
       "{\"event\":\"client-x\",\"channel\":\"p\",\"data\":{\"t\":\"A/\xC3\xA9\"}}"},
  });
}

TEST_CASE("a nesting bomb as client data is sent as a string") {
  const std::string bomb(100000, '[');
  const std::string wire = encode_client_event("p", "client-x", bomb);
  CHECK(wire == R"({"event":"client-x","channel":"p","data":")" + bomb + "\"}");
  const std::string deep = std::string(64, '[') + std::string(64, ']');
  CHECK(encode_client_event("p", "client-x", deep) ==
        R"({"event":"client-x","channel":"p","data":)" + deep + "}");
  const std::string too_deep = std::string(65, '[') + std::string(65, ']');
  CHECK(encode_client_event("p", "client-x", too_deep) ==
        R"({"event":"client-x","channel":"p","data":")" + too_deep + "\"}");
}

TEST_CASE("strings are escaped: quotes, backslashes, control characters, UTF-8") {
  const std::string nasty = std::string(
      "q\"b\\s/n\nt\tc\x01z\x1F"
      "d\x7F"
      "e\xC3\xA9"
      "f\0g",
      22);
  const std::string escaped =
      "q\\\"b\\\\s/n\\nt\\tc\\u0001z\\u001Fd\x7F"
      "e\xC3\xA9"
      "f\\u0000g";
  check_table({
      {"channel", encode_unsubscribe(nasty),
       R"({"event":"pusher:unsubscribe","data":{"channel":")" + escaped + "\"}}"},
      {"auth and channel_data", encode_subscribe("c", nasty, nasty),
       R"({"event":"pusher:subscribe","data":{"channel":"c","auth":")" + escaped +
           R"(","channel_data":")" + escaped + "\"}}"},
      {"event, channel and non-JSON data", encode_client_event(nasty, nasty, nasty),
       R"({"event":")" + escaped + R"(","channel":")" + escaped + R"(","data":")" + escaped +
           "\"}"},
      {"signin", encode_signin(nasty, nasty),
       R"({"event":"pusher:signin","data":{"auth":")" + escaped + R"(","user_data":")" + escaped +
           "\"}}"},
  });
}

TEST_CASE("encoded messages round-trip through a JSON parser") {
  const std::string nasty = std::string("\"\\\n\x01\xE2\x82\xAC\0", 8);
  SUBCASE("subscribe") {
    const auto doc = parse(encode_subscribe(nasty, nasty + "a", nasty + "b"));
    CHECK(string_at(doc, "event") == "pusher:subscribe");
    CHECK(string_at(doc["data"], "channel") == nasty);
    CHECK(string_at(doc["data"], "auth") == nasty + "a");
    CHECK(string_at(doc["data"], "channel_data") == nasty + "b");
  }
  SUBCASE("unsubscribe, ping, pong") {
    CHECK(string_at(parse(encode_unsubscribe(nasty))["data"], "channel") == nasty);
    CHECK(parse(encode_ping())["data"].IsObject());
    CHECK(string_at(parse(encode_pong()), "event") == "pusher:pong");
  }
  SUBCASE("signin") {
    const auto doc = parse(encode_signin(nasty, nasty + "u"));
    CHECK(string_at(doc["data"], "auth") == nasty);
    CHECK(string_at(doc["data"], "user_data") == nasty + "u");
  }
  SUBCASE("client event, through our own decoder too") {
    const std::string wire = encode_client_event(nasty, "client-" + nasty, R"({"k":"\u20ac"})");
    const auto doc = parse(wire);
    CHECK(string_at(doc, "channel") == nasty);
    CHECK(string_at(doc["data"], "k") == "\xE2\x82\xAC");
    const auto decoded = decode(wire);
    REQUIRE(std::holds_alternative<Inbound>(decoded));
    const auto& event = std::get<ChannelEvent>(std::get<Inbound>(decoded));
    CHECK(event.event == "client-" + nasty);
    CHECK(event.channel == nasty);
    CHECK(event.data == "{\"k\":\"\xE2\x82\xAC\"}");
  }
  SUBCASE("our ping decodes as a Ping") {
    const auto decoded = decode(encode_ping());
    REQUIRE(std::holds_alternative<Inbound>(decoded));
    CHECK(std::holds_alternative<Ping>(std::get<Inbound>(decoded)));
  }
}

}  // namespace pusher::detail::protocol
