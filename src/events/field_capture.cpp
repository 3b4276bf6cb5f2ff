#include "events/field_capture.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <system_error>
#include <type_traits>

#include <rapidjson/reader.h>

namespace pusher::detail::events {
namespace {

using Type = Scalar::Type;

// A rank orders the candidates for one slot, lower first: the level (a preferred scope and
// everything below it, then the rest), then the alias of the object that holds the field,
// then the field's own alias. A repeated key keeps its first value.
constexpr std::uint32_t kOuterLevel = 1U << 16;
constexpr std::uint32_t kLevelMask = 0xFFFF0000U;

/// Scratch capacity kept for the next call; a larger buffer is released so that one huge
/// payload does not stay pinned in every thread that decoded it.
constexpr std::size_t kKeptScratchBytes = std::size_t{64} << 10;

/// The per-thread copy that in-place parsing writes into.
std::string& scratch(std::size_t needed) {
  thread_local std::string text;
  if (text.capacity() > kKeptScratchBytes && needed <= kKeptScratchBytes) std::string().swap(text);
  return text;
}

bool accepts(Want want, Type type) {
  switch (want) {
    case Want::kObject:
      return type == Type::kObject;
    case Want::kNotObject:
      return type != Type::kObject;
    case Want::kAny:
    case Want::kList:
      break;
  }
  return true;
}

bool is_blank(std::string_view data) {
  return data.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Parses the NUL-terminated `text` in place; false when it is not JSON or nests too deep.
bool parse_in_place(char* text, Capture& capture) {
  // In place: strings are unescaped inside `text` and viewed there. Without the iterative
  // flag the reader recurses, bounded by the capture refusing to open level kMaxDepth + 1.
  rapidjson::InsituStringStream stream(text);
  rapidjson::Reader reader;
  return !reader.Parse<rapidjson::kParseInsituFlag>(stream, capture).IsError();
}

/// Writes the decimal text of an integer into `out`, one character at a time: short texts
/// stay in the string's inline buffer, and no call or bulk copy reads back the digits just
/// written (which stalled on store forwarding).
template <typename Int>
void decimal(Int value, std::string& out) {
  using Unsigned = std::make_unsigned_t<Int>;
  auto magnitude = static_cast<Unsigned>(value);
  bool negative = false;
  if constexpr (std::is_signed_v<Int>) {
    negative = value < 0;
    if (negative) magnitude = static_cast<Unsigned>(Unsigned{0} - magnitude);
  }
  char digits[20];  // the longest 64-bit value: "18446744073709551615"
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  out.clear();
  if (negative) out.push_back('-');
  while (n > 0) out.push_back(digits[--n]);
}

/// Writes the decimal text of an integer into `out`; false for any other value.
bool integer_text(const Scalar& value, std::string& out) {
  if (value.type == Type::kInt) {
    decimal(value.int_value, out);
  } else if (value.type == Type::kUint) {
    decimal(value.uint_value, out);
  } else {
    return false;
  }
  return true;
}

/// Writes an id (a string, or an integer as its decimal text) into `out`; false for any
/// other value.
bool id_text(const Scalar& value, std::string& out) {
  if (value.type != Type::kString) return integer_text(value, out);
  out.assign(value.chars, value.length);
  return true;
}

constexpr char kAnId[] = "a string or an integer";
constexpr char kIdList[] = "an array of strings and integers";

}  // namespace

// ---- Capture -------------------------------------------------------------------------------

bool Capture::Bool(bool b) {
  if (Scalar* v = target(Type::kBool)) v->boolean = b;
  return true;
}

bool Capture::Int64(std::int64_t i) {
  if (Scalar* v = target(Type::kInt)) v->int_value = i;
  return true;
}

bool Capture::Uint64(std::uint64_t u) {
  if (Scalar* v = target(Type::kUint)) v->uint_value = u;
  return true;
}

bool Capture::Double(double d) {
  if (Scalar* v = target(Type::kDouble)) v->double_value = d;
  return true;
}

bool Capture::String(const char* s, rapidjson::SizeType n, bool /*copy*/) {
  if (Scalar* v = target(Type::kString)) {
    v->chars = s;
    v->length = n;
  }
  return true;
}

const Alias* Capture::find(const Scope& scope, Type type) const {
  for (std::size_t i = 0; i < scope.count; ++i) {
    const Alias& alias = scope.aliases[i];
    if (same(alias.key, key_) && accepts(alias.want, type)) return &alias;
  }
  return nullptr;
}

Scalar* Capture::claim(std::uint8_t slot, std::uint32_t rank) {
  const std::uint32_t bit = 1U << slot;
  if ((present_ & bit) != 0 && ranks_[slot] <= rank) return nullptr;
  present_ |= bit;
  ranks_[slot] = rank;
  return &values_[slot];
}

std::string Capture::path(const Scalar* value) const {
  std::size_t slot = 0;
  while (slot < kMaxSlots && (value == nullptr || value != get(slot))) ++slot;
  if (slot == kMaxSlots) return {};
  // The rank holds the way back: its level (inside the root's preferred object or not), the
  // index + 1 of the object holding the field (0 for none), then the field's own index.
  const std::uint32_t rank = ranks_[slot];
  std::string out;
  const auto add = [&out](std::string_view key) {
    if (!out.empty()) out += '.';
    out += key;
  };
  const Scope* scope = root_scope_;
  if ((rank & kLevelMask) == 0 && !scope->preferred) {
    // Scopes hold one preferred object at most (Laravel's nested `message`).
    const Alias* first = scope->aliases;
    const Alias* object = std::find_if(first, first + scope->count, [](const Alias& alias) {
      return alias.child != nullptr && alias.child->preferred;
    });
    if (object == first + scope->count) return {};
    add(object->key);
    scope = object->child;
  }
  if (const std::uint32_t holder = rank >> 8 & 0xFFU; holder != 0) {
    const Alias& object = scope->aliases[holder - 1];
    if (object.child == nullptr) return {};
    add(object.key);
    scope = object.child;
  }
  add(scope->aliases[rank & 0xFFU].key);
  return out;
}

Scalar* Capture::target(Type type) {
  Scalar* out = nullptr;
  if (depth_ == 0) {
    out = &root_;
  } else if (const Frame& top = frames_[depth_ - 1]; top.list) {
    out = &list_.emplace_back();  // an element that is no id is refused later
  } else if (top.scope != nullptr && type != Type::kNull) {
    if (const Alias* alias = find(*top.scope, type)) {
      const auto index = static_cast<std::uint32_t>(alias - top.scope->aliases);
      out = claim(alias->slot, top.rank_base + index);
    }
  }
  if (out != nullptr) out->type = type;
  return out;
}

bool Capture::open(Type type) {
  if (depth_ == kMaxDepth) {
    too_deep_ = true;
    return false;
  }
  Frame frame{nullptr, 0, false};
  if (depth_ == 0) {
    root_.type = type;
    if (type == Type::kObject) frame.scope = root_scope_;
    frame.rank_base = root_scope_->preferred ? 0 : kOuterLevel;
  } else if (const Frame& top = frames_[depth_ - 1]; top.list) {
    list_.emplace_back().type = type;  // refused as an id later
  } else if (top.scope != nullptr) {
    frame = open_field(top, type);
  }
  frames_[depth_++] = frame;
  return true;
}

Capture::Frame Capture::open_field(const Frame& top, Type type) {
  Frame frame{nullptr, 0, false};
  const Alias* alias = find(*top.scope, type);
  if (alias == nullptr) return frame;
  const auto index = static_cast<std::uint32_t>(alias - top.scope->aliases);
  Scalar* slot = claim(alias->slot, top.rank_base + index);
  if (slot == nullptr) return frame;
  slot->type = type;
  frame.scope = type == Type::kObject ? alias->child : nullptr;
  frame.list = type == Type::kArray && alias->want == Want::kList;
  if (frame.list) {
    list_.clear();  // a better-ranked list replaces a worse one
  }
  const bool preferred = frame.scope != nullptr && frame.scope->preferred;
  frame.rank_base = preferred ? 0 : (top.rank_base & kLevelMask) | (index + 1) << 8;
  return frame;
}

// ---- Parsing -------------------------------------------------------------------------------

Payload parse_payload(std::string_view data, Capture& capture) {
  if (is_blank(data)) return Payload::kEmpty;
  // The in-place parser stops at a NUL; JSON text never holds one raw, so refuse it rather
  // than accept whatever precedes it.
  if (std::memchr(data.data(), '\0', data.size()) != nullptr) return Payload::kInvalid;
  std::string& text = scratch(data.size());
  text.assign(data.data(), data.size());
  const auto failed = [&capture] {
    return capture.too_deep() ? Payload::kTooDeep : Payload::kInvalid;
  };
  if (!parse_in_place(text.data(), capture)) return failed();
  if (capture.root().type == Type::kString) {
    // In place, the string's characters are in `text`, NUL-terminated: parse them there.
    const std::string_view inner = capture.root().string();
    if (inner.empty() || std::memchr(inner.data(), '\0', inner.size()) != nullptr)
      return Payload::kInvalid;
    capture.reset_root();
    if (!parse_in_place(const_cast<char*>(inner.data()), capture)) return failed();
  }
  switch (capture.root().type) {
    case Type::kNull:
      return Payload::kEmpty;
    case Type::kObject:
      return Payload::kObject;
    default:
      return Payload::kNotObject;
  }
}

const char* describe(Payload payload) {
  static_assert(kMaxDepth == 64, "the text below names the limit");
  switch (payload) {
    case Payload::kEmpty:
      return "the data is empty or JSON null";
    case Payload::kObject:
      return "the data is an object";
    case Payload::kInvalid:
      return "the data is not valid JSON";
    case Payload::kTooDeep:
      return "the data nests deeper than 64 levels";
    case Payload::kNotObject:
      break;
  }
  return "the data is not a JSON object";
}

// ---- FieldReader ---------------------------------------------------------------------------

void FieldReader::refuse(const Scalar* value, const char* expected) {
  if (!ok_) return;
  ok_ = false;
  refused_ = value;
  expected_ = expected;
}

void FieldReader::id(const Scalar* value, std::string& out) {
  if (value != nullptr && !id_text(*value, out)) refuse(value, kAnId);
}

void FieldReader::text(const Scalar* value, std::string& out) {
  if (value == nullptr) return;
  if (value->type == Type::kString) {
    out.assign(value->chars, value->length);
  } else {
    refuse(value, "a string");
  }
}

void FieldReader::time(const Scalar* value, std::string& out) {
  if (value == nullptr) return;
  if (value->type == Type::kString) {
    out.assign(value->chars, value->length);
  } else if (value->type == Type::kDouble) {
    out.resize(32);  // a double's shortest form takes at most 24
    const auto r = std::to_chars(out.data(), out.data() + out.size(), value->double_value);
    out.resize(static_cast<std::size_t>(r.ptr - out.data()));
  } else if (!integer_text(*value, out)) {
    refuse(value, "a string or a number");
  }
}

void FieldReader::flag(const Scalar* value, bool& out) {
  if (value == nullptr) return;
  if (value->type == Type::kBool) {
    out = value->boolean;
  } else {
    refuse(value, "a boolean");
  }
}

const Scalar* FieldReader::person_name(const Scalar* value, const Scalar* object_name) {
  if (value == nullptr || value->type == Type::kObject) return object_name;
  if (value->type == Type::kString) return value;
  refuse(value, "an object or a string");
  return nullptr;
}

void FieldReader::ids(const Scalar* value, const ScalarList& list, std::vector<std::string>& out) {
  if (value == nullptr) return;
  if (value->type != Type::kArray) {
    refuse(value, kIdList);
    return;
  }
  out.reserve(out.size() + list.size() + 1);
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string& text = out.emplace_back();
    if (!id_text(list[i], text)) {
      refuse(value, kIdList);  // the array, which has a path; an element has none
      return;
    }
    if (text.empty()) out.pop_back();
  }
}

}  // namespace pusher::detail::events
