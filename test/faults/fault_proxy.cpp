#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace pusher::test::faults {
namespace {

using Clock = std::chrono::steady_clock;

// The proxy thread wakes at least this often (latency and bandwidth are timed by it).
constexpr int kPollMs = 10;
// Bytes read at once from one socket.
constexpr std::size_t kReadSize = 64 * 1024;
// Accepts handled per wake-up, so a flood cannot starve the forwarding.
constexpr int kAcceptsPerTurn = 16;
// Deadline of a request made to the proxy thread, and of the connect to the upstream.
constexpr auto kRequestDeadline = std::chrono::seconds(5);
constexpr int kConnectMs = 1000;

std::string sys_error(const char* what) {
  return std::string(what) + ": " + std::system_category().message(errno);
}

// Closes with an RST instead of a FIN: SO_LINGER on, with a zero timeout.
void close_reset(int& fd) {
  if (fd < 0) return;
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
  fd = -1;
}

void close_plain(int& fd) {
  if (fd < 0) return;
  ::close(fd);
  fd = -1;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

// A non-blocking socket connected to 127.0.0.1:port, or -1 (refused, or not within kConnectMs).
int connect_upstream(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, kConnectMs);
  } while (rc < 0 && errno == EINTR);
  int err = 0;
  socklen_t len = sizeof err;
  if (rc <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Chunk {
  Clock::time_point due;
  std::string bytes;
  std::size_t off = 0;
  bool reset_after = false;  // the cut: once written, every connection is reset
};

// One direction of a connection: what was read from one side and waits for the other.
struct Direction {
  std::deque<Chunk> held;
  std::size_t held_bytes = 0;
  bool eof = false;      // the source side sent its FIN
  bool shut = false;     // the FIN was passed on
  bool blocked = false;  // the last write would have blocked: wait for POLLOUT
  std::size_t rate = 0;  // the bandwidth the tokens were counted for
  double tokens = 0;
  Clock::time_point refilled{};
};

struct Pair {
  int client = -1;
  int server = -1;
  bool frozen = false;
  bool cut_pending = false;  // a cut chunk is held: read nothing more from the server
  Direction up;              // client -> server
  Direction down;            // server -> client
};

enum class Flush { ok, broken, cut };

struct Settings {
  Millis latency{0};
  std::size_t bandwidth = 0;
  bool refusing = false;
};

}  // namespace

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(sys_error("FaultProxy: socket"));
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string message = sys_error("FaultProxy: cannot listen on 127.0.0.1:0");
    ::close(listen_fd_);
    throw std::runtime_error(message + " (is the loopback interface up?)");
  }
  port_ = ntohs(addr.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::string message = sys_error("FaultProxy: pipe2");
    ::close(listen_fd_);
    throw std::runtime_error(message);
  }
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
}

void FaultProxy::wake() {
  char byte = 1;
  // A full pipe already holds a wake-up: ignore EAGAIN.
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
}

void FaultProxy::pass_through() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    latency_ = Millis(0);
    bandwidth_ = 0;
    refusing_ = false;
  }
  wake();
}

void FaultProxy::set_latency(Millis delay) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    latency_ = delay;
  }
  wake();
}

void FaultProxy::set_bandwidth(std::size_t bytes_per_second) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bandwidth_ = bytes_per_second;
  }
  wake();
}

void FaultProxy::set_refusing(bool on) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    refusing_ = on;
  }
  wake();
}

bool FaultProxy::reset_all() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t ticket = ++reset_requested_;
  lock.unlock();
  wake();
  lock.lock();
  return changed_.wait_for(lock, kRequestDeadline, [&] { return reset_done_ >= ticket; });
}

void FaultProxy::cut_next_download(std::size_t after) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cut_armed_ = true;
    cut_after_ = after;
    cut_happened_ = false;
  }
  wake();
}

bool FaultProxy::wait_cut(Millis timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return cut_happened_; });
}

std::size_t FaultProxy::half_open() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t ticket = ++freeze_requested_;
  lock.unlock();
  wake();
  lock.lock();
  changed_.wait_for(lock, kRequestDeadline, [&] { return freeze_done_ >= ticket; });
  return frozen_last_;
}

void FaultProxy::run() {
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<char> buffer(kReadSize);

  auto reset_pair = [](Pair& p) {
    close_reset(p.client);
    close_reset(p.server);
  };
  auto reset_everything = [&] {
    for (auto& p : pairs) reset_pair(*p);
    pairs.clear();
  };

  // Writes what is due in one direction, within the bandwidth cap.
  auto flush = [&](Direction& d, int to, bool down, std::size_t bandwidth,
                   Clock::time_point now) -> Flush {
    if (d.rate != bandwidth) {  // the cap changed: count from now, with an empty bucket
      d.rate = bandwidth;
      d.tokens = 0;
      d.refilled = now;
    }
    if (bandwidth != 0) {
      const double burst = std::max(64.0, static_cast<double>(bandwidth) / 8);
      const double seconds = std::chrono::duration<double>(now - d.refilled).count();
      d.tokens = std::min(burst, d.tokens + seconds * static_cast<double>(bandwidth));
      d.refilled = now;
    }
    d.blocked = false;
    while (!d.held.empty()) {
      Chunk& c = d.held.front();
      if (c.due > now) break;
      std::size_t want = c.bytes.size() - c.off;
      if (bandwidth != 0) {
        want = std::min(want, static_cast<std::size_t>(d.tokens));
        if (want == 0) break;
      }
      ssize_t n = ::send(to, c.bytes.data() + c.off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          d.blocked = true;
          break;
        }
        return Flush::broken;
      }
      const auto sent = static_cast<std::size_t>(n);
      c.off += sent;
      d.held_bytes -= sent;
      if (bandwidth != 0) d.tokens -= static_cast<double>(sent);
      (down ? bytes_down_ : bytes_up_) += sent;
      if (c.off == c.bytes.size()) {
        const bool cut = c.reset_after;
        d.held.pop_front();
        if (cut) return Flush::cut;
      }
    }
    if (d.eof && d.held.empty() && !d.shut) {
      ::shutdown(to, SHUT_WR);
      d.shut = true;
    }
    return Flush::ok;
  };

  // Reads one chunk from `from` into `d`: false when the side is broken.
  auto take = [&](Pair& p, Direction& d, int from, bool down, const Settings& s,
                  Clock::time_point now) -> bool {
    const std::size_t room = kMaxHeld - std::min(kMaxHeld, d.held_bytes);
    if (room == 0) return true;
    ssize_t n = ::recv(from, buffer.data(), std::min(room, buffer.size()), MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      d.eof = true;
      return true;
    }
    Chunk c;
    c.due = now + s.latency;
    c.bytes.assign(buffer.data(), static_cast<std::size_t>(n));
    if (down) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cut_armed_ && c.bytes.size() > cut_after_) {
        c.bytes.resize(cut_after_);
        c.reset_after = true;
        cut_armed_ = false;
        p.cut_pending = true;
      }
    }
    d.held_bytes += c.bytes.size();
    d.held.push_back(std::move(c));
    return true;
  };

  std::vector<pollfd> fds;
  while (!stop_) {
    Settings s;
    bool reset_now = false;
    bool freeze_now = false;
    std::uint64_t reset_ticket = 0;
    std::uint64_t freeze_ticket = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      s.latency = latency_;
      s.bandwidth = bandwidth_;
      s.refusing = refusing_;
      reset_now = reset_requested_ > reset_done_;
      reset_ticket = reset_requested_;
      freeze_now = freeze_requested_ > freeze_done_;
      freeze_ticket = freeze_requested_;
    }
    if (reset_now) {
      reset_everything();
      std::lock_guard<std::mutex> lock(mutex_);
      reset_done_ = reset_ticket;
      changed_.notify_all();
    }
    if (freeze_now) {
      std::size_t frozen = 0;
      for (auto& p : pairs) {
        if (!p->frozen) ++frozen;
        p->frozen = true;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      freeze_done_ = freeze_ticket;
      frozen_last_ = frozen;
      changed_.notify_all();
    }

    // Forward what is due; drop the connections that are finished or broken.
    auto now = Clock::now();
    bool cut = false;
    for (auto& p : pairs) {
      if (p->frozen || p->client < 0) continue;
      Flush up = flush(p->up, p->server, false, s.bandwidth, now);
      Flush down = flush(p->down, p->client, true, s.bandwidth, now);
      if (down == Flush::cut) {
        cut = true;
        break;
      }
      if (up == Flush::broken || down == Flush::broken) {
        reset_pair(*p);
      } else if (p->up.shut && p->down.shut) {
        close_plain(p->client);
        close_plain(p->server);
      }
    }
    if (cut) {
      reset_everything();
      std::lock_guard<std::mutex> lock(mutex_);
      cut_happened_ = true;
      changed_.notify_all();
    }
    pairs.erase(
        std::remove_if(pairs.begin(), pairs.end(), [](const auto& p) { return p->client < 0; }),
        pairs.end());
    forwarding_ = static_cast<std::size_t>(
        std::count_if(pairs.begin(), pairs.end(), [](const auto& p) { return !p->frozen; }));

    // Wait for something to read, room to write, a new connection or a request.
    fds.clear();
    fds.push_back({wake_read_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& p : pairs) {
      short client_events = 0;
      short server_events = 0;
      if (!p->frozen) {
        if (!p->up.eof && p->up.held_bytes < kMaxHeld) client_events |= POLLIN;
        if (!p->down.eof && !p->cut_pending && p->down.held_bytes < kMaxHeld) {
          server_events |= POLLIN;
        }
        if (p->down.blocked) client_events |= POLLOUT;
        if (p->up.blocked) server_events |= POLLOUT;
      }
      // A frozen pair is not polled at all (a negative fd is skipped), not even for errors.
      fds.push_back({p->frozen ? -1 : p->client, client_events, 0});
      fds.push_back({p->frozen ? -1 : p->server, server_events, 0});
    }
    int rc = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), kPollMs);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;

    if ((fds[0].revents & POLLIN) != 0) {
      char drain[64];
      while (::read(wake_read_fd_, drain, sizeof drain) > 0) {
      }
    }
    now = Clock::now();
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      Pair& p = *pairs[i];
      if (p.frozen) continue;
      const short client_rev = fds[2 + 2 * i].revents;
      const short server_rev = fds[3 + 2 * i].revents;
      // An error on either side (an RST) is passed on to the other as an RST.
      bool ok = ((client_rev | server_rev) & POLLERR) == 0;
      if (ok && (client_rev & (POLLIN | POLLHUP | POLLERR)) != 0 && !p.up.eof) {
        ok = take(p, p.up, p.client, false, s, now);
      }
      if (ok && (server_rev & (POLLIN | POLLHUP | POLLERR)) != 0 && !p.down.eof && !p.cut_pending) {
        ok = take(p, p.down, p.server, true, s, now);
      }
      if (!ok) reset_pair(p);  // one side reset: so is the other
    }
    pairs.erase(
        std::remove_if(pairs.begin(), pairs.end(), [](const auto& p) { return p->client < 0; }),
        pairs.end());

    if ((fds[1].revents & POLLIN) != 0) {
      for (int n = 0; n < kAcceptsPerTurn; ++n) {
        int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;
        ++accepted_;
        if (s.refusing || pairs.size() >= kMaxConnections) {
          close_reset(client);
          continue;
        }
        int server = connect_upstream(upstream_port_);
        if (server < 0) {  // the upstream is down: so is the proxy, for this client
          close_reset(client);
          continue;
        }
        set_nodelay(client);
        set_nodelay(server);
        auto p = std::make_unique<Pair>();
        p->client = client;
        p->server = server;
        pairs.push_back(std::move(p));
      }
    }
  }
  for (auto& p : pairs) {
    close_plain(p->client);
    close_plain(p->server);
  }
  forwarding_ = 0;
}

}  // namespace pusher::test::faults
