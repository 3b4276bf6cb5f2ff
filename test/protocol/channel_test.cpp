// Test that the header is self-contained.
#include "protocol/channel.hpp"

#include <string>

#include <doctest/doctest.h>

namespace pusher::detail::protocol {

TEST_CASE("channel kinds from prefixes") {
  struct Case {
    const char* name;
    ChannelKind kind;
    bool cache;
  };
  const Case cases[] = {
      {"chat", ChannelKind::public_channel, false},
      {"cache-chat", ChannelKind::public_channel, true},
      {"private-chat", ChannelKind::private_channel, false},
      {"private-cache-chat", ChannelKind::private_channel, true},
      {"private-encrypted-chat", ChannelKind::private_encrypted, false},
      {"private-encrypted-cache-chat", ChannelKind::private_encrypted, true},
      {"presence-chat", ChannelKind::presence, false},
      {"presence-cache-chat", ChannelKind::presence, true},
      // Only the full prefix with its dash counts (Reverb's dash-less match is its own quirk).
      {"private", ChannelKind::public_channel, false},
      {"privatechat", ChannelKind::public_channel, false},
      {"presence", ChannelKind::public_channel, false},
      {"private-encrypted", ChannelKind::private_channel, false},
      {"cache", ChannelKind::public_channel, false},
      {"cachechat", ChannelKind::public_channel, false},
      {"public-cache-chat", ChannelKind::public_channel, false},
      {"Private-chat", ChannelKind::public_channel, false},
      {"", ChannelKind::public_channel, false},
  };
  for (const Case& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    CHECK(channel_kind(c.name) == c.kind);
    CHECK(is_cache_channel(c.name) == c.cache);
  }
  CHECK(to_string(ChannelKind::public_channel) == "public");
  CHECK(to_string(ChannelKind::private_channel) == "private");
  CHECK(to_string(ChannelKind::private_encrypted) == "private-encrypted");
  CHECK(to_string(ChannelKind::presence) == "presence");
}

TEST_CASE("channel name validation") {
  const std::string longest(kMaxChannelNameLength, 'a');
  for (const std::string& valid :
       {std::string("a"), std::string("chat"), std::string("private-App.Models.User.1"),
        std::string("presence-room_1=2@3,4.5;6-7"), std::string("ABCxyz0189"), longest}) {
    CAPTURE(valid);
    CHECK(validate_channel_name(valid).empty());
  }
  struct Case {
    std::string name;
    const char* message;
  };
  const Case invalid[] = {
      {"", "channel name is empty"},
      {longest + "a", "channel name is 165 characters long, over the limit of 164"},
      {"#server-to-user-1", "channel names starting with '#' are reserved"},
      {"chat room",
       "channel name has the invalid character 0x20 at position 4 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {"a/b",
       "channel name has the invalid character '/' at position 1 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {"a:b",
       "channel name has the invalid character ':' at position 1 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {"a#",
       "channel name has the invalid character '#' at position 1 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {"caf\xC3\xA9",
       "channel name has the invalid character 0xC3 at position 3 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {std::string("a\0b", 3),
       "channel name has the invalid character 0x00 at position 1 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
      {"a\"b",
       "channel name has the invalid character '\"' at position 1 "
       "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"},
  };
  for (const Case& c : invalid) {
    CAPTURE(c.name);
    CHECK(validate_channel_name(c.name) == c.message);
  }
}

}  // namespace pusher::detail::protocol
