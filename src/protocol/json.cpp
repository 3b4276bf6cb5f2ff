#include "protocol/json.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/internal/dtoa.h>

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

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char unicode[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(unicode, sizeof unicode);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

bool JsonAppender::Double(double d) {
  // The shortest text that reads back as the same double (RapidJSON's Grisu2, as its Writer).
  char buffer[32];
  char* end = rapidjson::internal::dtoa(d, buffer);
  writer_.raw(std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
  return true;
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
  JsonAppender appender(out);
  value.Accept(appender);
  return out;
}

}  // namespace pusher::detail::protocol
