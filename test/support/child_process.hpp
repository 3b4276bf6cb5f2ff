#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace pusher::test {

/// A child process for integration tests (a node server, openssl, a shell).
///
/// Its stdout and stderr go into one pipe that a thread reads; the last 64 KiB are kept for
/// diagnostics. Its stdin is a pipe that stays open until close_stdin() or destruction: our
/// node scripts exit when it reaches end-of-file, so they never outlive the test process.
/// The destructor sends SIGTERM, waits up to 3 s, then sends SIGKILL, and always reaps.
/// Only the child's own pid is ever signalled.
///
/// @par Thread Safety
/// output(), wait_for_output() and wait_for_line() may be called from any thread; the
/// other members from one thread at a time.
class ChildProcess {
 public:
  /// Starts argv[0] (searched in PATH) with the environment of this process plus
  /// extra_env (which overrides), in cwd when not empty. Throws std::runtime_error.
  explicit ChildProcess(std::vector<std::string> argv,
                        const std::vector<std::pair<std::string, std::string>>& extra_env = {},
                        const std::string& cwd = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// True once needle appeared in the output. Returns false at the deadline, or as soon as
  /// the output ended (the child and all holders of the pipe are gone) without it. A needle
  /// already dropped from the 64 KiB tail before this call is not found.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout);
  /// The rest of the first complete output line starting with prefix (without the
  /// prefix and the newline), or nothing at the deadline or at the end of the output.
  std::optional<std::string> wait_for_line(std::string_view prefix,
                                           std::chrono::milliseconds timeout);
  /// The captured output so far (the last 64 KiB of stdout and stderr interleaved).
  std::string output() const;

  /// Sends sig to the child unless it was already reaped.
  void kill(int sig);
  /// Waits for the child to exit and reaps it: its exit code, 128 + the signal when a
  /// signal ended it, or -1 at the deadline. Once reaped, returns the same value again.
  int wait(std::chrono::milliseconds timeout);
  /// False once the child has exited (it is then reaped).
  bool running();
  /// Closes the child's stdin (our node scripts then exit).
  void close_stdin();
  /// Writes all of `text` to the child's stdin; false if it is closed or the child is gone.
  bool write_stdin(std::string_view text);
  pid_t pid() const;
  /// argv joined with spaces, for messages.
  const std::string& command() const;

 private:
  void read_loop();
  void append_output(const char* data, std::size_t size);
  bool try_reap(bool block);
  void stop_reader();

  std::string command_;
  pid_t pid_ = -1;
  int status_ = -1;  // exit status once reaped
  bool reaped_ = false;
  int stdin_fd_ = -1;
  int output_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  std::size_t output_total_ = 0;  // bytes ever received
  bool output_ended_ = false;
  struct Waiter {
    std::string needle;
    bool found = false;
  };
  std::vector<Waiter*> waiters_;
  std::thread reader_;
};

}  // namespace pusher::test
