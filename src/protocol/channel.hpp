#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pusher::detail::protocol {

/// What a channel name's prefix makes it (Pusher docs, "Channel types"); cache- variants map
/// to their base.
enum class ChannelKind { public_channel, private_channel, private_encrypted, presence };

/// Longest channel name Pusher accepts, prefixes included (Pusher docs, "Channel naming
/// conventions").
inline constexpr std::size_t kMaxChannelNameLength = 164;

/// The kind of channel `name` denotes.
ChannelKind channel_kind(std::string_view name);

/// True for `cache-`, `private-cache-`, `private-encrypted-cache-` and `presence-cache-` names.
bool is_cache_channel(std::string_view name);

/// "" if `name` is valid, else why not: 1..164 characters of `A-Z a-z 0-9 _ - = @ , . ;`,
/// and a leading '#' is reserved for server-internal channels.
std::string validate_channel_name(std::string_view name);

/// "public", "private", "private-encrypted" or "presence".
std::string_view to_string(ChannelKind kind);

}  // namespace pusher::detail::protocol
