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
  std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? "" : url.substr(slash);
  out.target = rest.empty() ? "/" : (rest[0] == '?' ? "/" + std::string(rest) : std::string(rest));
  out.port = out.tls ? 443 : 80;

  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in URL";
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "unexpected text after IPv6 address in URL";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  if (out.host.find('@') != std::string::npos) {
    error = "credentials in the URL are not supported";
    return std::nullopt;
  }
  if (!port_text.empty() && !parse_port(port_text, out.port)) {
    error = "invalid port in URL";
    return std::nullopt;
  }
  return out;
}

}  // namespace pusher::detail::net
