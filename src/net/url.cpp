#include "net/url.hpp"

#include <cctype>

namespace pusher::detail::net {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool parse_port(std::string_view digits, int& port) {
  if (digits.empty() || digits.size() > 5) return false;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return false;
  port = value;
  return true;
}

}  // namespace

std::string WsUrl::http_url() const {
  return std::string(tls ? "https://" : "http://") + bracketed(host) + ":" +
         std::to_string(port) + target;
}

std::string WsUrl::host_header() const {
  bool default_port = (tls && port == 443) || (!tls && port == 80);
  return default_port ? bracketed(host) : bracketed(host) + ":" + std::to_string(port);
}

std::optional<WsUrl> parse_ws_url(std::string_view url, std::string& error) {
  WsUrl out;
  if (starts_with_ci(url, "wss://")) {
    out.tls = true;
    url.remove_prefix(6);
  } else if (starts_with_ci(url, "ws://")) {
    url.remove_prefix(5);
  } else {
    error = "URL must start with ws:// or wss://";
    return std::nullopt;
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) {
      error = "URL contains a control character or a space";
      return std::nullopt;
    }
  }
  // RFC 6455 §3: fragment identifiers "MUST NOT be used" on WebSocket URIs.
  if (url.find('#') != std::string_view::npos) {
    error = "URL has a fragment (#): WebSocket URLs have none";
    return std::nullopt;
  }
  std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? "" : url.substr(slash);
  out.target = rest.empty() ? "/" : (rest[0] == '?' ? "/" + std::string(rest) : std::string(rest));
  out.port = out.tls ? 443 : 80;

  // RFC 6455 §3 has no user info: `user:password@` would otherwise read as a host and port.
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the URL are not supported";
    return std::nullopt;
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in URL";
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, close - 1));
    // RFC 3986 §3.2.2: brackets hold an IPv6 address (a name or IPv4 address goes without).
    if (!out.host.empty() && out.host.find(':') == std::string::npos) {
      error = "brackets in a URL are for IPv6 addresses only";
      return std::nullopt;
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "unexpected text after IPv6 address in URL";
        return std::nullopt;
      }
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (out.host.find(':') != std::string::npos) {
      error = "an IPv6 address in a URL must be in brackets, e.g. ws://[::1]:6001";
      return std::nullopt;
    }
    if (out.host.find_first_of("[]") != std::string::npos) {
      error = "misplaced bracket in the URL's host";
      return std::nullopt;
    }
  }
  if (out.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  if (has_port && !parse_port(port_text, out.port)) {
    error =
        port_text.empty() ? "URL has ':' but no port after it" : "invalid port in URL (1-65535)";
    return std::nullopt;
  }
  out.port_given = has_port;
  return out;
}

}  // namespace pusher::detail::net
