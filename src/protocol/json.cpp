#include "protocol/json.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace pusher::detail::protocol {
namespace {

using InputStream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

/// Runs `handler` over all of `json`. MemoryStream reports '\0' at its end, so a NUL inside
/// the text would silently end the document: the final position must be the real end.
template <unsigned kFlags, typename Handler>
bool parse_all(std::string_view json, Handler& handler) {
  rapidjson::MemoryStream memory(json.data(), json.size());
  InputStream stream(memory);
  DepthGuard<Handler> guard(handler);
  rapidjson::Reader reader;
  return !reader.Parse<kFlags>(stream, guard).IsError() && stream.Tell() == json.size();
}

}  // namespace

void JsonAppender::quote(std::string_view text) {
  out_->push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_->append(text.data() + run, i - run);
    escape(c);
    run = i + 1;
  }
  out_->append(text.data() + run, text.size() - run);
  out_->push_back('"');
}

void JsonAppender::escape(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  switch (c) {
    case '"':
      out_->append("\\\"");
      return;
    case '\\':
      out_->append("\\\\");
      return;
    case '\b':
      out_->append("\\b");
      return;
    case '\f':
      out_->append("\\f");
      return;
    case '\n':
      out_->append("\\n");
      return;
    case '\r':
      out_->append("\\r");
      return;
    case '\t':
      out_->append("\\t");
      return;
    default: {
      const char unicode[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out_->append(unicode, sizeof unicode);
    }
  }
}

bool parse_document(std::string_view json, rapidjson::Document& doc) {
  bool ok = false;
  auto generate = [&](rapidjson::Document& target) {
    ok = parse_all<rapidjson::kParseDefaultFlags>(json, target);
    return ok;
  };
  doc.Populate(generate);
  if (!ok) doc.SetNull();
  return ok;
}

bool compact_json(std::string_view json, std::string& out) {
  JsonAppender appender(out);
  return parse_all<rapidjson::kParseNumbersAsStringsFlag>(json, appender);
}

std::string to_json(const rapidjson::Value& value) {
  std::string out;
  StringSink sink(out);
  CompactWriter writer(sink);
  value.Accept(writer);
  return out;
}

}  // namespace pusher::detail::protocol
