#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pusher::detail::net {

/// A parsed `ws://` or `wss://` URL.
struct WsUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // always set: 80/443 when the URL has none
  bool port_given = false;  // the URL names the port (`:6001`)
  std::string target;  // path and query, at least "/"

  /// The URL libcurl connects to: `http[s]://host:port/target`.
  std::string http_url() const;
  /// The Host header value: host, with the port when it is not the scheme's default.
  std::string host_header() const;
};

/// Parses a WebSocket URL (RFC 6455 §3: `ws[s]://host[:port][/path][?query]`, no fragment,
/// no user info, IPv6 literals in brackets); on failure returns nullopt and sets `error` to
/// the reason. Refuses control characters and spaces anywhere.
std::optional<WsUrl> parse_ws_url(std::string_view url, std::string& error);

}  // namespace pusher::detail::net
