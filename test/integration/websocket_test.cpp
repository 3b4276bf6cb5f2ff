// The WebSocket transport against real servers: node's `ws` (plain and TLS) and soketi.
#include "net/websocket.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "fixtures.hpp"
#include "ws_client.hpp"

using pusher::ErrorCode;
using pusher::detail::net::WebSocketOptions;
using pusher::test::WsClient;

namespace {

WebSocketOptions options_for(const std::string& url) {
  WebSocketOptions o;
  o.url = url;
  o.proxy = "";  // tests talk to loopback only, whatever the environment says
  o.connect_timeout = std::chrono::seconds(10);
  return o;
}

std::string payload_of(std::size_t size) {
  std::string s;
  s.reserve(size);
  // Multi-byte UTF-8 mixed in, so text validation runs on every size.
  const std::string unit = "h\xC3\xA9llo \xE2\x82\xAC ";
  while (s.size() + unit.size() <= size) s += unit;
  s.append(size - s.size(), 'x');
  return s;
}

void check_echo(const std::string& url, const std::string& ca_file) {
  WsClient client;
  WebSocketOptions o = options_for(url);
  o.ca_file = ca_file;
  client.connect(o);
  REQUIRE(client.wait_open());
  const std::size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 300000, 1u << 20};
  for (std::size_t size : sizes) client.send(payload_of(size));
  REQUIRE(client.wait_messages(std::size(sizes)));
  auto got = client.messages();
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    CAPTURE(sizes[i]);
    CHECK(got[i] == payload_of(sizes[i]));
  }
  client.close();
  REQUIRE(client.wait_closed());
  auto closed = client.close_event();
  CHECK(closed.clean);
  CHECK(closed.sent_code == 1000);
  CHECK_FALSE(closed.error);
}

/// A listening socket on 127.0.0.1, on a free port (written to `port`), backlog 1.
int listen_on_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

/// A TCP listener on 127.0.0.1 that takes one connection, reads what comes first (the upgrade
/// request), writes `answer` (possibly nothing) and closes: a server program that is not a
/// WebSocket server, or one going away.
class OneShotServer {
 public:
  explicit OneShotServer(std::string answer) {
    fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this, answer = std::move(answer)] {
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buf[4096];
      (void)::recv(conn, buf, sizeof buf, 0);
      if (!answer.empty()) (void)::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(conn);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);  // ends an accept() still waiting
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

/// A TCP listener on 127.0.0.1 that takes one connection and never writes a byte: no upgrade
/// answer for ws://, no TLS ServerHello for wss://. It notices when the client closes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this] {
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buf[4096];
      while (!stop_) {
        pollfd p{conn, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        if (::recv(conn, buf, sizeof buf, 0) <= 0) {
          peer_closed_ = true;
          break;
        }
      }
      ::close(conn);
    });
  }
  ~SilentServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // ends an accept() still waiting
    thread_.join();
    ::close(fd_);
  }
  std::string url(const char* scheme) const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + "/";
  }
  bool peer_closed() const { return peer_closed_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> peer_closed_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a connect that met no WebSocket server is unreachable; an answered one is not") {
  // The reconnect policy retries the first kind soon and backs off from the second.
  SUBCASE("nothing listening") {
    WsClient client;
    client.connect(options_for("ws://127.0.0.1:" + std::to_string(pusher::test::free_port()) + "/"));
    REQUIRE(client.wait_closed());
    CHECK(client.close_event().unreachable);
    // libcurl's CURLE_COULDNT_CONNECT, marked as a transport code.
    CHECK(client.close_event().error.code == ErrorCode::connect_failed);
    CHECK(client.close_event().error.server_code == 7);
    CHECK(client.close_event().error.code_kind == pusher::CodeKind::transport);
  }
  SUBCASE("accepted, then closed before the upgrade was answered") {
    OneShotServer server("");
    WsClient client;
    client.connect(options_for(server.url()));
    REQUIRE(client.wait_closed());
    CHECK(client.close_event().error.code != ErrorCode::handshake_failed);
    CHECK(client.close_event().unreachable);
  }
  SUBCASE("the upgrade answered with 503") {
    OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    WsClient client;
    client.connect(options_for(server.url()));
    REQUIRE(client.wait_closed());
    CHECK(client.close_event().error.code == ErrorCode::handshake_failed);
    CHECK(client.close_event().error.server_code == 503);
    CHECK(client.close_event().error.code_kind == pusher::CodeKind::http);
    CHECK_FALSE(client.close_event().unreachable);
  }
  SUBCASE("an open connection the server closed") {
    pusher::test::EchoServer server;
    WsClient client;
    client.connect(options_for("ws://127.0.0.1:" + std::to_string(server.port()) + "/"));
    REQUIRE(client.wait_open());
    client.send("cmd:close:4001:go away");
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.close_event().unreachable);
  }
}

TEST_CASE("text messages from 0 bytes to 1 MiB echo intact over ws://") {
  pusher::test::EchoServer server;
  check_echo("ws://127.0.0.1:" + std::to_string(server.port()) + "/", "");
}

TEST_CASE("text messages from 0 bytes to 1 MiB echo intact over wss:// with the CA given") {
  auto tls = pusher::test::make_tls_files();
  pusher::test::EchoServer server(tls.server_cert, tls.server_key);
  check_echo("wss://127.0.0.1:" + std::to_string(server.port()) + "/", tls.ca_cert);
}

TEST_CASE("TLS peers are verified by default") {
  auto tls = pusher::test::make_tls_files();
  SUBCASE("a self-signed server is refused when no CA is given") {
    pusher::test::EchoServer server(tls.server_cert, tls.server_key);
    WsClient client;
    client.connect(options_for("wss://127.0.0.1:" + std::to_string(server.port()) + "/"));
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.opened());
    CHECK(client.close_event().error.code == ErrorCode::connect_failed);
  }
  SUBCASE("a certificate for another host name is refused") {
    pusher::test::EchoServer server(tls.wrong_host_cert, tls.wrong_host_key);
    WsClient client;
    WebSocketOptions o = options_for("wss://127.0.0.1:" + std::to_string(server.port()) + "/");
    o.ca_file = tls.ca_cert;
    client.connect(o);
    REQUIRE(client.wait_closed());
    CHECK_FALSE(client.opened());
    CHECK(client.close_event().error.code == ErrorCode::connect_failed);
  }
}

TEST_CASE("a server-initiated close is answered with the same code") {
  pusher::test::EchoServer server;
  WsClient client;
  client.connect(options_for("ws://127.0.0.1:" + std::to_string(server.port()) + "/"));
  REQUIRE(client.wait_open());
  client.send("cmd:close:4001:go away");
  REQUIRE(client.wait_closed());
  auto closed = client.close_event();
  CHECK(closed.code == 4001);
  CHECK(closed.reason == "go away");
  CHECK(closed.sent_code == 4001);
  CHECK(closed.clean);
  CHECK(closed.error.code == ErrorCode::connection_closed);
  CHECK(closed.error.server_code == 4001);
  CHECK(closed.error.code_kind == pusher::CodeKind::pusher);
}

TEST_CASE("a server ping is answered with a pong carrying its payload") {
  pusher::test::EchoServer server;
  WsClient client;
  client.connect(options_for("ws://127.0.0.1:" + std::to_string(server.port()) + "/"));
  REQUIRE(client.wait_open());
  client.send("cmd:ping:are you there");
  REQUIRE(client.wait_messages(1));
  CHECK(client.messages()[0] == "pong:are you there");
}

TEST_CASE("a message over the maximum size fails the connection with 1009") {
  pusher::test::EchoServer server;
  WsClient client;
  WebSocketOptions o = options_for("ws://127.0.0.1:" + std::to_string(server.port()) + "/");
  o.max_message_size = 1000;
  client.connect(o);
  REQUIRE(client.wait_open());
  client.send("cmd:send:1000");
  REQUIRE(client.wait_messages(1));
  client.send("cmd:send:1001");
  REQUIRE(client.wait_closed());
  auto closed = client.close_event();
  CHECK(closed.sent_code == 1009);
  CHECK(closed.error.code == ErrorCode::message_too_large);
  CHECK(client.messages().size() == 1);
}

TEST_CASE("nothing listening gives connect_failed, not a hang") {
  WsClient client;
  client.connect(options_for("ws://127.0.0.1:" + std::to_string(pusher::test::free_port()) + "/"));
  REQUIRE(client.wait_closed());
  CHECK(client.close_event().error.code == ErrorCode::connect_failed);
}

// net/transport.hpp: the owner's deadline (the Service's connect timeout) is the only one; the
// WebSocket arms no timer for a connect, and its connect_timeout is only libcurl's backstop.
TEST_CASE("a connect has no deadline of its own: the owner aborts it, as a timeout") {
  SilentServer server;
  WsClient client;
  WebSocketOptions o = options_for(server.url("ws"));
  o.connect_timeout = std::chrono::milliseconds(200);  // covers TCP only: it is long done
  client.connect(o);
  CHECK_FALSE(client.wait_closed(std::chrono::milliseconds(800)));  // the upgrade is unanswered
  client.abort(pusher::Error{ErrorCode::timeout, "the owner's deadline", 0, {}});
  REQUIRE(client.wait_closed());
  auto closed = client.close_event();
  CHECK_FALSE(client.opened());
  CHECK(closed.error.code == ErrorCode::timeout);
  CHECK(closed.error.message == "the owner's deadline");
  CHECK_FALSE(closed.unreachable);
  for (int i = 0; i < 250 && !server.peer_closed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(server.peer_closed());  // the socket was closed, not leaked
}

TEST_CASE("libcurl's backstop ends a TLS handshake that never comes as a timeout") {
  SilentServer server;
  WsClient client;
  WebSocketOptions o = options_for(server.url("wss"));
  o.connect_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  client.connect(o);
  REQUIRE(client.wait_closed(std::chrono::seconds(5)));
  auto took = std::chrono::steady_clock::now() - start;
  auto closed = client.close_event();
  CHECK_FALSE(client.opened());
  CHECK(closed.error.code == ErrorCode::timeout);  // the same error as the owner's deadline
  CHECK_FALSE(closed.unreachable);
  CHECK(took >= std::chrono::milliseconds(250));
}

TEST_CASE("an invalid URL is reported through on_close") {
  WsClient client;
  client.connect(options_for("http://127.0.0.1/"));
  REQUIRE(client.wait_closed());
  CHECK(client.close_event().error.code == ErrorCode::connect_failed);
}

TEST_CASE("soketi answers /app/<key>?protocol=7 with pusher:connection_established") {
  pusher::test::SoketiServer soketi;
  WsClient client;
  client.connect(options_for("ws://127.0.0.1:" + std::to_string(soketi.port()) + "/app/" +
                             soketi.options().key + "?protocol=7&client=cpp&version=0.1.0"));
  REQUIRE(client.wait_messages(1));
  const std::string first = client.messages()[0];
  CHECK(first.find("\"event\":\"pusher:connection_established\"") != std::string::npos);
  CHECK(first.find("socket_id") != std::string::npos);
}

TEST_CASE("ws:// and wss:// tunnel through an HTTP CONNECT proxy") {
  auto tls = pusher::test::make_tls_files();
  pusher::test::ChildProcess proxy({pusher::test::node_binary(),
                                    pusher::test::interop_dir() + "/connect-proxy.mjs"},
                                   {}, pusher::test::interop_dir());
  auto port = proxy.wait_for_line("READY ", std::chrono::seconds(15));
  REQUIRE_MESSAGE(port.has_value(), proxy.output());
  const std::string proxy_url = "http://127.0.0.1:" + *port;
  for (bool secure : {false, true}) {
    CAPTURE(secure);
    pusher::test::EchoServer server(secure ? tls.server_cert : "", secure ? tls.server_key : "");
    WsClient client;
    WebSocketOptions o = options_for(std::string(secure ? "wss" : "ws") + "://127.0.0.1:" +
                                     std::to_string(server.port()) + "/");
    o.proxy = proxy_url;
    o.ca_file = tls.ca_cert;
    client.connect(o);
    REQUIRE(client.wait_open());
    client.send("through the tunnel");
    REQUIRE(client.wait_messages(1));
    CHECK(client.messages()[0] == "through the tunnel");
    CHECK(proxy.wait_for_output("TUNNEL 127.0.0.1:" + std::to_string(server.port()),
                                std::chrono::seconds(5)));
  }
}
