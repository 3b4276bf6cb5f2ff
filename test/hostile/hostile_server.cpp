#include "hostile_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <deque>
#include <map>
#include <random>

#include "ws/handshake.hpp"

namespace pusher::test::hostile {
namespace {

using Clock = std::chrono::steady_clock;

// Every blocking wait is cut into slices this long, so the stop flag is seen promptly.
constexpr auto kSlice = Millis(20);
// An upgrade request longer than this is not one.
constexpr std::size_t kMaxRequest = 16 * 1024;
// Bytes held from the client, and the largest client frame decoded.
constexpr std::size_t kMaxBuffered = std::size_t{32} << 20;
constexpr std::uint64_t kMaxClientFrame = std::uint64_t{16} << 20;

int slice_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
  return static_cast<int>(std::clamp(left, Millis(0), kSlice).count());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string sys_error(const char* what) {
  return std::string(what) + ": " + std::system_category().message(errno);
}

}  // namespace

// ---- ClientFrame / ConnLog ----

std::uint16_t ClientFrame::close_code() const {
  if (payload.empty()) return 1005;
  if (payload.size() < 2) return 0;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                    static_cast<unsigned char>(payload[1]));
}

std::string ClientFrame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : std::string();
}

std::uint16_t ConnLog::close_code() const {
  for (const auto& f : frames) {
    if (f.is_close()) return f.close_code();
  }
  return 0;
}

std::size_t ConnLog::texts_containing(std::string_view needle) const {
  std::size_t n = 0;
  for (const auto& f : frames) {
    if (f.is_text() && f.payload.find(needle) != std::string::npos) ++n;
  }
  return n;
}

// ---- Conn ----

Conn::Conn(HostileServer& server, int fd, int index) : server_(server), fd_(fd), index_(index) {}

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

bool Conn::stopping() const { return server_.stopping(); }

void Conn::record(const std::function<void(ConnLog&)>& f) {
  {
    std::lock_guard<std::mutex> lock(server_.mutex_);
    f(server_.logs_[static_cast<std::size_t>(index_)]);
  }
  server_.changed();
}

Conn::Wait Conn::fill(Clock::time_point deadline) {
  if (fd_ < 0 || peer_closed_) return Wait::closed;
  if (in_.size() >= kMaxBuffered) {
    record([](ConnLog& l) { l.bad_client_frame = true; });
    return Wait::closed;
  }
  for (;;) {
    if (stopping() || Clock::now() >= deadline) return Wait::timeout;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, slice_ms(deadline));
    if (rc < 0 && errno != EINTR) return Wait::closed;
    if (rc <= 0) continue;
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) {
      peer_closed_ = true;
      record([](ConnLog& l) { l.peer_closed = true; });
      return Wait::closed;
    }
    if (in_off_ > 0) {  // compact once per read, not once per frame
      in_.erase(0, in_off_);
      in_off_ = 0;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    record([n](ConnLog& l) { l.bytes_in += static_cast<std::size_t>(n); });
    return Wait::data;
  }
}

bool Conn::read_request(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  in_.erase(0, in_off_);
  in_off_ = 0;
  for (;;) {
    auto end = in_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string request = in_.substr(0, end + 4);
      in_.erase(0, end + 4);
      std::string low = lower(request);
      auto at = low.find("\r\nsec-websocket-key:");
      if (at != std::string::npos) {
        auto begin = at + std::strlen("\r\nsec-websocket-key:");
        auto stop = request.find("\r\n", begin);
        std::string key = request.substr(begin, stop - begin);
        key.erase(0, key.find_first_not_of(" \t"));
        key.erase(key.find_last_not_of(" \t") + 1);
        key_ = key;
      }
      request_ = request;
      record([&](ConnLog& l) { l.request = request; });
      return true;
    }
    if (in_.size() > kMaxRequest) return false;
    if (fill(deadline) != Wait::data) return false;
  }
}

std::string Conn::response_101(std::optional<std::string> accept) const {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         (accept ? *accept : pusher::detail::ws::accept_key(key_)) + "\r\n\r\n";
}

bool Conn::accept(Millis timeout) { return read_request(timeout) && send(response_101()); }

bool Conn::send(std::string_view bytes, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t off = 0;
  while (off < bytes.size()) {
    if (fd_ < 0 || stopping() || Clock::now() >= deadline) return false;
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, slice_ms(deadline));
      continue;
    }
    peer_closed_ = true;
    record([](ConnLog& l) { l.peer_closed = true; });
    return false;
  }
  return true;
}

bool Conn::drip(std::string_view bytes, std::chrono::microseconds gap) {
  for (char c : bytes) {
    if (!send(std::string_view(&c, 1))) return false;
    std::this_thread::sleep_for(gap);
  }
  return true;
}

std::optional<ClientFrame> Conn::take_frame() {
  const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + in_off_);
  const std::size_t n = in_.size() - in_off_;
  if (n < 2) return std::nullopt;
  ClientFrame f;
  f.fin = (p[0] & 0x80) != 0;
  f.rsv = static_cast<std::uint8_t>(p[0] & 0x70);
  f.opcode = static_cast<std::uint8_t>(p[0] & 0x0F);
  f.masked = (p[1] & 0x80) != 0;
  std::uint64_t len = p[1] & 0x7F;
  std::size_t at = 2;
  if (len == 126 || len == 127) {
    const std::size_t ext = len == 126 ? 2 : 8;
    if (n < at + ext) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < ext; ++i) len = (len << 8) | p[at + i];
    at += ext;
  }
  if (len > kMaxClientFrame) {
    record([](ConnLog& l) { l.bad_client_frame = true; });
    in_.clear();
    in_off_ = 0;
    peer_closed_ = true;  // nothing more can be decoded from this stream
    return std::nullopt;
  }
  unsigned char mask[4] = {0, 0, 0, 0};
  if (f.masked) {
    if (n < at + 4) return std::nullopt;
    std::memcpy(mask, p + at, 4);
    at += 4;
  }
  if (n < at + len) return std::nullopt;
  f.payload.assign(in_, in_off_ + at, static_cast<std::size_t>(len));
  if (f.masked) {
    for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] ^= static_cast<char>(mask[i % 4]);
  }
  in_off_ += at + static_cast<std::size_t>(len);
  if (in_off_ == in_.size()) {
    in_.clear();
    in_off_ = 0;
  }
  record([&](ConnLog& l) { l.frames.push_back(f); });
  return f;
}

std::optional<ClientFrame> Conn::next_frame(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto f = take_frame()) return f;
    if (fill(deadline) != Wait::data) return take_frame();
  }
}

std::optional<ClientFrame> Conn::wait_frame(const std::function<bool(const ClientFrame&)>& pred,
                                            Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left <= Millis(0)) return std::nullopt;
    auto f = next_frame(left);
    if (!f) return std::nullopt;
    if (pred(*f)) return f;
  }
}

std::optional<ClientFrame> Conn::wait_text(std::string_view needle, Millis timeout) {
  std::string n(needle);
  return wait_frame(
      [n](const ClientFrame& f) { return f.is_text() && f.payload.find(n) != std::string::npos; },
      timeout);
}

bool Conn::wait_peer_close(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    while (take_frame()) {
    }
    if (peer_closed_) return true;
    Wait w = fill(deadline);
    if (w == Wait::closed) {
      while (take_frame()) {
      }
      return peer_closed_;
    }
    if (w == Wait::timeout) return false;
  }
}

void Conn::idle(Millis duration) { wait_peer_close(duration); }

bool Conn::serve(Millis duration) {
  const auto deadline = Clock::now() + duration;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left <= Millis(0) || stopping()) return false;
    auto f = next_frame(left);
    if (!f) return peer_closed_;
    if (f->opcode == 0x9) {
      if (!send(frame(0x8A, f->payload))) return false;
    } else if (f->is_text() && f->payload.find("\"pusher:ping\"") != std::string::npos) {
      if (!send_text(R"({"event":"pusher:pong","data":{}})")) return false;
    } else if (f->is_close()) {
      // Echo the code, then close TCP: the server side of a clean closing handshake.
      const std::uint16_t code = f->close_code();
      send(code == 1005 || code == 0 ? frame(0x88, {}) : close_frame(code));
      drop();
      return true;
    }
  }
}

void Conn::drop() {
  if (fd_ < 0) return;
  // Drain what the client sent so the close is a FIN, not a reset.
  char buf[4096];
  for (int i = 0; i < 256 && ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
  }
  ::shutdown(fd_, SHUT_WR);
  ::close(fd_);
  fd_ = -1;
}

std::string Conn::frame(std::uint8_t b0, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  out.append(payload);
  return out;
}

std::string Conn::masked_frame(std::uint8_t b0, std::string_view payload, std::uint32_t mask) {
  std::string out = frame(b0, {});
  out.resize(1);
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  const unsigned char m[4] = {static_cast<unsigned char>(mask >> 24),
                              static_cast<unsigned char>(mask >> 16),
                              static_cast<unsigned char>(mask >> 8),
                              static_cast<unsigned char>(mask)};
  out.append(reinterpret_cast<const char*>(m), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(static_cast<unsigned char>(payload[i]) ^ m[i % 4]));
  }
  return out;
}

std::string Conn::header64(std::uint8_t b0, std::uint64_t length) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  out.push_back(static_cast<char>(127));
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xFF));
  return out;
}

std::string Conn::close_frame(std::uint16_t code, std::string_view reason) {
  std::string body;
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xFF));
  body.append(reason);
  return frame(0x88, body);
}

// ---- HostileServer ----

HostileServer::HostileServer(Script script, int max_connections)
    : script_(std::move(script)), max_connections_(max_connections) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(sys_error("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, ever
  addr.sin_port = 0;                              // an ephemeral port
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = sys_error("cannot listen on 127.0.0.1");
    ::close(listen_fd_);
    throw std::runtime_error(error);
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

HostileServer::~HostileServer() {
  stop_ = true;
  if (accept_thread_.joinable()) accept_thread_.join();
  // No thread is added once the accept thread is gone.
  for (auto& t : conn_threads_) {
    if (t.joinable()) t.join();
  }
  ::close(listen_fd_);
}

void HostileServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(kSlice.count()));
    if (rc <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int index = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      index = accepted_++;
      if (index >= max_connections_) {
        ::close(fd);  // bounded: a reconnect loop must not spawn threads without end
        index = -1;
      } else {
        logs_.emplace_back();
      }
    }
    changed();
    if (index < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn_threads_.emplace_back([this, fd, index] { run_conn(fd, index); });
  }
}

void HostileServer::run_conn(int fd, int index) {
  {
    Conn conn(*this, fd, index);
    try {
      script_(conn);
    } catch (...) {
      // A script that throws just ends its connection; the test sees it in the log.
    }
  }  // closes the socket
  std::lock_guard<std::mutex> lock(mutex_);
  logs_[static_cast<std::size_t>(index)].script_done = true;
  cv_.notify_all();
}

void HostileServer::changed() {
  std::lock_guard<std::mutex> lock(mutex_);
  cv_.notify_all();
}

int HostileServer::connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return accepted_;
}

ConnLog HostileServer::log(int index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (index < 0 || static_cast<std::size_t>(index) >= logs_.size()) return {};
  return logs_[static_cast<std::size_t>(index)];
}

bool HostileServer::wait(const std::function<bool(const std::vector<ConnLog>& logs)>& pred,
                         Millis timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return pred(logs_); });
}

bool HostileServer::wait_connections(int n, Millis timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return accepted_ >= n; });
}

// ---- Pusher messages ----

std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

namespace {
std::string envelope(std::string_view event, std::string_view channel, const std::string* data) {
  std::string out = "{\"event\":" + json_quote(event);
  if (!channel.empty()) out += ",\"channel\":" + json_quote(channel);
  if (data != nullptr) out += ",\"data\":" + *data;
  out += "}";
  return out;
}
}  // namespace

std::string pusher_message(std::string_view event, std::string_view data_json,
                           std::string_view channel) {
  const std::string data = json_quote(data_json);
  return envelope(event, channel, &data);
}

std::string pusher_message_object(std::string_view event, std::string_view data_json,
                                  std::string_view channel) {
  const std::string data(data_json);
  return envelope(event, channel, &data);
}

std::string pusher_message_no_data(std::string_view event, std::string_view channel) {
  return envelope(event, channel, nullptr);
}

std::string established(std::string_view socket_id, int activity_timeout) {
  return pusher_message("pusher:connection_established",
                        "{\"socket_id\":" + json_quote(socket_id) +
                            ",\"activity_timeout\":" + std::to_string(activity_timeout) + "}");
}

// ---- Reverb mode ----

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// PHP's json_encode with its default flags, as Reverb writes every frame: '/' as "\/", control
// characters and everything past ASCII as lower-case \uXXXX (UTF-16, surrogate pairs).
std::string php_string(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto u = [&](std::string& out, unsigned v) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xF]);
  };
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '/': out += "\\/"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20) {
      u(out, c);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      // Valid UTF-8 only reaches here (the parser validated it, or it is our own text).
      const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      unsigned cp = c & (extra == 3 ? 0x07 : extra == 2 ? 0x0F : 0x1F);
      for (int k = 0; k < extra && i + 1 < s.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        u(out, 0xD800 + (cp >> 10));
        u(out, 0xDC00 + (cp & 0x3FF));
      } else {
        u(out, cp);
      }
    }
  }
  return out + "\"";
}

// The keys of a PHP array decoded from a JSON object are "0".."n-1" in order: PHP encodes it
// back as a list. (An empty one too: json_decode('{}', true) is [] and encodes as `[]`.)
bool php_list_keys(const rapidjson::Value& object) {
  std::size_t i = 0;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it, ++i) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) != std::to_string(i)) {
      return false;
    }
  }
  return true;
}

// What json_encode(json_decode($json, true)) gives for `v`; `as_object`: the top level was cast
// with (object), so an empty or list-shaped one stays an object.
std::string php_json(const rapidjson::Value& v, bool as_object = false) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsString()) return php_string(std::string_view(v.GetString(), v.GetStringLength()));
  if (v.IsNumber()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v.Accept(writer);
    return buffer.GetString();
  }
  std::string out;
  if (v.IsArray() || (!as_object && php_list_keys(v))) {
    out = "[";
    if (v.IsArray()) {
      for (const auto& item : v.GetArray()) out += (out.size() > 1 ? "," : "") + php_json(item);
    } else {
      for (const auto& m : v.GetObject()) out += (out.size() > 1 ? "," : "") + php_json(m.value);
    }
    return out + "]";
  }
  out = "{";
  for (const auto& m : v.GetObject()) {
    out += (out.size() > 1 ? "," : "") +
           php_string(std::string_view(m.name.GetString(), m.name.GetStringLength())) + ":" +
           php_json(m.value);
  }
  return out + "}";
}

std::string hmac_sha256_hex(const std::string& secret, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

// `{"event":"pusher:error","data":"{\"code\":..,\"message\":..}"}`: Reverb's errors carry their
// data as a JSON string and no channel.
std::string reverb_error(int code, std::string_view message) {
  return "{\"event\":\"pusher:error\",\"data\":" +
         php_string("{\"code\":" + std::to_string(code) + ",\"message\":" + php_string(message) +
                    "}") +
         "}";
}

// The app key in `GET /app/<key>?... HTTP/1.1`.
std::string app_key_of(const std::string& request) {
  const std::string line = request.substr(0, request.find("\r\n"));
  auto at = line.find("/app/");
  if (at == std::string::npos) return {};
  at += 5;
  return line.substr(at, line.find_first_of("?/ ", at) - at);
}

// Reverb's own 101 (its header names are lower case, and it says who it is).
std::string reverb_101(const std::string& key) {
  return "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
         "sec-websocket-accept: " +
         pusher::detail::ws::accept_key(key) + "\r\nx-powered-by: Laravel Reverb\r\n\r\n";
}

// The text of a JSON string or number (PHP coerces an int channel name to a string).
std::optional<std::string> scalar_text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNumber()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v.Accept(writer);
    return std::string(buffer.GetString());
  }
  return std::nullopt;
}

bool parse_json(rapidjson::Document& doc, std::string_view text) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !doc.HasParseError();
}

}  // namespace

struct ReverbServer::State {
  /// One connection in one channel (Reverb's ChannelConnection).
  struct Subscriber {
    int peer = 0;
    bool has_user = false;
    std::string user_id;         // as text, to compare
    std::string user_id_json;    // as PHP writes it
    std::string user_info_json;  // as PHP writes it; "null" when absent
    std::string added_json;      // member_added data: json_encode((object) $userData)
  };
  struct Peer {
    std::string socket_id;
    std::deque<std::string> outbox;  // text messages for this connection's thread to write
    bool prune = false;              // 4201 queued: drop the connection once it is written
    bool pinged = false;
    Clock::time_point last_seen;
  };

  explicit State(ReverbConfig c) : config(std::move(c)) {}

  ReverbConfig config;
  mutable std::mutex mutex;
  std::condition_variable timer_cv;
  mutable std::condition_variable sent_cv;
  bool stop = false;
  std::map<int, Peer> peers;                               // live connections, by index
  std::map<std::string, std::vector<Subscriber>> channels;  // in order of subscription
  std::map<int, std::vector<std::string>> sent;
  std::map<int, std::string> socket_ids;
  std::thread timer;

  // ---- with the mutex held ----

  void record(int peer, std::string what) {
    sent[peer].push_back(std::move(what));
    sent_cv.notify_all();
  }
  void post(int peer, std::string text) {
    auto it = peers.find(peer);
    if (it != peers.end()) it->second.outbox.push_back(std::move(text));
  }
  void invalid(int peer) { post(peer, reverb_error(4200, "Invalid message format")); }
  // Connection::touch(): seen now, and no ping outstanding.
  void touch(int peer) {
    Peer& p = peers.at(peer);
    p.last_seen = Clock::now();
    p.pinged = false;
  }
  bool subscribed(int peer) const {
    for (const auto& [name, subs] : channels) {
      for (const auto& s : subs) {
        if (s.peer == peer) return true;
      }
    }
    return false;
  }
  Subscriber* find(const std::string& channel, int peer) {
    auto it = channels.find(channel);
    if (it == channels.end()) return nullptr;
    for (auto& s : it->second) {
      if (s.peer == peer) return &s;
    }
    return nullptr;
  }
  void broadcast(const std::string& channel, const std::string& text, int except) {
    auto it = channels.find(channel);
    if (it == channels.end()) return;
    for (const auto& s : it->second) {
      if (s.peer != except) post(s.peer, text);
    }
  }

  // InteractsWithPresenceChannels::data(): unique by user_id; any subscriber without one
  // and the channel looks empty, its hash a PHP empty array `[]`.
  std::string presence_data(const std::string& channel) {
    std::vector<const Subscriber*> unique;
    bool anonymous = false;
    for (const auto& s : channels[channel]) {
      if (!s.has_user) anonymous = true;
      bool seen = false;
      for (const auto* u : unique) seen = seen || u->user_id == s.user_id;
      if (!seen) unique.push_back(&s);
    }
    if (anonymous) return R"({"presence":{"count":0,"ids":[],"hash":[]}})";
    std::string ids, hash;
    bool list = true;
    for (std::size_t i = 0; i < unique.size(); ++i) {
      ids += (i == 0 ? "" : ",") + unique[i]->user_id_json;
      hash += (i == 0 ? "" : ",") + php_string(unique[i]->user_id) + ":" +
              unique[i]->user_info_json;
      list = list && unique[i]->user_id == std::to_string(i);
    }
    if (list) {  // keys 0..n-1: a PHP list (the empty hash included)
      hash.clear();
      for (std::size_t i = 0; i < unique.size(); ++i) {
        hash += (i == 0 ? "" : ",") + unique[i]->user_info_json;
      }
      hash = "[" + hash + "]";
    } else {
      hash = "{" + hash + "}";
    }
    return "{\"presence\":{\"count\":" + std::to_string(unique.size()) + ",\"ids\":[" + ids +
           "],\"hash\":" + hash + "}}";
  }

  void subscribe(int peer, const std::string& channel, const std::optional<std::string>& auth,
                 const std::string& channel_data) {
    const bool presence = starts_with(channel, "presence-");
    if (presence || starts_with(channel, "private-")) {
      // InteractsWithPrivateChannels::verify: the signature after the first ':' only.
      std::string to_sign = peers.at(peer).socket_id + ":" + channel;
      if (!channel_data.empty()) to_sign += ":" + channel_data;
      std::string given = auth.value_or("");
      if (auto colon = given.find(':'); colon != std::string::npos) given.erase(0, colon + 1);
      if (!auth || given != hmac_sha256_hex(config.app_secret, to_sign)) {
        post(peer, reverb_error(4009, "Connection is unauthorized"));
        return;
      }
    }
    Subscriber sub;
    sub.peer = peer;
    sub.user_info_json = "null";
    sub.added_json = "{}";
    if (presence && !channel_data.empty()) {
      rapidjson::Document data;
      if (!parse_json(data, channel_data)) return invalid(peer);
      if (data.IsObject()) {
        sub.added_json = php_json(data, true);
        auto id = data.FindMember("user_id");
        if (id != data.MemberEnd()) {
          if (auto text = scalar_text(id->value)) {
            sub.has_user = !text->empty();
            sub.user_id = *text;
            sub.user_id_json = php_json(id->value);
          }
        }
        auto info = data.FindMember("user_info");
        if (info != data.MemberEnd()) sub.user_info_json = php_json(info->value);
      }
    }
    bool user_was_here = false;
    for (const auto& s : channels[channel]) {
      user_was_here = user_was_here || (sub.has_user && s.has_user && s.user_id == sub.user_id);
    }
    if (Subscriber* existing = find(channel, peer)) {
      *existing = sub;
    } else {
      channels[channel].push_back(sub);
    }
    if (presence && !user_was_here) {
      broadcast(channel,
                "{\"event\":\"pusher_internal:member_added\",\"data\":" +
                    php_string(sub.added_json) + ",\"channel\":" + php_string(channel) + "}",
                peer);
    }
    post(peer, "{\"event\":\"pusher_internal:subscription_succeeded\",\"data\":" +
                   php_string(presence ? presence_data(channel) : "{}") +
                   ",\"channel\":" + php_string(channel) + "}");
  }

  void unsubscribe(int peer, const std::string& channel) {
    auto it = channels.find(channel);
    if (it == channels.end()) return;
    auto& subs = it->second;
    auto found = std::find_if(subs.begin(), subs.end(), [&](auto& s) { return s.peer == peer; });
    if (found == subs.end()) return;
    const Subscriber gone = *found;
    subs.erase(found);
    const bool still_there = std::any_of(subs.begin(), subs.end(), [&](auto& s) {
      return s.has_user && s.user_id == gone.user_id;
    });
    if (subs.empty()) channels.erase(it);
    if (!starts_with(channel, "presence-") || !gone.has_user || still_there) return;
    broadcast(channel,
              "{\"event\":\"pusher_internal:member_removed\",\"data\":" +
                  php_string("{\"user_id\":" + gone.user_id_json + "}") +
                  ",\"channel\":" + php_string(channel) + "}",
              peer);
  }

  void unsubscribe_all(int peer) {
    std::vector<std::string> names;
    for (const auto& [name, subs] : channels) {
      for (const auto& s : subs) {
        if (s.peer == peer) names.push_back(name);
      }
    }
    for (const auto& name : names) unsubscribe(peer, name);
  }

  // EventHandler::handle: ping, pong, subscribe, unsubscribe; any other pusher: event is an
  // exception, answered with 4200.
  void pusher_event(int peer, const std::string& event, const rapidjson::Value* data) {
    if (event == "pusher:ping") return post(peer, R"({"event":"pusher:pong"})");
    if (event == "pusher:pong") return;  // touched already
    if (event != "pusher:subscribe" && event != "pusher:unsubscribe") return invalid(peer);
    // A payload given as a JSON string is decoded first.
    rapidjson::Document decoded;
    if (data != nullptr && data->IsString()) {
      if (!parse_json(decoded, std::string_view(data->GetString(), data->GetStringLength()))) {
        return invalid(peer);
      }
      data = &decoded;
    }
    if (data == nullptr || !data->IsObject()) return invalid(peer);
    auto channel_it = data->FindMember("channel");
    std::optional<std::string> channel;
    if (channel_it != data->MemberEnd()) channel = scalar_text(channel_it->value);
    if (!channel) return invalid(peer);
    if (event == "pusher:unsubscribe") return unsubscribe(peer, *channel);
    std::optional<std::string> auth;
    std::string channel_data;
    auto auth_it = data->FindMember("auth");
    if (auth_it != data->MemberEnd() && !auth_it->value.IsNull()) {
      if (!auth_it->value.IsString()) return invalid(peer);
      auth = std::string(auth_it->value.GetString(), auth_it->value.GetStringLength());
    }
    auto cd = data->FindMember("channel_data");
    if (cd != data->MemberEnd() && !cd->value.IsNull()) {
      if (!cd->value.IsString()) return invalid(peer);
      channel_data.assign(cd->value.GetString(), cd->value.GetStringLength());
    }
    subscribe(peer, *channel, auth, channel_data);
  }

  // ClientEvent::handle: event and channel strings, data an array or null (a JSON string
  // holding one is decoded); then only `client-` events of the channel's members, forwarded
  // to the other members with the sender's user_id when it has one.
  void client_event(int peer, const rapidjson::Document& message, const std::string& event) {
    auto channel_it = message.FindMember("channel");
    if (channel_it == message.MemberEnd() || !channel_it->value.IsString()) return invalid(peer);
    const std::string channel(channel_it->value.GetString(), channel_it->value.GetStringLength());
    std::string data_json = "null";
    auto data_it = message.FindMember("data");
    if (data_it != message.MemberEnd() && !data_it->value.IsNull()) {
      const rapidjson::Value& data = data_it->value;
      rapidjson::Document decoded;
      if (data.IsString()) {
        if (!parse_json(decoded, std::string_view(data.GetString(), data.GetStringLength())) ||
            !(decoded.IsObject() || decoded.IsArray())) {
          return invalid(peer);
        }
        data_json = php_json(decoded);
      } else if (data.IsObject() || data.IsArray()) {
        data_json = php_json(data);
      } else {
        return invalid(peer);
      }
    }
    if (!starts_with(event, "client-")) return;
    const Subscriber* me = find(channel, peer);
    if (me == nullptr) {
      return post(peer, reverb_error(4009, "The client is not a member of the specified channel."));
    }
    broadcast(channel,
              "{\"event\":" + php_string(event) + ",\"channel\":" + php_string(channel) +
                  ",\"data\":" + data_json +
                  (me->has_user ? ",\"user_id\":" + me->user_id_json : std::string()) + "}",
              peer);
  }

  void on_message(int peer, const std::string& text) {
    rapidjson::Document doc;
    const bool parsed = parse_json(doc, text) && doc.IsObject();
    auto event_it = parsed ? doc.FindMember("event") : doc.MemberEnd();
    const bool named = parsed && event_it != doc.MemberEnd() && event_it->value.IsString();
    const std::string event =
        named ? std::string(event_it->value.GetString(), event_it->value.GetStringLength()) : "";
    if (config.lose_pongs && event == "pusher:pong") return;  // never arrived
    touch(peer);  // Server::message touches before anything else
    if (!named) return invalid(peer);
    if (starts_with(event, "pusher:")) {
      // Server::message passes `data` on unless PHP's empty() holds for it.
      auto data_it = doc.FindMember("data");
      const rapidjson::Value* data = data_it == doc.MemberEnd() ? nullptr : &data_it->value;
      if (data != nullptr &&
          (data->IsNull() || (data->IsString() && (data->GetStringLength() == 0 ||
                                                   std::string_view(data->GetString()) == "0")) ||
           (data->IsBool() && !data->GetBool()) || (data->IsObject() && data->ObjectEmpty()) ||
           (data->IsArray() && data->Empty()))) {
        data = nullptr;
      }
      return pusher_event(peer, event, data);
    }
    client_event(peer, doc, event);
  }

  // The periodic timer: PruneStaleConnections, then PingInactiveConnections, both over the
  // connections that are subscribed somewhere.
  void on_tick() {
    const auto now = Clock::now();
    std::vector<int> live;
    for (const auto& [index, p] : peers) {
      if (!p.prune && subscribed(index)) live.push_back(index);
    }
    auto inactive = [&](const Peer& p) { return now >= p.last_seen + config.ping_interval; };
    for (int index : live) {
      Peer& p = peers.at(index);
      if (!inactive(p) || !p.pinged) continue;
      p.outbox.push_back(reverb_error(4201, "Pong reply not received in time"));
      p.prune = true;
    }
    for (int index : live) {
      Peer& p = peers.at(index);
      if (p.prune || !inactive(p)) continue;
      p.outbox.push_back(R"({"event":"pusher:ping"})");
      p.pinged = true;
    }
  }
};

namespace {

using ReverbState = ReverbServer::State;

// Writes what is queued for `c`; false once the connection was pruned (and dropped).
bool flush(ReverbState& st, Conn& c) {
  std::deque<std::string> out;
  bool prune = false;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    auto& p = st.peers.at(c.index());
    out.swap(p.outbox);
    prune = p.prune;
    for (const auto& text : out) st.record(c.index(), text);
  }
  for (const auto& text : out) {
    if (!c.send_text(text)) return false;
  }
  if (prune) {
    c.drop();  // Connection::disconnect(): no close frame
    return false;
  }
  return true;
}

void reverb_connection(ReverbState& st, Conn& c) {
  if (!c.read_request() || !c.send(reverb_101(c.key()))) return;
  if (app_key_of(c.request()) != st.config.app_key) {
    // The 101 first, then the error, then the TCP connection goes: no close frame.
    const std::string error = reverb_error(4001, "Application does not exist");
    {
      std::lock_guard<std::mutex> lock(st.mutex);
      st.record(c.index(), error);
    }
    c.send_text(error);
    c.drop();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    // GeneratesPusherIdentifiers: two random integers.
    std::mt19937 random(static_cast<unsigned>(c.index()) * 7919u + 17u);
    std::uniform_int_distribution<long> part(1, 1000000000);
    const std::string socket_id = std::to_string(part(random)) + "." + std::to_string(part(random));
    auto& p = st.peers[c.index()];
    p.socket_id = socket_id;
    p.last_seen = Clock::now();
    st.socket_ids[c.index()] = socket_id;
    st.post(c.index(), "{\"event\":\"pusher:connection_established\",\"data\":" +
                           php_string("{\"socket_id\":" + php_string(socket_id) +
                                      ",\"activity_timeout\":" +
                                      std::to_string(st.config.activity_timeout) + "}") +
                           "}");
  }
  std::string message;
  bool binary = false;
  bool in_message = false;
  while (flush(st, c) && !c.stopping()) {
    auto f = c.next_frame(kSlice);
    if (!f) {
      if (c.peer_closed()) break;
      continue;
    }
    if (f->opcode == 0x9) {  // Server::control touches on a ping; the pong echoes it
      {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.touch(c.index());
        st.record(c.index(), "[pong " + f->payload + "]");
      }
      c.send(Conn::frame(0x8A, f->payload));
      continue;
    }
    if (f->opcode == 0xA) continue;
    if (f->is_close()) {
      const std::uint16_t code = f->close_code();
      {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.record(c.index(), "[close " + std::to_string(code) + "]");
      }
      c.send(code == 1005 || code == 0 ? Conn::frame(0x88, {}) : Conn::close_frame(code));
      c.drop();
      break;
    }
    if (f->opcode == 0x1 || f->opcode == 0x2) {
      message = f->payload;
      binary = f->opcode == 0x2;
      in_message = true;
    } else if (f->opcode == 0x0 && in_message) {
      message += f->payload;
    } else {
      continue;
    }
    if (message.size() > st.config.max_message_size) {
      // Close 1009 and nothing else: no pusher:error. The client's echo is awaited, briefly.
      const std::string reason = "Maximum message size exceeded";
      {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.record(c.index(), "[close 1009 " + reason + "]");
      }
      c.send(Conn::close_frame(1009, reason));
      c.wait_frame([](const ClientFrame& frame) { return frame.is_close(); }, Millis(1000));
      c.drop();
      break;
    }
    if (!f->fin) continue;
    in_message = false;
    std::lock_guard<std::mutex> lock(st.mutex);
    if (binary) {
      st.touch(c.index());
      st.invalid(c.index());
    } else {
      st.on_message(c.index(), message);
    }
  }
  // Server::close: unsubscribed from everything (member_removed to the others).
  std::lock_guard<std::mutex> lock(st.mutex);
  st.unsubscribe_all(c.index());
  st.peers.erase(c.index());
}

}  // namespace

ReverbServer::ReverbServer(ReverbConfig config)
    : state_(std::make_shared<State>(std::move(config))) {
  state_->timer = std::thread([st = state_.get()] {
    std::unique_lock<std::mutex> lock(st->mutex);
    for (;;) {
      const auto due = Clock::now() + st->config.tick;
      if (st->timer_cv.wait_until(lock, due, [&] { return st->stop; })) return;
      st->on_tick();
    }
  });
  server_ = std::make_unique<HostileServer>(
      [st = state_](Conn& c) { reverb_connection(*st, c); });
}

ReverbServer::~ReverbServer() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->timer_cv.notify_all();
  state_->timer.join();
  server_.reset();  // stops and joins every connection
}

const ReverbConfig& ReverbServer::config() const { return state_->config; }

void ReverbServer::trigger(const std::string& channel, const std::string& event,
                           const std::string& data) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->broadcast(channel,
                    "{\"event\":" + php_string(event) + ",\"data\":" + php_string(data) +
                        ",\"channel\":" + php_string(channel) + "}",
                    -1);
}

std::vector<std::string> ReverbServer::sent(int index) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->sent.find(index);
  return it == state_->sent.end() ? std::vector<std::string>{} : it->second;
}

bool ReverbServer::wait_sent(int index, std::string_view needle, Millis timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->sent_cv.wait_for(lock, timeout, [&] {
    auto it = state_->sent.find(index);
    if (it == state_->sent.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const std::string& s) {
      return s.find(needle) != std::string::npos;
    });
  });
}

std::string ReverbServer::socket_id(int index) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->socket_ids.find(index);
  return it == state_->socket_ids.end() ? std::string() : it->second;
}

}  // namespace pusher::test::hostile
