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

}  // namespace pusher::test::hostile
