#include "protocol/message.hpp"

#include <string>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"

namespace pusher::detail::protocol {
namespace {

// Insitu: strings are unescaped inside the scratch copy and viewed there, with no allocation.
// Numbers as strings: a numeric `data` or `user_id` keeps its exact text.
constexpr unsigned kEnvelopeFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;

/// Scratch capacity kept for the next call; a larger buffer is released so that one huge
/// message does not stay pinned in every thread that decoded it.
constexpr std::size_t kKeptScratchBytes = std::size_t{256} << 10;

/// The top-level member whose value is being read.
enum class Field { other, event, channel, data, user_id };

/// Maps a top-level key to the member it names.
Field classify(std::string_view key) {
  if (key == "event") return Field::event;
  if (key == "channel") return Field::channel;
  if (key == "data") return Field::data;
  if (key == "user_id") return Field::user_id;
  return Field::other;
}

/// SAX handler reading the envelope in one pass: top-level strings are viewed in place, a
/// structured `data` is re-serialized compactly, other values are checked and dropped, and
/// nesting past kMaxJsonDepth stops the parse before it can exhaust the stack.
class EnvelopeReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, EnvelopeReader> {
 public:
  /// `data_json` receives a structured `data`; `size_hint` bounds its length.
  EnvelopeReader(std::string& data_json, std::size_t size_hint)
      : data_json_(data_json), appender_(data_json), size_hint_(size_hint) {}

  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept fixes the names.
  bool Null() { return in_data() ? appender_.Null() : scalar(Scalar::literal, "null"); }
  bool Bool(bool b) {
    return in_data() ? appender_.Bool(b) : scalar(Scalar::literal, b ? "true" : "false");
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return in_data() ? appender_.RawNumber(s, n, copy) : scalar(Scalar::number, {s, n});
  }
  bool String(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    return in_data() ? appender_.String(s, n, false) : scalar(Scalar::string, {s, n});
  }
  bool Key(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    if (depth_ == 1) {
      field_ = classify({s, n});
      return true;
    }
    return !in_data() || appender_.Key(s, n, false);
  }
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool EndObject(rapidjson::SizeType /*members*/) { return close(false); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return close(true); }
  // NOLINTEND(readability-identifier-naming)

  /// The members read so far.
  const Envelope& envelope() const { return envelope_; }
  /// Why the handler stopped the parse, or nullptr.
  const char* failure() const { return failure_; }

 private:
  enum class Scalar { string, number, literal };

  bool in_data() const { return depth_ > 1 && field_ == Field::data; }

  bool fail(const char* why) {
    failure_ = why;
    return false;
  }

  bool open(bool array) {
    if (depth_ == 0) {
      if (array) return fail("not a JSON object");
      depth_ = 1;
      return true;
    }
    if (depth_ >= kMaxJsonDepth) return fail("JSON nested too deeply");
    if (depth_ == 1 && !open_member()) return false;
    ++depth_;
    if (!in_data()) return true;
    return array ? appender_.StartArray() : appender_.StartObject();
  }

  /// An array or object as the value of a top-level member.
  bool open_member() {
    switch (field_) {
      case Field::event:
        return fail("event name is not a string");
      case Field::channel:
        return fail("channel is not a string");
      case Field::data:
        data_json_.clear();
        // Re-serializing never lengthens JSON: escapes are re-emitted at most as long.
        data_json_.reserve(size_hint_);
        envelope_.data_kind = DataKind::json;
        return true;
      case Field::user_id:
      case Field::other:
        return true;
    }
    return true;
  }

  bool close(bool array) {
    if (in_data() && !(array ? appender_.EndArray(0) : appender_.EndObject(0))) return false;
    --depth_;
    if (depth_ == 1 && field_ == Field::data) envelope_.data = data_json_;
    return true;
  }

  bool scalar(Scalar kind, std::string_view text) {
    if (depth_ == 0) return fail("not a JSON object");
    if (depth_ > 1) return true;
    switch (field_) {
      case Field::event:
        if (kind != Scalar::string) return fail("event name is not a string");
        envelope_.event = text;
        envelope_.has_event = true;
        return true;
      case Field::channel:
        if (kind == Scalar::string) envelope_.channel = text;
        return kind == Scalar::string || text == "null" || fail("channel is not a string");
      case Field::user_id:
        if (kind != Scalar::literal) envelope_.user_id = text;
        return true;
      case Field::data:
        envelope_.data_kind = kind == Scalar::string ? DataKind::string : DataKind::json;
        envelope_.data = text;
        return true;
      case Field::other:
        return true;
    }
    return true;
  }

  std::string& data_json_;
  JsonAppender appender_;
  std::size_t size_hint_;
  Envelope envelope_;
  Field field_ = Field::other;
  int depth_ = 0;
  const char* failure_ = nullptr;
};

/// Per-thread mutable copy of the input for insitu parsing.
class Scratch {
 public:
  explicit Scratch(std::string_view text) : buffer_(storage()) {
    buffer_.assign(text.data(), text.size());
  }
  ~Scratch() {
    if (buffer_.capacity() > kKeptScratchBytes) std::string().swap(buffer_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /// NUL-terminated, writable.
  char* data() { return buffer_.data(); }

 private:
  static std::string& storage() {
    thread_local std::string buffer;
    return buffer;
  }
  std::string& buffer_;
};

/// A DecodeFailure result.
DecodeResult failure(std::string message) {
  return DecodeFailure{std::move(message)};
}

/// Why the envelope parse failed: the handler's reason, else RapidJSON's.
std::string describe(const rapidjson::ParseResult& result, const EnvelopeReader& reader) {
  if (result.Code() == rapidjson::kParseErrorTermination && reader.failure() != nullptr) {
    return reader.failure();
  }
  return std::string("malformed JSON: ") + rapidjson::GetParseError_En(result.Code()) +
         " (offset " + std::to_string(result.Offset()) + ")";
}

/// Protocol events are named `pusher:*` or `pusher_internal:*`; all else is a channel event.
bool is_pusher_event(std::string_view event) {
  return event.compare(0, 7, "pusher:") == 0 || event.compare(0, 16, "pusher_internal:") == 0;
}

/// `data_json` holds the data when it was structured: then it is moved, not copied.
DecodeResult channel_event(const Envelope& envelope, std::string&& data_json) {
  ChannelEvent out;
  out.event.assign(envelope.event);
  out.channel.assign(envelope.channel);
  if (envelope.data.data() == data_json.data()) {
    out.data = std::move(data_json);
  } else {
    out.data.assign(envelope.data);
  }
  out.has_data = envelope.data_kind != DataKind::absent;
  out.user_id.assign(envelope.user_id);
  return Inbound{std::move(out)};
}

}  // namespace

std::variant<Inbound, DecodeFailure> decode(std::string_view text) {
  if (text.empty()) return failure("empty message");
  if (text.size() > kMaxDecodeBytes) {
    return failure("message of " + std::to_string(text.size()) + " bytes is over the limit of " +
                   std::to_string(kMaxDecodeBytes));
  }
  Scratch scratch(text);
  std::string data_json;
  EnvelopeReader handler(data_json, text.size());
  rapidjson::InsituStringStream stream(scratch.data());
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kEnvelopeFlags>(stream, handler);
  if (result.IsError()) return failure(describe(result, handler));
  // The stream ends at the first NUL; JSON text never contains a raw one.
  if (stream.Tell() != text.size()) return failure("NUL byte in message");
  const Envelope& envelope = handler.envelope();
  if (!envelope.has_event) return failure("missing event name");
  if (is_pusher_event(envelope.event)) return decode_pusher_event(envelope);
  return channel_event(envelope, std::move(data_json));
}

}  // namespace pusher::detail::protocol
