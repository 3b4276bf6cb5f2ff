#include "ws/handshake.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace pusher::detail::ws {
namespace {

// RFC 6455 §1.3: the GUID appended to the key before hashing.
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEndOfHeaders = "\r\n\r\n";

/// Standard base64 with padding.
std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// ASCII case-insensitive equality, as HTTP field names and these tokens require.
bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

/// Strips optional whitespace (SP, HTAB) from both ends (RFC 7230 §3.2.3).
std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// True when the comma-separated list `value` contains `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (true) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

void check_field(std::string_view what, std::string_view s) {
  if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument(std::string(what) + " contains CR, LF or NUL");
  }
}

/// What the header lines said, gathered before judging them.
struct Fields {
  int upgrade_count = 0;
  bool upgrade_websocket = false;
  bool connection_upgrade = false;
  int accept_count = 0;
  std::string_view accept;
  bool extensions = false;
};

HandshakeResponse reject(HandshakeResponse r, std::string why) {
  r.status = HandshakeResponse::Status::rejected;
  r.error = std::move(why);
  return r;
}

/// Reads "HTTP/1.1 101 Switching Protocols". Returns an empty string or why it is wrong.
std::string parse_status_line(std::string_view line, int& status) {
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  if (line.substr(0, kVersion.size()) != kVersion) return "expected an HTTP/1.1 status line";
  line.remove_prefix(kVersion.size());
  if (line.size() < 3 || (line.size() > 3 && line[3] != ' ')) return "malformed status line";
  status = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return "malformed status line";
    status = status * 10 + (line[i] - '0');
  }
  if (status != 101) return "expected status 101, got " + std::string(line);
  return {};
}

/// Reads the header lines into `f`. Returns an empty string or why they are malformed.
std::string parse_fields(std::string_view block, Fields& f) {
  while (!block.empty()) {
    const std::size_t eol = block.find(kCrlf);
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + kCrlf.size());
    const std::size_t colon = line.find(':');
    // Obsolete line folding (a line starting with whitespace) is rejected (RFC 7230 §3.2.4).
    if (colon == std::string_view::npos || colon == 0 || line[0] == ' ' || line[0] == '\t') {
      return "malformed header line";
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Upgrade")) {
      ++f.upgrade_count;
      f.upgrade_websocket = iequals(value, "websocket");
    } else if (iequals(name, "Connection")) {
      // Repeated Connection fields form one list (RFC 7230 §3.2.2).
      f.connection_upgrade = f.connection_upgrade || has_token(value, "upgrade");
    } else if (iequals(name, "Sec-WebSocket-Accept")) {
      ++f.accept_count;
      f.accept = value;
    } else if (iequals(name, "Sec-WebSocket-Extensions")) {
      f.extensions = true;
    }
  }
  return {};
}

/// Applies RFC 6455 §4.1 (client requirements 2-5) to the gathered fields.
std::string judge_fields(const Fields& f, std::string_view key) {
  if (f.upgrade_count != 1 || !f.upgrade_websocket) return "Upgrade is not websocket";
  if (!f.connection_upgrade) return "Connection lacks the upgrade token";
  if (f.accept_count == 0) return "Sec-WebSocket-Accept missing";
  if (f.accept_count > 1 || f.accept != accept_key(key)) return "Sec-WebSocket-Accept mismatch";
  if (f.extensions) return "Sec-WebSocket-Extensions present but none were offered";
  return {};
}

}  // namespace

std::string random_key() {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error("RAND_bytes failed");
  return base64(nonce, sizeof nonce);
}

std::string accept_key(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kAcceptGuid.size());
  input.append(key).append(kAcceptGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 failed");
  }
  return base64(digest, length);
}

std::string build_request(std::string_view host, std::string_view target, std::string_view key,
                          const std::vector<Header>& extra) {
  check_field("host", host);
  check_field("target", target);
  check_field("key", key);
  std::string out;
  out.reserve(160 + host.size() + target.size());
  out.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  out.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  out.append("\r\nSec-WebSocket-Version: 13\r\n");
  for (const Header& h : extra) {
    check_field("header name", h.name);
    check_field("header value", h.value);
    out.append(h.name).append(": ").append(h.value).append(kCrlf);
  }
  out.append(kCrlf);
  return out;
}

HandshakeResponse parse_response(std::string_view bytes, std::string_view key,
                                 std::size_t max_header_bytes) {
  HandshakeResponse r;
  // Anything but a status line is refused as soon as it shows, not after max_header_bytes.
  constexpr std::string_view kHttp = "HTTP/";
  const std::size_t prefix = std::min(bytes.size(), kHttp.size());
  if (bytes.substr(0, prefix) != kHttp.substr(0, prefix)) {
    return reject(r, "response does not start with an HTTP status line");
  }
  const std::size_t end = bytes.substr(0, max_header_bytes).find(kEndOfHeaders);
  if (end == std::string_view::npos) {
    if (bytes.size() < max_header_bytes) return r;
    return reject(r, "no end of headers within " + std::to_string(max_header_bytes) + " bytes");
  }
  r.consumed = end + kEndOfHeaders.size();
  const std::string_view head = bytes.substr(0, end);
  const std::size_t eol = head.find(kCrlf);
  std::string why = parse_status_line(head.substr(0, eol), r.http_status);
  Fields fields;
  if (why.empty() && eol != std::string_view::npos) {
    why = parse_fields(head.substr(eol + kCrlf.size()), fields);
  }
  if (why.empty()) why = judge_fields(fields, key);
  if (!why.empty()) return reject(r, std::move(why));
  r.status = HandshakeResponse::Status::accepted;
  return r;
}

}  // namespace pusher::detail::ws
