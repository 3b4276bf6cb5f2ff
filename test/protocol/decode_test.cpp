// Test that the header is self-contained.
#include "protocol/message.hpp"

#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

namespace pusher::detail::protocol {
namespace {

/// One line of text per decode result, so that tables compare whole results at once.
inline std::string render(const std::variant<Inbound, DecodeFailure>& result) {
  if (const auto* failure = std::get_if<DecodeFailure>(&result)) {
    return "DecodeFailure{" + failure->message + "}";
  }
  std::ostringstream out;
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ConnectionEstablished>) {
          out << "ConnectionEstablished{" << m.socket_id << "|" << m.activity_timeout << "}";
        } else if constexpr (std::is_same_v<T, Ping>) {
          out << "Ping{}";
        } else if constexpr (std::is_same_v<T, Pong>) {
          out << "Pong{}";
        } else if constexpr (std::is_same_v<T, ServerError>) {
          out << "ServerError{" << m.code << "|" << m.message << "|" << m.channel << "}";
        } else if constexpr (std::is_same_v<T, SubscriptionSucceeded>) {
          out << "SubscriptionSucceeded{" << m.channel << "|" << m.has_presence << "|" << m.count;
          for (const Member& member : m.members) out << "|" << member.id << "=" << member.info;
          out << "}";
        } else if constexpr (std::is_same_v<T, SubscriptionError>) {
          out << "SubscriptionError{" << m.channel << "|" << m.type << "|" << m.error << "|"
              << m.status << "}";
        } else if constexpr (std::is_same_v<T, SubscriptionCount>) {
          out << "SubscriptionCount{" << m.channel << "|" << m.count << "}";
        } else if constexpr (std::is_same_v<T, MemberAdded>) {
          out << "MemberAdded{" << m.channel << "|" << m.member.id << "=" << m.member.info << "}";
        } else if constexpr (std::is_same_v<T, MemberRemoved>) {
          out << "MemberRemoved{" << m.channel << "|" << m.user_id << "}";
        } else if constexpr (std::is_same_v<T, SigninSuccess>) {
          out << "SigninSuccess{" << m.user_data << "}";
        } else if constexpr (std::is_same_v<T, CacheMiss>) {
          out << "CacheMiss{" << m.channel << "}";
        } else if constexpr (std::is_same_v<T, ChannelEvent>) {
          out << "ChannelEvent{" << m.event << "|" << m.channel << "|" << m.data << "|"
              << m.has_data << "|" << m.user_id << "}";
        } else {
          static_assert(std::is_same_v<T, Ignored>);
          out << "Ignored{" << m.event << "}";
        }
      },
      std::get<Inbound>(result));
  return out.str();
}

/// A decode case: the wire text and the expected render() of its result.
struct Case {
  const char* what;
  std::string wire;
  std::string expected;
};

void check_table(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    CAPTURE(c.wire);
    CHECK(render(decode(c.wire)) == c.expected);
  }
}

std::string failure_of(std::string_view wire) {
  const auto result = decode(wire);
  REQUIRE(std::holds_alternative<DecodeFailure>(result));
  return std::get<DecodeFailure>(result).message;
}

std::string nested(char open, std::size_t depth) {
  return std::string(depth, open);
}

}  // namespace

TEST_CASE("connection_established with data as string, object and absent") {
  check_table({
      {"Pusher: string data",
       R"j({"event":"pusher:connection_established","data":"{\"socket_id\":\"123.456\",)j"
       R"j(\"activity_timeout\":120}"})j",
       "ConnectionEstablished{123.456|120}"},
      {"object data",
       R"j({"event":"pusher:connection_established","data":{"socket_id":"1.2",)j"
       R"j("activity_timeout":30}})j",
       "ConnectionEstablished{1.2|30}"},
      {"keys in any order, whitespace",
       " {\n \"data\" : \"{\\\"activity_timeout\\\":30,\\\"socket_id\\\":\\\"9.9\\\"}\" ,"
       " \"event\" : \"pusher:connection_established\" } \n",
       "ConnectionEstablished{9.9|30}"},
      {"activity_timeout missing is 0: the caller decides",
       R"j({"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\"}"})j",
       "ConnectionEstablished{1.2|0}"},
      {"activity_timeout as numeric string",
       R"j({"event":"pusher:connection_established","data":{"socket_id":"1.2",)j"
       R"j("activity_timeout":"45"}})j",
       "ConnectionEstablished{1.2|45}"},
      {"negative activity_timeout is absent",
       R"j({"event":"pusher:connection_established","data":{"socket_id":"1.2",)j"
       R"j("activity_timeout":-5}})j",
       "ConnectionEstablished{1.2|0}"},
      {"huge activity_timeout is clamped",
       R"j({"event":"pusher:connection_established","data":{"socket_id":"1.2",)j"
       R"j("activity_timeout":1e12}})j",
       "ConnectionEstablished{1.2|2147483647}"},
      {"absent data", R"j({"event":"pusher:connection_established"})j",
       "DecodeFailure{connection_established without socket_id}"},
      {"string data that is not JSON",
       R"j({"event":"pusher:connection_established","data":"socket 1.2"})j",
       "DecodeFailure{connection_established without socket_id}"},
      {"numeric socket_id",
       R"j({"event":"pusher:connection_established","data":{"socket_id":1.2}})j",
       "DecodeFailure{connection_established without socket_id}"},
      {"empty socket_id", R"j({"event":"pusher:connection_established","data":{"socket_id":""}})j",
       "DecodeFailure{connection_established without socket_id}"},
  });
}

TEST_CASE("ping and pong with data as object, string and absent") {
  check_table({
      {"pusher-js ping", R"j({"event":"pusher:ping","data":{}})j", "Ping{}"},
      {"Reverb/Java ping without data", R"j({"event":"pusher:ping"})j", "Ping{}"},
      {"string data ping", R"j({"event":"pusher:ping","data":"{}"})j", "Ping{}"},
      {"soketi pong", R"j({"event":"pusher:pong","data":{}})j", "Pong{}"},
      {"Reverb pong", R"j({"event":"pusher:pong"})j", "Pong{}"},
      {"string data pong", R"j({"event":"pusher:pong","data":"{}"})j", "Pong{}"},
      {"junk data is irrelevant", R"j({"event":"pusher:pong","data":"x"})j", "Pong{}"},
  });
}

TEST_CASE("pusher:error from soketi, Reverb and Pusher") {
  check_table({
      {"soketi: object data",
       R"j({"event":"pusher:error","data":{"code":4001,"message":"App key 1 does not exist."}})j",
       "ServerError{4001|App key 1 does not exist.|}"},
      {"Reverb: string-encoded",
       R"j({"event":"pusher:error","data":"{\"code\":4009,)j"
       R"j(\"message\":\"Connection is unauthorized\"}"})j",
       "ServerError{4009|Connection is unauthorized|}"},
      {"code is optional", R"j({"event":"pusher:error","data":{"message":"Over quota"}})j",
       "ServerError{0|Over quota|}"},
      {"code null", R"j({"event":"pusher:error","data":{"code":null,"message":"m"}})j",
       "ServerError{0|m|}"},
      {"with a channel",
       R"j({"event":"pusher:error","channel":"private-a","data":{"code":4301,"message":"Rate"}})j",
       "ServerError{4301|Rate|private-a}"},
      {"absent data", R"j({"event":"pusher:error"})j", "ServerError{0||}"},
      {"plain-text string", R"j({"event":"pusher:error","data":"Invalid message format"})j",
       "ServerError{0|Invalid message format|}"},
      {"double-encoded string", R"j({"event":"pusher:error","data":"\"oops\""})j",
       "ServerError{0|oops|}"},
  });
}

TEST_CASE("subscription_succeeded: non-presence and presence") {
  check_table({
      {"soketi: no data",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"private-a"})j",
       "SubscriptionSucceeded{private-a|0|0}"},
      {"Reverb/Pusher: \"{}\"",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"a","data":"{}"})j",
       "SubscriptionSucceeded{a|0|0}"},
      {"object {}",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"a","data":{}})j",
       "SubscriptionSucceeded{a|0|0}"},
      {"presence, string data",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":"{)j"
       R"j(\"presence\":{\"ids\":[\"2\",\"1\"],\"hash\":{\"1\":{\"name\":\"Ann\"},\"2\":{)j"
       R"j(\"name\":\"Bo\"}},\"count\":2}}"})j",
       R"(SubscriptionSucceeded{presence-x|1|2|2={"name":"Bo"}|1={"name":"Ann"}})"},
      {"presence, object data, numeric ids",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":{)j"
       R"j("presence":{"ids":[7,18446744073709551615],"hash":{"7":{"n":1.5},)j"
       R"j("18446744073709551615":null},"count":2}}})j",
       R"(SubscriptionSucceeded{presence-x|1|2|7={"n":1.5}|18446744073709551615=})"},
      {"id without hash entry (user_info undefined), then hash-only ids, duplicates once",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":{)j"
       R"j("presence":{"ids":["a","b","a"],"hash":{"c":"s","a":[1]}}}})j",
       R"(SubscriptionSucceeded{presence-x|1|3|a=[1]|b=|c="s"})"},
      {"Reverb: a member without user_id empties the payload",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":"{)j"
       R"j(\"presence\":{\"count\":0,\"ids\":[],\"hash\":[]}}"})j",
       "SubscriptionSucceeded{presence-x|1|0}"},
      {"without channel", R"j({"event":"pusher_internal:subscription_succeeded","data":"{}"})j",
       "DecodeFailure{subscription_succeeded without channel}"},
  });
}

TEST_CASE("subscription_error, subscription_count, cache_miss") {
  check_table({
      {"soketi AuthError",
       R"j({"event":"pusher:subscription_error","channel":"private-a","data":{"type":"AuthError",)j"
       R"j("error":"The connection is unauthorized.","status":401}})j",
       "SubscriptionError{private-a|AuthError|The connection is unauthorized.|401}"},
      {"soketi LimitReached, string data",
       R"j({"event":"pusher:subscription_error","channel":"a","data":"{\"type\":\"LimitReached\",)j"
       R"j(\"error\":\"too long\",\"status\":4009}"})j",
       "SubscriptionError{a|LimitReached|too long|4009}"},
      {"absent data", R"j({"event":"pusher:subscription_error","channel":"a"})j",
       "SubscriptionError{a|||0}"},
      {"count, string data",
       R"j({"event":"pusher_internal:subscription_count","channel":"a","data":"{)j"
       R"j(\"subscription_count\":12}"})j",
       "SubscriptionCount{a|12}"},
      {"count, object data",
       R"j({"event":"pusher_internal:subscription_count","channel":"a","data":{)j"
       R"j("subscription_count":3}})j",
       "SubscriptionCount{a|3}"},
      {"count, absent data", R"j({"event":"pusher_internal:subscription_count","channel":"a"})j",
       "SubscriptionCount{a|0}"},
      {"count without channel",
       R"j({"event":"pusher_internal:subscription_count","data":{"subscription_count":3}})j",
       "DecodeFailure{subscription_count without channel}"},
      {"Reverb cache_miss", R"j({"event":"pusher:cache_miss","channel":"cache-a"})j",
       "CacheMiss{cache-a}"},
      {"cache_miss with data", R"j({"event":"pusher:cache_miss","channel":"cache-a","data":"{}"})j",
       "CacheMiss{cache-a}"},
      {"cache_miss without channel", R"j({"event":"pusher:cache_miss","data":{}})j",
       "DecodeFailure{cache_miss without channel}"},
  });
}

TEST_CASE("member_added and member_removed") {
  check_table({
      {"added, string data",
       R"j({"event":"pusher_internal:member_added","channel":"presence-x","data":"{)j"
       R"j(\"user_id\":\"3\",\"user_info\":{\"name\":\"Cy\"}}"})j",
       R"(MemberAdded{presence-x|3={"name":"Cy"}})"},
      {"added, object data (Reverb < 1.5.1), numeric id",
       R"j({"event":"pusher_internal:member_added","channel":"presence-x","data":{"user_id":42,)j"
       R"j("user_info":{"a":[1,2]}}})j",
       R"(MemberAdded{presence-x|42={"a":[1,2]}})"},
      {"added without user_info",
       R"j({"event":"pusher_internal:member_added","channel":"presence-x","data":{)j"
       R"j("user_id":"3"}})j",
       "MemberAdded{presence-x|3=}"},
      {"added without user_id",
       R"j({"event":"pusher_internal:member_added","channel":"presence-x","data":{"user_info":{)j"
       R"j(}}})j",
       "DecodeFailure{member_added without user_id}"},
      {"added, absent data", R"j({"event":"pusher_internal:member_added","channel":"presence-x"})j",
       "DecodeFailure{member_added without user_id}"},
      {"removed, string data",
       R"j({"event":"pusher_internal:member_removed","channel":"presence-x","data":"{)j"
       R"j(\"user_id\":\"3\"}"})j",
       "MemberRemoved{presence-x|3}"},
      {"removed, object data, numeric id",
       R"j({"event":"pusher_internal:member_removed","channel":"presence-x","data":{)j"
       R"j("user_id":-7}})j",
       "MemberRemoved{presence-x|-7}"},
      {"removed without channel",
       R"j({"event":"pusher_internal:member_removed","data":{"user_id":"3"}})j",
       "DecodeFailure{member_removed without channel}"},
      {"removed, absent data",
       R"j({"event":"pusher_internal:member_removed","channel":"presence-x"})j",
       "DecodeFailure{member_removed without user_id}"},
  });
}

TEST_CASE("signin_success") {
  check_table({
      {"object data",
       R"j({"event":"pusher:signin_success","data":{"user_data":"{\"id\":\"1\",\"user_info\":{)j"
       R"j(}}"}})j",
       R"(SigninSuccess{{"id":"1","user_info":{}}})"},
      {"string data",
       R"j({"event":"pusher:signin_success","data":"{\"user_data\":\"{\\\"id\\\":\\\"1\\\"}\"}"})j",
       R"(SigninSuccess{{"id":"1"}})"},
      {"user_data as an object",
       R"j({"event":"pusher:signin_success","data":{"user_data":{"id":"1"}}})j",
       R"(SigninSuccess{{"id":"1"}})"},
      {"absent data", R"j({"event":"pusher:signin_success"})j",
       "DecodeFailure{signin_success without user_data}"},
  });
}

TEST_CASE("unknown pusher:* and pusher_internal:* events are ignored") {
  check_table({
      {"sockudo delta", R"j({"event":"pusher:delta","data":{"x":1}})j", "Ignored{pusher:delta}"},
      {"watchlist", R"j({"event":"pusher_internal:watchlist_events","data":"{\"events\":[]}"})j",
       "Ignored{pusher_internal:watchlist_events}"},
      {"no data", R"j({"event":"pusher:resume_success"})j", "Ignored{pusher:resume_success}"},
      {"bare prefix", R"j({"event":"pusher:"})j", "Ignored{pusher:}"},
      {"client-only name on the wire",
       R"j({"event":"pusher:subscription_succeeded","channel":"a"})j",
       "Ignored{pusher:subscription_succeeded}"},
      {"not quite the prefix", R"j({"event":"pusher","channel":"a"})j",
       "ChannelEvent{pusher|a||0|}"},
      {"not quite the prefix", R"j({"event":"pusher_internal","channel":"a"})j",
       "ChannelEvent{pusher_internal|a||0|}"},
  });
}

TEST_CASE("channel events keep their data unparsed") {
  check_table({
      {"Pusher server event",
       R"j({"event":"my-event","channel":"my-channel","data":"{\"message\":\"hello world\"}"})j",
       R"(ChannelEvent{my-event|my-channel|{"message":"hello world"}|1|})"},
      {"Laravel broadcast",
       R"j({"event":"App\\Events\\MessageSent","channel":"chat","data":"{\"text\":\"h\u00e9\"}"})j",
       "ChannelEvent{App\\Events\\MessageSent|chat|{\"text\":\"h\xC3\xA9\"}|1|}"},
      {"Reverb client event: object data, numeric user_id",
       R"j({"event":"client-typing","channel":"presence-chat","data":{"name":"Ann",)j"
       R"j("typing":true},"user_id":1})j",
       R"(ChannelEvent{client-typing|presence-chat|{"name":"Ann","typing":true}|1|1})"},
      {"Pusher client event: string user_id",
       R"j({"event":"client-x","channel":"presence-c","data":"{}","user_id":"u-1"})j",
       "ChannelEvent{client-x|presence-c|{}|1|u-1}"},
      {"data absent", R"j({"event":"e","channel":"c"})j", "ChannelEvent{e|c||0|}"},
      {"empty string data", R"j({"event":"e","channel":"c","data":""})j", "ChannelEvent{e|c||1|}"},
      {"non-JSON string data is kept", R"j({"event":"e","channel":"c","data":"hi {"})j",
       "ChannelEvent{e|c|hi {|1|}"},
      {"numbers byte for byte",
       R"j({"event":"e","channel":"c","data":{"a":1.50,"b":-0,"c":1E+2}})j",
       R"(ChannelEvent{e|c|{"a":1.50,"b":-0,"c":1E+2}|1|})"},
      {"top-level number data", R"j({"event":"e","data":42})j", "ChannelEvent{e||42|1|}"},
      {"top-level literal data", R"j({"event":"e","data":false})j", "ChannelEvent{e||false|1|}"},
      {"null data", R"j({"event":"e","data":null})j", "ChannelEvent{e||null|1|}"},
      {"array data, compacted", "{\"event\":\"e\",\"data\":[ 1 , {\"k\" : [ ] } ,\"x\" ]}",
       R"(ChannelEvent{e||[1,{"k":[]},"x"]|1|})"},
      {"escapes re-encoded in object data",
       R"j({"event":"e","data":{"q\"":"a\\b\n\u0001\u00e9\/"}})j",
       "ChannelEvent{e||{\"q\\\"\":\"a\\\\b\\n\\u0001\xC3\xA9/\"}|1|}"},
      {"escapes decoded in string data", R"j({"event":"e","data":"a\"b\\c\nd\u20ac\ud83d\ude00"})j",
       "ChannelEvent{e||a\"b\\c\nd\xE2\x82\xAC\xF0\x9F\x98\x80|1|}"},
      {"\\u0000 inside a string is data", R"j({"event":"e","data":"a\u0000b"})j",
       std::string("ChannelEvent{e||a\0b|1|}", 23)},
      {"custom server event without channel", R"j({"event":"broadcast","data":"x"})j",
       "ChannelEvent{broadcast||x|1|}"},
      {"null channel is absent", R"j({"event":"e","channel":null})j", "ChannelEvent{e|||0|}"},
      {"data before event, unknown members skipped",
       R"j({"data":"d","x":{"y":[1,{"z":null}]},"n":1,"channel":"c","event":"e","t":true})j",
       "ChannelEvent{e|c|d|1|}"},
      {"last duplicate wins", R"j({"event":"a","event":"b","data":{"x":1},"data":{"y":2}})j",
       R"(ChannelEvent{b||{"y":2}|1|})"},
      {"empty containers and separators",
       R"j({"event":"e","data":{"a":[],"b":{},"c":[[],[{}],""],"d":"","e":{"f":{}}}})j",
       R"(ChannelEvent{e||{"a":[],"b":{},"c":[[],[{}],""],"d":"","e":{"f":{}}}|1|})"},
      {"nested event/channel/data keys do not count",
       R"j({"x":{"data":"no","event":"no"},"data":{"event":"in","channel":"in"},"event":"out"})j",
       R"(ChannelEvent{out||{"event":"in","channel":"in"}|1|})"},
      {"non-string user_id ignored", R"j({"event":"e","user_id":{"id":1}})j",
       "ChannelEvent{e|||0|}"},
      {"UTF-8 event and channel", "{\"event\":\"\xC3\xA9v\",\"channel\":\"\xE2\x82\xAC\"}",
       "ChannelEvent{\xC3\xA9v|\xE2\x82\xAC||0|}"},
  });
}

// decode() reads the usual message (an object of string members, plain keys) in one pass of
// its own and leaves everything else to RapidJSON: both must give the same results.
TEST_CASE("string-only messages: the one-pass reader agrees with the general parser") {
  const std::string long_text(40, 'x');  // strings past 16 bytes take the vector loop
  check_table({
      {"whitespace everywhere", " \t{ \"event\" :\r\n\"e\" , \"channel\"\t:\"c\" ,\"data\": \"d\" } \n",
       "ChannelEvent{e|c|d|1|}"},
      {"every two-byte escape, short",
       R"j({"event":"e","data":"\"\\\/\b\f\n\r\t"})j", "ChannelEvent{e||\"\\/\b\f\n\r\t|1|}"},
      {"every two-byte escape, long",
       R"j({"event":"e","data":")j" + long_text + R"j(\"\\\/\b\f\n\r\t)j" + long_text + R"j("})j",
       "ChannelEvent{e||" + long_text + "\"\\/\b\f\n\r\t" + long_text + "|1|}"},
      {"escapes in every member",
       R"j({"event":"a\\b\u00e9","channel":"c\"1","user_id":"u\/2","data":"\u20ac"})j",
       "ChannelEvent{a\\b\xC3\xA9|c\"1|\xE2\x82\xAC|1|u/2}"},
      {"\\u: 1, 2, 3 and 4 UTF-8 bytes, upper and lower hex",
       R"j({"event":"e","data":"\u0041\u00E9\u20aC\uD83D\uDE00"})j",
       "ChannelEvent{e||A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|1|}"},
      {"a lone low surrogate is encoded as it is (RapidJSON 1.1.0)",
       R"j({"event":"e","data":"\udc00"})j", "ChannelEvent{e||\xED\xB0\x80|1|}"},
      {"unknown string members skipped, escapes and all",
       R"j({"x":"\"\u00e9\ud83d\ude00","event":"e","y":""})j", "ChannelEvent{e|||0|}"},
      {"repeated string members: the last counts",
       R"j({"event":"a","channel":"c1","data":"d1","event":"b","channel":"c2","data":"d2"})j",
       "ChannelEvent{b|c2|d2|1|}"},
      {"an escaped key is still a key", R"j({"ev\u0065nt":"e","d\u0061ta":"d"})j",
       "ChannelEvent{e||d|1|}"},
      {"data exactly at the end of a 16-byte block",
       R"j({"event":"e","data":")j" + std::string(16, 'y') + R"j("})j",
       "ChannelEvent{e||" + std::string(16, 'y') + "|1|}"},
      {"raw UTF-8 and DEL pass through", "{\"event\":\"e\",\"data\":\"\xF0\x9F\x98\x80\x7F\"}",
       "ChannelEvent{e||\xF0\x9F\x98\x80\x7F|1|}"},
      {"protocol event with string members",
       R"j({"event":"pusher_internal:subscription_succeeded","channel":"c","data":"{}"})j",
       "SubscriptionSucceeded{c|0|0}"},
      {"protocol name escaped", R"j({"event":"pusher\u003aping","data":"{}"})j", "Ping{}"},
  });
  // Errors inside strings keep RapidJSON's messages.
  CHECK(failure_of(R"j({"event":"e","data":"\x"})j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e","data":"\ud83d"})j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e","data":"\ud83d\u0041"})j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e","data":"\u12G4"})j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of("{\"event\":\"e\",\"data\":\"a\tb\"}").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of("{\"event\":\"e\",\"data\":\"" + long_text + "\x01\"}").rfind(
            "malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e","data":")j" + long_text).rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e",})j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"event":"e"} x)j").rfind("malformed JSON: ", 0) == 0);
  CHECK(failure_of(R"j({"channel":"c","data":"d"})j") == "missing event name");
}

// With SSSE3, a 16-byte block whose escapes are all \" and \\ is unescaped at once; other
// blocks stop at each escape. Every escape, run of backslashes and closing quote at every
// offset of a block, so that each crosses a block boundary somewhere.
TEST_CASE("escapes at every offset of a 16-byte block") {
  const std::string tail(40, 'z');
  const std::pair<std::string, std::string> escapes[] = {
      {R"(\")", "\""},         {R"(\\)", "\\"},           {R"(\\\")", "\\\""},
      {R"(\\\\)", "\\\\"},     {R"(\"\")", "\"\""},       {R"(\\\\\\\")", "\\\\\\\""},
      {R"(\/)", "/"},          {R"(\n)", "\n"},           {R"(\\n)", "\\n"},
      {R"(\u00e9)", "\xC3\xA9"}, {R"(\\u00e9)", "\\u00e9"}, {R"(a\"b\\c\"d\\e\"f)", "a\"b\\c\"d\\e\"f"},
  };
  for (std::size_t k = 0; k <= 40; ++k) {
    const std::string head(k, 'y');
    for (const auto& [escaped, plain] : escapes) {
      CAPTURE(k);
      CAPTURE(escaped);
      CHECK(render(decode(R"j({"event":"e","data":")j" + head + escaped + tail + R"j("})j")) ==
            "ChannelEvent{e||" + head + plain + tail + "|1|}");
      // The closing quote right after the escape, and the string then ending the message.
      CHECK(render(decode(R"j({"event":"e","data":")j" + head + escaped + R"j("})j")) ==
            "ChannelEvent{e||" + head + plain + "|1|}");
      CHECK(render(decode(R"j({"data":")j" + head + escaped + R"j(","event":"e"})j")) ==
            "ChannelEvent{e||" + head + plain + "|1|}");
    }
    CAPTURE(k);
    CHECK(failure_of(R"j({"event":"e","data":")j" + head + R"j(\x)j" + tail + R"j("})j")
              .rfind("malformed JSON: ", 0) == 0);
    CHECK(failure_of(R"j({"event":"e","data":")j" + head + R"j(\\\x)j" + tail + R"j("})j")
              .rfind("malformed JSON: ", 0) == 0);
    CHECK(failure_of(R"j({"event":"e","data":")j" + head + "\\\"\x01" + tail + R"j("})j")
              .rfind("malformed JSON: ", 0) == 0);
    CHECK(failure_of(R"j({"event":"e","data":")j" + head + R"j(\")j").rfind("malformed JSON: ", 0) ==
          0);
  }
}

// The Service decodes every message into one Inbound: each result must be what a fresh
// decode gives, whatever the message before it left there.
TEST_CASE("decoding into a used Inbound gives what a fresh decode gives") {
  const std::string long_data(300, 'x');
  const std::vector<std::string> wires = {
      R"({"event":"client-typing","channel":"presence-room","data":"{}","user_id":"7"})",
      R"({"event":"App\\Events\\MessageSent","channel":"chat","data":")" + long_data + R"("})",
      R"({"event":"e","channel":"c"})",                         // no data, no user_id
      R"({"event":"e","data":{"a":[1,2.50,"\u00e9"]}})",         // the RapidJSON path
      R"({"event":"e","channel":"c","data":"short","user_id":"8"})",
      R"({"event":"pusher:ping","data":"{}"})",
      R"({"event":"e","data":"after a ping"})",
      R"({"event":"pusher_internal:subscription_succeeded","channel":"c","data":"{}"})",
      R"({"event":"e","data":"\"x\""})",
      R"({"event":)",                                            // malformed
      R"({"event":"e","channel":"c2","data":"after a failure"})",
      R"({"event":"e","data":"z","data":"repeated: the last counts"})",
  };
  Inbound into;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& wire : wires) {
      CAPTURE(wire);
      DecodeFailure failure;
      const bool ok = decode(wire, into, failure);
      const std::string fresh = render(decode(wire));
      if (ok) {
        CHECK(render(std::variant<Inbound, DecodeFailure>(into)) == fresh);
      } else {
        CHECK("DecodeFailure{" + failure.message + "}" == fresh);
      }
    }
  }
}

TEST_CASE("a channel event decoded into a used Inbound keeps its strings' capacity") {
  Inbound into;
  DecodeFailure failure;
  const std::string first = R"({"event":"App\\Events\\MessageSent","channel":"private-chat.1","data":")" +
                            std::string(200, 'a') + R"("})";
  REQUIRE(decode(first, into, failure));
  const auto& event = std::get<ChannelEvent>(into);
  const char* data = event.data.data();
  const char* name = event.event.data();
  REQUIRE(decode(R"({"event":"App\\Events\\MessageRead","channel":"private-chat.1","data":"short"})",
                 into, failure));
  REQUIRE(std::holds_alternative<ChannelEvent>(into));
  CHECK(std::get<ChannelEvent>(into).data == "short");
  CHECK(std::get<ChannelEvent>(into).event == "App\\Events\\MessageRead");
  CHECK(std::get<ChannelEvent>(into).data.data() == data);
  CHECK(std::get<ChannelEvent>(into).event.data() == name);
}

TEST_CASE("malformed input is a DecodeFailure with a clear message") {
  check_table({
      {"empty", "", "DecodeFailure{empty message}"},
      {"not an object: array", "[]", "DecodeFailure{not a JSON object}"},
      {"not an object: number", "42", "DecodeFailure{not a JSON object}"},
      {"not an object: string", R"("pusher:ping")", "DecodeFailure{not a JSON object}"},
      {"not an object: null", "null", "DecodeFailure{not a JSON object}"},
      {"missing event", R"j({"channel":"a","data":"x"})j", "DecodeFailure{missing event name}"},
      {"empty object", "{}", "DecodeFailure{missing event name}"},
      {"event is a number", R"j({"event":42})j", "DecodeFailure{event name is not a string}"},
      {"event is null", R"j({"event":null})j", "DecodeFailure{event name is not a string}"},
      {"event is an object", R"j({"event":{"a":1}})j", "DecodeFailure{event name is not a string}"},
      {"channel is a number", R"j({"event":"e","channel":5})j",
       "DecodeFailure{channel is not a string}"},
      {"channel is an array", R"j({"event":"e","channel":["a"]})j",
       "DecodeFailure{channel is not a string}"},
  });
  const std::vector<std::string> malformed = {
      " ",
      "{",
      R"j({"event":"pusher:ping")j",
      R"j({"event":"my-event","channel":"c","data":"{\"a\":)j",
      R"j({"event":"e",})j",
      R"j({"event":"e"} {"event":"f"})j",
      R"j({"event":"e"} x)j",
      R"j({'event':'e'})j",
      R"j({"event":"e\x"})j",
      R"j({"event":"e\u12"})j",
      R"j({"event":"e\ud800"})j",
      R"j({"event":"e","data":NaN})j",
      R"j({"event":"e","data":01})j",
      R"j({"event":"e" /* c */})j",
      "{\"event\":\"a\nb\"}",
      std::string("\xFF\xFE\x00\x01garbage", 11),
      std::string("\x1F\x8B\x08\x00", 4),
  };
  for (const std::string& wire : malformed) {
    CAPTURE(wire);
    CHECK(failure_of(wire).rfind("malformed JSON: ", 0) == 0);
  }
}

TEST_CASE("every truncation of a valid message fails cleanly") {
  const std::string wire =
      R"j({"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":{)j"
      R"j("presence":{"ids":["1"],"hash":{"1":{"n":"\u00e9"}},"count":1}}})j";
  REQUIRE(std::holds_alternative<Inbound>(decode(wire)));
  for (std::size_t size = 0; size < wire.size(); ++size) {
    CAPTURE(size);
    CHECK(std::holds_alternative<DecodeFailure>(decode(wire.substr(0, size))));
  }
}

TEST_CASE("a NUL byte cannot hide trailing content") {
  CHECK(failure_of(std::string("{\"event\":\"e\"}\0junk", 18)) == "NUL byte in message");
  CHECK(failure_of(std::string("{\"event\":\"e\"}\0", 14)) == "NUL byte in message");
  CHECK(failure_of(std::string("{\"event\":\"e\0\"}", 14)).rfind("malformed JSON", 0) == 0);
}

TEST_CASE("nesting bombs fail without exhausting the stack") {
  SUBCASE("100000 '[' at the top") {
    CHECK(failure_of(nested('[', 100000)) == "not a JSON object");
  }
  SUBCASE("100000 '[' in data") {
    CHECK(failure_of(R"j({"event":"e","data":)j" + nested('[', 100000)) ==
          "JSON nested too deeply");
  }
  SUBCASE("100000 '{' in an unknown member") {
    std::string wire = R"j({"event":"e","x":)j";
    for (int i = 0; i < 100000; ++i) wire += R"j({"a":)j";
    CHECK(failure_of(wire) == "JSON nested too deeply");
  }
  SUBCASE("a bomb inside the data string of a channel event is just text") {
    const std::string bomb = nested('[', 100000);
    const auto result = decode(R"j({"event":"e","data":")j" + bomb + "\"}");
    REQUIRE(std::holds_alternative<Inbound>(result));
    CHECK(std::get<ChannelEvent>(std::get<Inbound>(result)).data == bomb);
  }
  SUBCASE("a bomb inside the data string of internal events is not JSON") {
    const std::string bomb = nested('[', 100000);
    CHECK(failure_of(R"j({"event":"pusher:connection_established","data":")j" + bomb + "\"}") ==
          "connection_established without socket_id");
    CHECK(failure_of(R"j({"event":"pusher_internal:member_added","channel":"p","data":")j" + bomb +
                     "\"}") == "member_added without user_id");
    CHECK(render(decode(R"j({"event":"pusher:error","data":")j" + bomb + "\"}")) ==
          "ServerError{0|" + bomb + "|}");
    const std::string deep_info = R"j({\"presence\":{\"ids\":[\"1\"],\"hash\":{\"1\":)j" + bomb +
                                  std::string(100000, ']') + "}}}";
    CHECK(render(decode(
              R"j({"event":"pusher_internal:subscription_succeeded","channel":"p","data":")j" +
              deep_info + "\"}")) == "SubscriptionSucceeded{p|0|0}");
  }
}

TEST_CASE("depth limit boundary") {
  // The envelope object is level 1, so data may open kMaxJsonDepth - 1 levels.
  auto wire = [](int levels) {
    return R"j({"event":"e","data":)j" + nested('[', levels) + std::string(levels, ']') + "}";
  };
  const auto ok = decode(wire(63));
  REQUIRE(std::holds_alternative<Inbound>(ok));
  CHECK(std::get<ChannelEvent>(std::get<Inbound>(ok)).data.size() == 126);
  CHECK(failure_of(wire(64)) == "JSON nested too deeply");
}

TEST_CASE("huge inputs") {
  SUBCASE("over the limit fails before parsing") {
    const std::string huge(kMaxDecodeBytes + 1, ' ');
    CHECK(failure_of(huge).find("over the limit") != std::string::npos);
  }
  SUBCASE("a large message decodes, and the next small one still does") {
    const std::string big(4u << 20, 'x');
    const auto result = decode(R"j({"event":"e","data":")j" + big + "\"}");
    REQUIRE(std::holds_alternative<Inbound>(result));
    CHECK(std::get<ChannelEvent>(std::get<Inbound>(result)).data == big);
    CHECK(render(decode(R"j({"event":"pusher:ping"})j")) == "Ping{}");
  }
}

TEST_CASE("decode is thread-safe") {
  const std::string wire = R"j({"event":"e","channel":"c","data":"{\"i\":1}"})j";
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (std::size_t t = 0; t < good.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        good[t] += render(decode(wire)) == R"(ChannelEvent{e|c|{"i":1}|1|})" ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const int count : good) CHECK(count == 2000);
}

}  // namespace pusher::detail::protocol
