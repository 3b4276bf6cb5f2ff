#include "protocol/channel.hpp"

#include <cstdio>

namespace pusher::detail::protocol {
namespace {

/// True if `name` begins with `prefix`.
bool starts_with(std::string_view name, std::string_view prefix) {
  return name.compare(0, prefix.size(), prefix) == 0;
}

/// Characters Pusher allows in channel names (Pusher docs, "Channel naming conventions").
bool is_allowed(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '-':
    case '=':
    case '@':
    case ',':
    case '.':
    case ';':
      return true;
    default:
      return false;
  }
}

/// `c` quoted for a message, as `'x'` or as a hex byte when not printable.
std::string quoted(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", byte);
  return hex;
}

}  // namespace

ChannelKind channel_kind(std::string_view name) {
  // private-encrypted- is itself a private- prefix, so it is tested first.
  if (starts_with(name, "private-encrypted-")) return ChannelKind::private_encrypted;
  if (starts_with(name, "private-")) return ChannelKind::private_channel;
  if (starts_with(name, "presence-")) return ChannelKind::presence;
  return ChannelKind::public_channel;
}

bool is_cache_channel(std::string_view name) {
  return starts_with(name, "cache-") || starts_with(name, "private-cache-") ||
         starts_with(name, "private-encrypted-cache-") || starts_with(name, "presence-cache-");
}

std::string validate_channel_name(std::string_view name) {
  if (name.empty()) return "channel name is empty";
  if (name.size() > kMaxChannelNameLength) {
    return "channel name is " + std::to_string(name.size()) +
           " characters long, over the limit of " + std::to_string(kMaxChannelNameLength);
  }
  if (name.front() == '#') return "channel names starting with '#' are reserved";
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_allowed(name[i])) {
      return "channel name has the invalid character " + quoted(name[i]) + " at position " +
             std::to_string(i) + " (allowed: A-Z a-z 0-9 _ - = @ , . ;)";
    }
  }
  return {};
}

std::string_view to_string(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::public_channel:
      return "public";
    case ChannelKind::private_channel:
      return "private";
    case ChannelKind::private_encrypted:
      return "private-encrypted";
    case ChannelKind::presence:
      return "presence";
  }
  return "public";
}

}  // namespace pusher::detail::protocol
