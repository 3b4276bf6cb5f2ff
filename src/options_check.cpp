// validate_options: every Options field checked where the caller can see the mistake, at
// construction, rather than deep in a loop task later.
#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

#include "options_check.hpp"

namespace pusher::detail {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw std::invalid_argument("Options::" + field + " " + why);
}

bool has_control(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Text that goes into a URL or an HTTP header line: no control characters (a CR or LF would
// split the request; a stray newline from a config file is the usual one) and no spaces.
void check_token(const std::string& field, const std::string& value, bool allow_space = false) {
  if (has_control(value)) bad(field, "contains a control character (CR, LF, tab or NUL?): '" + value + "'");
  if (!allow_space && value.find(' ') != std::string::npos) bad(field, "contains a space: '" + value + "'");
}

void check_endpoint(const std::string& field, const std::string& host, int port,
                    const std::string& path) {
  check_token(field + "host", host);
  if (host.find_first_of("/?#@") != std::string::npos) {
    bad(field + "host", "must be a host name or address, not a URL: '" + host + "'");
  }
  if (port < 0 || port > 65535) bad(field + "port", "must be 0-65535, not " + std::to_string(port));
  check_token(field + "path", path);
  if (path.find_first_of("?#") != std::string::npos) bad(field + "path", "must not hold '?' or '#'");
}

void check_fields(const std::string& field, const Fields& fields, bool names_are_headers) {
  for (const auto& [name, value] : fields) {
    check_token(field + " name", name);
    if (names_are_headers && name.find(':') != std::string::npos) bad(field, "name holds ':': '" + name + "'");
    if (has_control(value)) bad(field, "value of " + name + " contains a control character");
  }
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

// Extra upgrade headers: header fields, not empty, and none of the ones the WebSocket client
// writes itself (RFC 6455 §4.1): a second Sec-WebSocket-Key or Upgrade breaks the handshake.
void check_upgrade_headers(const Options& o) {
  check_fields("headers", o.headers, true);
  for (const auto& [name, value] : o.headers) {
    if (name.empty()) bad("headers", "has a header without a name");
    for (const char* own : {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
                            "Sec-WebSocket-Version", "Sec-WebSocket-Extensions"}) {
      if (same_name(name, own)) {
        bad("headers", "must not set " + name + ": the WebSocket client sets it");
      }
    }
    if (!o.origin.empty() && same_name(name, "Origin")) {
      bad("headers", "holds an Origin header and Options::origin is set too");
    }
  }
}

// Extra URL query parameters: percent-encoded when the URL is built, so only control
// characters (a stray newline from a config file) and nameless parameters are mistakes.
void check_query(const Fields& query) {
  for (const auto& [name, value] : query) {
    if (name.empty()) bad("query", "has a parameter without a name");
    if (has_control(name)) bad("query", "name contains a control character: '" + name + "'");
    if (has_control(value)) bad("query", "value of " + name + " contains a control character");
  }
}

void check_positive(const std::string& field, std::chrono::milliseconds value) {
  if (value.count() <= 0) bad(field, "must be more than 0 ms");
}

}  // namespace

void validate_options(const Options& o) {
  if (o.key.empty()) throw std::invalid_argument("Options::key is required");
  for (unsigned char c : o.key) {
    // App keys are letters and digits (Pusher's are hex); Reverb and soketi allow - _ . too.
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')) {
      bad("key", "may hold only letters, digits and -_.: ('" + o.key + "')");
    }
  }
  if (o.host.empty() && o.cluster.empty()) {
    throw std::invalid_argument("Options needs a server: set host (Reverb, soketi) or cluster (Pusher)");
  }
  if (!o.host.empty()) check_endpoint("", o.host, o.port, o.path);
  check_token("cluster", o.cluster);
  for (std::size_t i = 0; i < o.fallback_endpoints.size(); ++i) {
    const Endpoint& e = o.fallback_endpoints[i];
    std::string field = "fallback_endpoints[" + std::to_string(i) + "].";
    if (e.host.empty()) bad(field + "host", "is empty");
    check_endpoint(field, e.host, e.port, e.path);
  }
  check_token("origin", o.origin);
  check_upgrade_headers(o);
  check_query(o.query);
  if (has_control(o.ca_file)) bad("ca_file", "contains a control character");
  if (o.proxy && has_control(*o.proxy)) bad("proxy", "contains a control character");
  check_positive("connect_timeout", o.connect_timeout);
  check_positive("activity_timeout", o.activity_timeout);
  check_positive("pong_timeout", o.pong_timeout);
  check_positive("unavailable_timeout", o.unavailable_timeout);
  // Zero would let a server that keeps answering and failing get a reconnect loop with no wait.
  if (o.reconnect.initial_delay.count() <= 0) bad("reconnect.initial_delay", "must be positive");
  if (o.reconnect.retry_interval < std::chrono::milliseconds(10)) {
    bad("reconnect.retry_interval", "must be at least 10 ms");
  }
  if (o.reconnect.max_delay < o.reconnect.initial_delay) {
    bad("reconnect.max_delay", "must be at least reconnect.initial_delay");
  }
  if (o.max_message_size < 128) bad("max_message_size", "must be at least 128 bytes");
  if (o.max_client_event_size < 64) bad("max_client_event_size", "must be at least 64 bytes");
  if (o.write_buffer_limit < o.max_client_event_size) {
    bad("write_buffer_limit", "must be at least max_client_event_size");
  }
  if (o.outbound_queue_limit == 0) bad("outbound_queue_limit", "must be at least 1");
  if (o.client_events_per_second == 0) bad("client_events_per_second", "must be at least 1");
  if (o.max_presence_members == 0) bad("max_presence_members", "must be at least 1");
  check_token("auth.endpoint", o.auth.endpoint);
  check_fields("auth.headers", o.auth.headers, true);
  check_fields("auth.params", o.auth.params, false);
  check_token("auth.user_endpoint", o.auth.user_endpoint);
}

}  // namespace pusher::detail
