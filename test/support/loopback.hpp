#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace pusher::test {

/// A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, read, closed).
int free_port();

/// Status code of GET scheme://127.0.0.1:port/path (https without verifying the peer), or
/// -1 when nothing answered in time. Ignores proxy settings in the environment.
int http_get_status(int port, const std::string& path, bool tls, std::chrono::milliseconds timeout);

/// True when process pid owns a listening TCP socket on 127.0.0.1:port (read from /proc),
/// so a test can tell its own server from another one that took the port.
bool process_listens_on(pid_t pid, int port);

}  // namespace pusher::test
