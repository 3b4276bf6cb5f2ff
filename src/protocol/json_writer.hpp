#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pusher::detail::protocol {

/// Appends `text` to `out` as a JSON string literal, quotes included, escaping what RFC 8259
/// §7 requires (quote, backslash, controls) and nothing else. `text` must be UTF-8.
void append_json_string(std::string& out, std::string_view text);

/// Writes compact JSON text at the end of a std::string: every JSON text the SDK builds goes
/// through it. Commas come by themselves: a value or key is preceded by one unless it is the
/// first of its container or follows a key. The caller keeps the nesting balanced.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(&out), start_(out.size()) {}

  JsonWriter& begin_object() { return token('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return token('['); }
  JsonWriter& end_array() { return close(']'); }
  /// `"name":`; a value must follow.
  JsonWriter& key(std::string_view name) {
    string(name);
    out_->push_back(':');
    return *this;
  }
  JsonWriter& string(std::string_view text) {
    separate();
    append_json_string(*out_, text);
    return *this;
  }
  /// Text that is already one JSON value (a number as written, a nested document...).
  JsonWriter& raw(std::string_view json) {
    separate();
    out_->append(json);
    return *this;
  }
  JsonWriter& number(std::int64_t value) { return raw(std::to_string(value)); }
  JsonWriter& boolean(bool value) { return raw(value ? "true" : "false"); }
  JsonWriter& null() { return raw("null"); }
  /// `"name":"value"`.
  JsonWriter& member(std::string_view name, std::string_view value) {
    return key(name).string(value);
  }

 private:
  void separate() {
    if (out_->size() == start_) return;
    const char last = out_->back();
    if (last != '{' && last != '[' && last != ':') out_->push_back(',');
  }
  JsonWriter& token(char c) {
    separate();
    out_->push_back(c);
    return *this;
  }
  JsonWriter& close(char c) {
    out_->push_back(c);
    return *this;
  }

  std::string* out_;
  std::size_t start_;
};

}  // namespace pusher::detail::protocol
