#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/json_writer.hpp"

namespace pusher::detail::protocol {

/// Deepest nesting of arrays and objects accepted anywhere. RapidJSON's parser and writer
/// recurse once per level, so a `[[[[...` bomb must be refused before it exhausts the stack.
inline constexpr int kMaxJsonDepth = 64;

/// SAX handler writing compact JSON through a JsonWriter. Numbers are copied verbatim when
/// parsed with kParseNumbersAsStringsFlag; typed numbers (a DOM's Accept) are written as
/// RapidJSON's Writer writes them.
class JsonAppender : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonAppender> {
 public:
  explicit JsonAppender(std::string& out) : writer_(out) {}

  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept fixes the names.
  bool Null() { return done(writer_.null()); }
  bool Bool(bool b) { return done(writer_.boolean(b)); }
  bool Int(int i) { return done(writer_.number(i)); }
  bool Uint(unsigned u) { return done(writer_.number(u)); }
  bool Int64(std::int64_t i) { return done(writer_.number(i)); }
  bool Uint64(std::uint64_t u) { return done(writer_.raw(std::to_string(u))); }
  bool Double(double d);
  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    return done(writer_.raw({s, n}));
  }
  bool String(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    return done(writer_.string({s, n}));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    return done(writer_.key({s, n}));
  }
  bool StartObject() { return done(writer_.begin_object()); }
  bool EndObject(rapidjson::SizeType /*members*/) { return done(writer_.end_object()); }
  bool StartArray() { return done(writer_.begin_array()); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return done(writer_.end_array()); }
  // NOLINTEND(readability-identifier-naming)

 private:
  static bool done(JsonWriter& /*writer*/) { return true; }

  JsonWriter writer_;
};

/// SAX filter forwarding every event to `Handler`, failing past kMaxJsonDepth levels.
template <typename Handler>
class DepthGuard {
 public:
  explicit DepthGuard(Handler& next) : next_(next) {}
  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept fixes the names.
  bool Null() { return next_.Null(); }
  bool Bool(bool b) { return next_.Bool(b); }
  bool Int(int i) { return next_.Int(i); }
  bool Uint(unsigned u) { return next_.Uint(u); }
  bool Int64(std::int64_t i) { return next_.Int64(i); }
  bool Uint64(std::uint64_t u) { return next_.Uint64(u); }
  bool Double(double d) { return next_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return next_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return next_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return next_.Key(s, n, copy); }
  bool StartObject() { return enter() && next_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return leave() && next_.EndObject(n); }
  bool StartArray() { return enter() && next_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return leave() && next_.EndArray(n); }
  // NOLINTEND(readability-identifier-naming)

 private:
  bool enter() { return ++depth_ <= kMaxJsonDepth; }
  bool leave() { return --depth_ >= 0; }

  Handler& next_;
  int depth_ = 0;
};

/// Parses `json` into `doc` (numbers as numbers); false if malformed, too deep or NUL-embedded.
bool parse_document(std::string_view json, rapidjson::Document& doc);

/// Writes `json` compactly into the empty string `out` (numbers byte for byte); false if
/// malformed or too deep, and then `out` holds a partial result.
bool compact_json(std::string_view json, std::string& out);

/// Compact JSON text of a DOM value (depth-bounded when it came from parse_document).
std::string to_json(const rapidjson::Value& value);

}  // namespace pusher::detail::protocol
