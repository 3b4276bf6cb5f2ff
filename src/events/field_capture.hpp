#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <rapidjson/rapidjson.h>

namespace pusher::detail::events {

/// One captured JSON value. Strings view the parsed text in place; an object or array is
/// noted by its type only (an object's own fields are captured into slots of their own).
/// Trivially constructible, so that arrays of them cost nothing until filled.
struct Scalar {
  enum class Type : std::uint8_t { kNull, kBool, kInt, kUint, kDouble, kString, kObject, kArray };
  Type type;
  union {
    bool boolean;
    std::int64_t int_value;
    std::uint64_t uint_value;
    double double_value;
    const char* chars;  ///< of a string, `length` long
  };
  std::size_t length;

  std::string_view string() const { return std::string_view(chars, length); }
};
static_assert(std::is_trivially_default_constructible_v<Scalar>);

/// Which values an alias takes; a value of another kind is not that alias. Lets one key play
/// two roles, as "message" does: an object to look into, or the text itself.
enum class Want : std::uint8_t {
  kAny,
  kObject,
  kNotObject,
  kList,  ///< any value; the scalar elements of an array are collected (Capture::list())
};

struct Scope;

/// One key that may hold a field (`slot`). In a scope, earlier aliases of a slot win.
struct Alias {
  std::string_view key;
  std::uint8_t slot;
  Want want = Want::kAny;
  const Scope* child = nullptr;  ///< the fields of an object value, if wanted
};

/// The keys of one JSON object that hold fields.
struct Scope {
  const Alias* aliases;
  std::size_t count;
  /// Fields found here, and in objects below, win over fields of the levels above: Laravel's
  /// nested `message` model has the message's own fields.
  bool preferred = false;
};

template <std::size_t N>
constexpr Scope make_scope(const std::array<Alias, N>& aliases, bool preferred = false) {
  static_assert(N < 255, "a field's rank holds alias indices in 8 bits (field_capture.cpp)");
  return Scope{aliases.data(), N, preferred};
}

/// The elements of a collected array: the first ones inline (no allocation), the rest on the
/// heap.
class ScalarList {
 public:
  std::size_t size() const { return size_; }
  const Scalar& operator[](std::size_t i) const {
    return i < kInline ? inline_[i] : more_[i - kInline];
  }
  Scalar& emplace_back() { return ++size_ <= kInline ? inline_[size_ - 1] : more_.emplace_back(); }
  void clear() {
    size_ = 0;
    more_.clear();
  }

 private:
  static constexpr std::size_t kInline = 32;
  std::array<Scalar, kInline> inline_;
  std::vector<Scalar> more_;
  std::size_t size_ = 0;
};

inline constexpr std::size_t kMaxSlots = 16;
/// Deepest nesting of arrays and objects accepted. Laravel payloads nest a few levels; the
/// parser recurses per level, so a `[[[[...` bomb must stop long before the stack does.
inline constexpr std::size_t kMaxDepth = 64;

/// SAX handler keeping, in one pass, the fields a scope names and nothing else; no DOM is
/// built. Strings view the in-place parsed text, which must outlive the capture.
class Capture {
 public:
  explicit Capture(const Scope& root) : root_scope_(&root) {}
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  /// The field in `slot`, nullptr when absent (JSON null counts as absent).
  const Scalar* get(std::size_t slot) const {
    return (present_ >> slot & 1U) != 0 ? &values_[slot] : nullptr;
  }
  /// Where a field returned by get() was, as keys joined by '.' ("message.user.id"), for
  /// Unknown::reason; "" for any other value. Read back from the field's rank, so that
  /// capturing stores nothing more for it.
  std::string path(const Scalar* value) const;
  /// Whether parsing stopped at nesting deeper than kMaxDepth.
  bool too_deep() const { return too_deep_; }
  /// The elements of the Want::kList array that won its slot.
  const ScalarList& list() const { return list_; }
  /// The top-level value; its string, for a double-encoded payload.
  const Scalar& root() const { return root_; }
  /// Forgets the top-level value, to parse a double-encoded payload's inner text.
  void reset_root() { root_.type = Scalar::Type::kNull; }

  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept fixes the names.
  bool Null() {
    target(Scalar::Type::kNull);
    return true;
  }
  bool Bool(bool b);
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Int64(std::int64_t i);
  bool Uint64(std::uint64_t u);
  bool Double(double d);
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // flag unused
  bool String(const char* s, rapidjson::SizeType n, bool copy);
  bool Key(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    key_ = std::string_view(s, n);
    return true;
  }
  bool StartObject() { return open(Scalar::Type::kObject); }
  bool EndObject(rapidjson::SizeType /*members*/) { return close(); }
  bool StartArray() { return open(Scalar::Type::kArray); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return close(); }
  // NOLINTEND(readability-identifier-naming)

 private:
  /// An open object or array. `scope` is nullptr when its contents are skipped.
  struct Frame {
    const Scope* scope;
    std::uint32_t rank_base;
    bool list;
  };

  /// Where a value of `type` goes (its type already set), or nullptr to ignore it. Values
  /// are written in place, field by field: a Scalar built and then copied was read back
  /// whole right after its parts were stored, which stalls on store forwarding.
  Scalar* target(Scalar::Type type);
  bool open(Scalar::Type type);
  /// The frame of an object or array opened as the value of a field of `top`.
  Frame open_field(const Frame& top, Scalar::Type type);
  bool close() {
    --depth_;
    return true;
  }
  /// The alias that `key_` in `scope` names for a value of `type`, or nullptr.
  const Alias* find(const Scope& scope, Scalar::Type type) const;
  /// `slot` to fill, or nullptr when a better-ranked alias already filled it.
  Scalar* claim(std::uint8_t slot, std::uint32_t rank);

  const Scope* root_scope_;
  Scalar root_{};
  std::string_view key_;
  std::size_t depth_ = 0;
  std::uint32_t present_ = 0;
  bool too_deep_ = false;
  std::array<Scalar, kMaxSlots> values_;
  std::array<std::uint32_t, kMaxSlots> ranks_;
  std::array<Frame, kMaxDepth> frames_;
  ScalarList list_;
};

/// Outcome of parsing a payload into a Capture.
enum class Payload {
  kEmpty,      ///< "", only whitespace, or JSON null
  kObject,     ///< an object: its fields are captured
  kInvalid,    ///< not JSON (or a NUL inside)
  kTooDeep,    ///< nests deeper than kMaxDepth
  kNotObject,  ///< JSON, but not an object (nor a string holding one)
};

/// What is wrong with a payload that is not an object, for Unknown::reason: "the data is
/// not valid JSON", "the data is not a JSON object", ...
const char* describe(Payload payload);

/// Parses `data` once, in place in a per-thread copy, into `capture`. A JSON string is parsed
/// once more: whispers can arrive double-encoded. The captured strings view that copy, so use
/// them before the next call on this thread.
Payload parse_payload(std::string_view data, Capture& capture);

/// Converts captured fields to text, written into the result's own strings (building them
/// elsewhere and moving them in stalled on store forwarding). An absent field (nullptr)
/// leaves `out` as it is; a value of the wrong type makes ok() false, which turns the event
/// into Unknown.
class FieldReader {
 public:
  bool ok() const noexcept { return ok_; }
  /// The first value refused, and what it should have been ("a string"), for
  /// Unknown::reason; nullptr while ok().
  const Scalar* refused() const noexcept { return refused_; }
  const char* expected() const noexcept { return expected_; }
  /// Fails on `value`, which is not `expected` (a static text); the checks that decoders
  /// make themselves fail through it too. The first refusal is kept.
  void refuse(const Scalar* value, const char* expected);

  /// An id: a string, or an integer as its decimal text (a fraction is not an id).
  void id(const Scalar* value, std::string& out);
  /// A string.
  void text(const Scalar* value, std::string& out);
  /// A time as sent: a string, or a number as its shortest decimal text.
  void time(const Scalar* value, std::string& out);
  /// A boolean; `out` is kept when absent.
  void flag(const Scalar* value, bool& out);
  /// The name of a person given as `value`: `value` itself when a string (`"user": "bob"`),
  /// else `object_name` (the "name" captured inside it). Anything but an object, a string
  /// or nothing fails.
  const Scalar* person_name(const Scalar* value, const Scalar* object_name);
  /// The ids of a list field (`value` its slot) appended to `out`; empty strings skipped.
  void ids(const Scalar* value, const ScalarList& list, std::vector<std::string>& out);

 private:
  bool ok_ = true;
  const Scalar* refused_ = nullptr;
  const char* expected_ = "";
};

/// `a == b` for short texts (keys, ids), compared inline: a memcmp call costs more, and
/// reading back bytes just written one by one (digits) stalls it on store forwarding.
inline bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

/// `first` if set, else `second`.
inline const Scalar* pick(const Scalar* first, const Scalar* second) {
  return first != nullptr ? first : second;
}

}  // namespace pusher::detail::events
