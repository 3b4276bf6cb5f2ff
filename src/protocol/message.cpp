#include "protocol/message.hpp"

#include <cstdint>
#include <string>
#include <utility>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define PUSHER_DECODE_SSE2 1
// The block unescape needs SSSE3's pshufb: compiled for it, used after a CPU check.
// PUSHER_DECODE_NO_SSSE3 leaves it out (to test the SSE2 path on a CPU that has SSSE3).
#if defined(__x86_64__) && !defined(PUSHER_DECODE_NO_SSSE3)
#include <tmmintrin.h>
#define PUSHER_DECODE_SSSE3 1
#endif
#endif

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

/// Per-thread buffer: the fast path's output for short members, the RapidJSON path's mutable
/// copy of the input for insitu parsing.
class Scratch {
 public:
  Scratch() : buffer_(storage()) {}
  ~Scratch() {
    if (buffer_.capacity() > kKeptScratchBytes) std::string().swap(buffer_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /// At least `size` writable bytes (contents unspecified).
  char* room(std::size_t size) {
    // Grown to its capacity, so that a later call does not zero the same bytes again.
    if (buffer_.size() < size) buffer_.resize(size < buffer_.capacity() ? buffer_.capacity() : size);
    return buffer_.data();
  }
  /// A copy of `text`: NUL-terminated, writable.
  char* copy(std::string_view text) {
    buffer_.assign(text.data(), text.size());
    return buffer_.data();
  }

 private:
  static std::string& storage() {
    thread_local std::string buffer;
    return buffer;
  }
  std::string& buffer_;
};

// ---------------------------------------------------------------------------------------
// Fast path for the common message: a JSON object whose members are all strings, with keys
// that need no unescaping (every channel event soketi, Reverb and Pusher relay with a string
// `data`). It reads the text once, unescaping each string straight into its output string:
// no scratch copy, no views to copy out. It accepts only what the RapidJSON path accepts and
// gives the same result; anything else (another value type, an escaped key, a lone surrogate,
// any error) returns false and the RapidJSON path below decides, error messages included.

/// Bytes that end a run of plain string text: quote, backslash and the control characters
/// RFC 8259 forbids unescaped (RapidJSON refuses them too).
inline bool special(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == '"' || c == '\\' || c < 0x20;
}

/// The first special byte in [p, end), or end.
inline const char* find_special(const char* p, const char* end) {
#ifdef PUSHER_DECODE_SSE2
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i last_control = _mm_set1_epi8(0x1F);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // min(v, 0x1F) == v exactly for the bytes 0x00-0x1F (unsigned).
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p != end && !special(*p)) ++p;
  return p;
}

/// The character a two-byte escape stands for (RapidJSON's table), or 0 when not one.
inline char simple_escape(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

/// The value of four hex digits at `p` (the caller checked they are there), or -1.
inline long hex4(const char* p) {
  long value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

/// Writes `cp` as UTF-8 at `w`, as RapidJSON's UTF8::Encode does; returns the end.
inline char* put_utf8(char* w, unsigned long cp) {
  if (cp <= 0x7F) {
    *w++ = static_cast<char>(cp);
  } else if (cp <= 0x7FF) {
    *w++ = static_cast<char>(0xC0 | (cp >> 6));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0xFFFF) {
    *w++ = static_cast<char>(0xE0 | (cp >> 12));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *w++ = static_cast<char>(0xF0 | (cp >> 18));
    *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return w;
}

/// Room unescape() needs at its output for input [p, end): unescaping never lengthens (an
/// escape of 2, 6 or 12 bytes gives 1, at most 3, or 4), plus one 16-byte store past the end.
inline std::size_t unescape_room(const char* p, const char* end) {
  return static_cast<std::size_t>(end - p) + 16;
}

/// Handles the special byte at `p` (unescape()'s loops stop there): copies an escape, or
/// ends the string. Returns 1 after the closing quote, 0 to go on, -1 for anything left to the
/// RapidJSON path: a control character, an invalid escape, a lone surrogate, no more input.
__attribute__((always_inline)) inline int unescape_special(const char*& p, const char* end,
                                                           char*& w) {
  if (*p == '"') {
    ++p;
    return 1;
  }
  if (*p != '\\' || end - p < 2) return -1;
  if (p[1] == '"' || p[1] == '\\') {  // the usual ones, in JSON inside a JSON string
    *w++ = p[1];
    p += 2;
    return 0;
  }
  if (const char plain = simple_escape(p[1]); plain != 0) {
    *w++ = plain;
    p += 2;
    return 0;
  }
  if (p[1] != 'u' || end - p < 6) return -1;
  long cp = hex4(p + 2);
  p += 6;
  if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return -1;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    // A high surrogate must be followed by an escaped low one.
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
    const long low = hex4(p + 2);
    if (low < 0xDC00 || low > 0xDFFF) return -1;
    cp = (((cp - 0xD800) << 10) | (low - 0xDC00)) + 0x10000;
    p += 6;
  }
  w = put_utf8(w, static_cast<unsigned long>(cp));
  return 0;
}

/// The scalar end of one unescape step: copies plain bytes up to the next special one (none
/// when `p` is at one already), then handles it as unescape_special() does; -1 also when the
/// input ends first.
__attribute__((always_inline)) inline int scalar_step(const char*& p, const char* end, char*& w) {
  while (p != end && !special(*p)) *w++ = *p++;
  if (p == end) return -1;
  return unescape_special(p, end, w);
}

/// Unescapes the rest of a JSON string whose opening quote is just before `p` into `out`,
/// which has unescape_room(p, end) bytes. Returns the position after the closing quote and
/// moves `out` past the last byte written, or returns nullptr for anything left to the
/// RapidJSON path: no closing quote, a control character, an invalid escape, a lone surrogate.
/// Stops at every special byte (SSE2 or plain C++); unescape_blocks() below is the fast one.
const char* unescape_each(const char* p, const char* end, char*& out) {
  char* w = out;  // a local: stores through char* could otherwise alias `out`
  for (;;) {
    // Copy up to the next quote, backslash or control character.
#ifdef PUSHER_DECODE_SSE2
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);  // all 16, the excess is overwritten
      const __m128i hits =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                       _mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v));
      const int mask = _mm_movemask_epi8(hits);
      if (mask != 0) {
        const int n = __builtin_ctz(static_cast<unsigned>(mask));
        p += n;
        w += n;
        break;
      }
      p += 16;
      w += 16;
    }
#endif
    const int step = scalar_step(p, end, w);
    if (step < 0) return nullptr;
    if (step > 0) {
      out = w;
      return p;
    }
  }
}

#ifdef PUSHER_DECODE_SSSE3
/// For each byte `m` (bit i: keep byte i of 8), the pshufb indices that pack the kept bytes
/// to the front, and how many there are.
struct PackTable {
  std::uint64_t indices[256];
  std::uint8_t count[256];
};

constexpr PackTable make_pack_table() {
  PackTable t{};
  for (unsigned m = 0; m < 256; ++m) {
    std::uint64_t indices = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if ((m >> i) & 1U) indices |= std::uint64_t{i} << (8 * n++);
    }
    t.indices[m] = indices;
    t.count[m] = static_cast<std::uint8_t>(n);
  }
  return t;
}

constexpr PackTable kPack = make_pack_table();

/// unescape() with SSSE3: a 16-byte block whose only escapes are `\"` and `\\` (the whole of
/// double-encoded JSON's) is unescaped without a branch per escape: its backslashes that
/// start an escape are dropped by one pshufb. Any other block (a control character, another
/// escape) goes through unescape_special() up to its first special byte, as unescape_each().
__attribute__((target("ssse3"))) const char* unescape_blocks(const char* p, const char* end,
                                                             char*& out) {
  char* w = out;
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i last_control = _mm_set1_epi8(0x1F);
  const __m128i high_half = _mm_set_epi64x(0x0808080808080808, 0);
  for (;;) {
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
      const auto slashes =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)));
      const auto controls = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v)));
      if ((quotes | slashes | controls) == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);
        p += 16;
        w += 16;
        continue;
      }
      if (controls == 0) {
        // The backslashes that start an escape: the first of a run, then every other one.
        // Usually no two are adjacent, and then all of them do.
        unsigned starts = slashes;
        if ((slashes & (slashes << 1)) != 0) {
          starts = 0;
          for (unsigned rest = slashes; rest != 0;) {
            const unsigned first = rest & (0U - rest);
            starts |= first;
            rest &= ~(first | (first << 1));
          }
        }
        const unsigned escaped = starts << 1;
        const unsigned closing = quotes & ~escaped;
        // The block's part handled here: up to the closing quote, else all of it, else (an
        // escape that starts at its last byte) all but that byte.
        unsigned length = 16;
        if (closing != 0) {
          length = static_cast<unsigned>(__builtin_ctz(closing));
        } else if ((starts & 0x8000U) != 0) {
          length = 15;
        }
        const unsigned part = (1U << length) - 1;
        if ((escaped & part & ~(quotes | slashes)) == 0) {
          const unsigned keep = ~starts & part;
          const __m128i order = _mm_add_epi8(
              _mm_set_epi64x(static_cast<long long>(kPack.indices[keep >> 8]),
                             static_cast<long long>(kPack.indices[keep & 0xFFU])),
              high_half);
          const __m128i packed = _mm_shuffle_epi8(v, order);
          _mm_storel_epi64(reinterpret_cast<__m128i*>(w), packed);
          w += kPack.count[keep & 0xFFU];
          _mm_storel_epi64(reinterpret_cast<__m128i*>(w), _mm_unpackhi_epi64(packed, packed));
          w += kPack.count[keep >> 8];
          p += length;
          if (closing != 0) {
            out = w;
            return p + 1;
          }
          continue;
        }
      }
      // Something else: up to the first special byte, then the general step.
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);  // all 16, the excess is overwritten
      const int n = __builtin_ctz(quotes | slashes | controls);
      p += n;
      w += n;
      break;
    }
    const int step = scalar_step(p, end, w);
    if (step < 0) return nullptr;
    if (step > 0) {
      out = w;
      return p;
    }
  }
}

/// Whether this CPU runs unescape_blocks() (read once, before main).
const bool kHaveSsse3 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") != 0;
}();
#endif

/// unescape_blocks() where the CPU has SSSE3, else unescape_each(); same contract.
inline const char* unescape(const char* p, const char* end, char*& out) {
#ifdef PUSHER_DECODE_SSSE3
  if (kHaveSsse3) return unescape_blocks(p, end, out);
#endif
  return unescape_each(p, end, out);
}

/// JSON whitespace (RapidJSON's SkipWhitespace).
inline const char* skip_space(const char* p, const char* end) {
  // Most calls find no whitespace at all: one compare rejects every printable byte.
  while (p != end && static_cast<unsigned char>(*p) <= ' ' &&
         (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
    ++p;
  }
  return p;
}

/// Decodes `text` into `out` when it is an object of string members with plain keys, one of
/// them `event`; false leaves the message to the RapidJSON path (`out` is then garbage).
/// `out` may hold an earlier message: its strings are emptied, their capacity kept.
/// `scratch` has unescape_room() for all of `text`.
bool decode_plain(std::string_view text, ChannelEvent& out, char* scratch) {
  out.event.clear();
  out.channel.clear();
  out.data.clear();
  out.has_data = false;
  out.user_id.clear();
  const char* p = text.data();
  const char* const end = p + text.size();
  p = skip_space(p, end);
  if (p == end || *p != '{') return false;
  p = skip_space(p + 1, end);
  bool has_event = false;
  for (;;) {
    if (p == end || *p != '"') return false;  // also `{}`: the RapidJSON path reports it
    const char* const key = ++p;
    p = find_special(p, end);
    if (p == end || *p != '"') return false;
    const Field field = classify({key, static_cast<std::size_t>(p - key)});
    p = skip_space(p + 1, end);
    if (p == end || *p != ':') return false;
    p = skip_space(p + 1, end);
    if (p == end || *p != '"') return false;
    ++p;
    if (field == Field::data) {
      // Unescaped straight into the result: one allocation, no copy.
      out.has_data = true;
      std::string& data = out.data;
      data.resize(unescape_room(p, end));
      char* w = data.data();
      p = unescape(p, end, w);
      if (p == nullptr) return false;
      data.resize(static_cast<std::size_t>(w - data.data()));
    } else {
      // Short members go through the scratch, to give their strings no more than they need.
      char* w = scratch;
      p = unescape(p, end, w);
      if (p == nullptr) return false;
      const std::size_t n = static_cast<std::size_t>(w - scratch);
      switch (field) {
        case Field::event:
          out.event.assign(scratch, n);  // a repeated member: the last one counts
          has_event = true;
          break;
        case Field::channel:
          out.channel.assign(scratch, n);
          break;
        case Field::user_id:
          out.user_id.assign(scratch, n);
          break;
        case Field::data:
        case Field::other:
          break;
      }
    }
    p = skip_space(p, end);
    if (p == end) return false;
    if (*p == '}') return has_event && skip_space(p + 1, end) == end;
    if (*p != ',') return false;
    p = skip_space(p + 1, end);
  }
}

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
  return event.size() >= 7 && event[0] == 'p' &&
         (event.compare(0, 7, "pusher:") == 0 || event.compare(0, 16, "pusher_internal:") == 0);
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

/// The RapidJSON path, for every message the fast path leaves: any JSON value, depth-bounded,
/// with its error messages.
DecodeResult decode_general(std::string_view text, Scratch& scratch) {
  if (text.empty()) return failure("empty message");
  if (text.size() > kMaxDecodeBytes) {
    return failure("message of " + std::to_string(text.size()) + " bytes is over the limit of " +
                   std::to_string(kMaxDecodeBytes));
  }
  std::string data_json;
  EnvelopeReader handler(data_json, text.size());
  rapidjson::InsituStringStream stream(scratch.copy(text));
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

}  // namespace

bool decode(std::string_view text, Inbound& into, DecodeFailure& failure) {
  auto* plain = std::get_if<ChannelEvent>(&into);
  if (plain == nullptr) plain = &into.emplace<ChannelEvent>();
  Scratch scratch;
  DecodeResult result;
  if (text.empty() || text.size() > kMaxDecodeBytes ||
      !decode_plain(text, *plain, scratch.room(text.size() + 16))) {
    result = decode_general(text, scratch);
  } else if (is_pusher_event(plain->event)) {
    Envelope envelope;
    envelope.event = plain->event;
    envelope.has_event = true;
    envelope.channel = plain->channel;
    envelope.user_id = plain->user_id;
    envelope.data_kind = plain->has_data ? DataKind::string : DataKind::absent;
    envelope.data = plain->data;
    result = decode_pusher_event(envelope);  // computed before `into` is replaced
  } else {
    return true;  // the usual message: a channel event, decoded where it is
  }
  if (auto* failed = std::get_if<DecodeFailure>(&result)) {
    failure = std::move(*failed);
    return false;
  }
  into = std::move(*std::get_if<Inbound>(&result));
  return true;
}

std::variant<Inbound, DecodeFailure> decode(std::string_view text) {
  // Built in place and returned by its name only (no move): usually a channel event.
  DecodeResult result(std::in_place_type<Inbound>, std::in_place_type<ChannelEvent>);
  DecodeFailure failure;
  if (!decode(text, *std::get_if<Inbound>(&result), failure)) result = std::move(failure);
  return result;
}

}  // namespace pusher::detail::protocol
