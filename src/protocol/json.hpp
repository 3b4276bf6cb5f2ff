#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

namespace pusher::detail::protocol {

/// Deepest nesting of arrays and objects accepted anywhere. RapidJSON's parser and writer
/// recurse once per level, so a `[[[[...` bomb must be refused before it exhausts the stack.
inline constexpr int kMaxJsonDepth = 64;

/// Output stream for rapidjson::Writer that appends to a std::string.
class StringSink {
 public:
  using Ch = char;
  explicit StringSink(std::string& out) : out_(&out) {}
  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Stream concept fixes the names.
  void Put(char c) { out_->push_back(c); }
  void Flush() {}
  // NOLINTEND(readability-identifier-naming)

 private:
  std::string* out_;
};

/// rapidjson::Writer for building outbound messages.
using CompactWriter = rapidjson::Writer<StringSink>;

/// SAX handler writing compact JSON into an initially empty string, escaping as
/// rapidjson::Writer does but copying unescaped runs in bulk (the Writer emits one character
/// at a time, a measurable cost when decoding object data). Numbers are copied verbatim, so
/// parse with kParseNumbersAsStringsFlag.
class JsonAppender : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonAppender> {
 public:
  explicit JsonAppender(std::string& out) : out_(&out) {}

  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept fixes the names.
  bool Null() { return literal("null"); }
  bool Bool(bool b) { return literal(b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    separate();
    out_->append(s, n);
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    separate();
    quote({s, n});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    String(s, n, copy);
    out_->push_back(':');
    return true;
  }
  bool StartObject() { return literal("{"); }
  bool EndObject(rapidjson::SizeType /*members*/) { return close('}'); }
  bool StartArray() { return literal("["); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return close(']'); }
  /// Typed numbers only come without kParseNumbersAsStringsFlag, which this handler needs.
  bool Default() { return false; }
  // NOLINTEND(readability-identifier-naming)

 private:
  /// A comma before every value or key except the first of its container: the output so far
  /// tells which, as a value can only follow an opening bracket, a colon or another value.
  void separate() {
    if (out_->empty()) return;
    const char last = out_->back();
    if (last != '{' && last != '[' && last != ':') out_->push_back(',');
  }
  bool literal(std::string_view text) {
    separate();
    out_->append(text);
    return true;
  }
  bool close(char bracket) {
    out_->push_back(bracket);
    return true;
  }
  void quote(std::string_view text);
  void escape(unsigned char c);

  std::string* out_;
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

/// Writes `text` as a JSON string, tolerating an empty view with a null data pointer.
inline bool write_string(CompactWriter& writer, std::string_view text) {
  return writer.String(text.empty() ? "" : text.data(),
                       static_cast<rapidjson::SizeType>(text.size()));
}

}  // namespace pusher::detail::protocol
