#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace pusher::test {
namespace {

constexpr std::size_t kKeptOutput = std::size_t{64} * 1024;
constexpr auto kPollStep = std::chrono::milliseconds(5);
constexpr auto kTermGrace = std::chrono::seconds(3);
// After the child is reaped, how long the reader may still drain output that a grandchild
// could hold open forever.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(300);

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::system_category().message(errno);
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(errno_text("pipe2") + " (out of file descriptors?)");
  }
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool overridden =
        std::any_of(extra.begin(), extra.end(), [&](const auto& kv) { return kv.first == name; });
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// posix_spawn file actions, released on every path.
class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

// Starts argv with stdin from stdin_fd and stdout+stderr into output_fd: 0 or an errno.
int spawn(std::vector<std::string> argv, std::vector<std::string> env, const std::string& cwd,
          int stdin_fd, int output_fd, pid_t* pid) {
  FileActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), stdin_fd, STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), output_fd, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), output_fd, STDERR_FILENO);
  if (!cwd.empty()) ::posix_spawn_file_actions_addchdir_np(actions.get(), cwd.c_str());

  // The child starts with default signal dispositions and an empty mask, whatever the test
  // runner set up.
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> env_c = c_strings(env);
  std::vector<char*> argv_c = c_strings(argv);
  int rc = ::posix_spawnp(pid, argv_c[0], actions.get(), &attr, argv_c.data(), env_c.data());
  ::posix_spawnattr_destroy(&attr);
  return rc;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           const std::vector<std::pair<std::string, std::string>>& extra_env,
                           const std::string& cwd) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: argv must name a program");
  for (const auto& a : argv) command_ += (command_.empty() ? "" : " ") + a;

  // Every descriptor is close-on-exec, so a child spawned by another thread never inherits
  // our stdin write end (which would keep a node script alive after we close it).
  int in[2];
  int out[2];
  int wake[2];
  make_pipe(in);
  make_pipe(out);
  make_pipe(wake);
  stdin_fd_ = in[1];
  output_fd_ = out[0];
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];

  std::vector<std::string> env = merged_environment(extra_env);
  int rc = spawn(argv, env, cwd, in[0], out[1], &pid_);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    close_fd(stdin_fd_);
    close_fd(output_fd_);
    close_fd(wake_read_fd_);
    close_fd(wake_write_fd_);
    throw std::runtime_error("cannot start '" + command_ +
                             "': " + std::system_category().message(rc) + " (is '" + argv[0] +
                             "' installed and in PATH" +
                             (cwd.empty() ? "" : ", and does '" + cwd + "' exist") + "?)");
  }
  reader_ = std::thread([this] { read_loop(); });
}

ChildProcess::~ChildProcess() {
  close_stdin();
  if (!try_reap(false)) {
    kill(SIGTERM);
    if (wait(std::chrono::duration_cast<std::chrono::milliseconds>(kTermGrace)) < 0) {
      kill(SIGKILL);
      try_reap(true);
    }
  }
  stop_reader();
  close_fd(output_fd_);
  close_fd(wake_read_fd_);
  close_fd(wake_write_fd_);
}

void ChildProcess::read_loop() {
  char buffer[16 * 1024];
  bool draining = false;
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  for (;;) {
    pollfd fds[2] = {{output_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    int timeout_ms = draining ? 10 : -1;
    int n = ::poll(fds, draining ? 1 : 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (!draining && (fds[1].revents & POLLIN) != 0) {
      // Stop requested: take what is left, but not forever (a grandchild may hold the pipe).
      draining = true;
      drain_deadline = std::chrono::steady_clock::now() + kDrainAfterExit;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t got = ::read(output_fd_, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // end of output: every writer is gone
      append_output(buffer, static_cast<std::size_t>(got));
    } else if (draining && n == 0) {
      break;
    }
    if (draining && std::chrono::steady_clock::now() >= drain_deadline) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  output_ended_ = true;
  changed_.notify_all();
}

void ChildProcess::append_output(const char* data, std::size_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t old_size = output_.size();
  output_.append(data, size);
  output_total_ += size;
  // Match pending needles on the new bytes (plus an overlap) before trimming, so a needle
  // that arrives while someone waits is never lost to the 64 KiB bound.
  for (Waiter* w : waiters_) {
    if (w->found) continue;
    std::size_t overlap = std::min(old_size, w->needle.size());
    if (output_.find(w->needle, old_size - overlap) != std::string::npos) w->found = true;
  }
  if (output_.size() > 2 * kKeptOutput) output_.erase(0, output_.size() - kKeptOutput);
  changed_.notify_all();
}

bool ChildProcess::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  if (output_.find(needle) != std::string::npos) return true;
  Waiter waiter{std::string(needle)};
  waiters_.push_back(&waiter);
  changed_.wait_until(lock, deadline, [&] { return waiter.found || output_ended_; });
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  return waiter.found;
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view prefix,
                                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  std::optional<std::string> line;
  auto find_line = [&] {
    for (std::size_t pos = 0; pos < output_.size();) {
      std::size_t end = output_.find('\n', pos);
      if (end == std::string::npos) break;  // only complete lines
      std::string_view candidate(output_.data() + pos, end - pos);
      if (candidate.substr(0, prefix.size()) == prefix) {
        line = std::string(candidate.substr(prefix.size()));
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      pos = end + 1;
    }
    return output_ended_;
  };
  changed_.wait_until(lock, deadline, find_line);
  return line;
}

std::string ChildProcess::output() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (output_.size() <= kKeptOutput) return output_;
  return output_.substr(output_.size() - kKeptOutput);
}

void ChildProcess::kill(int sig) {
  // Safe from pid reuse: the pid stays ours until we reap it.
  if (!reaped_) ::kill(pid_, sig);
}

bool ChildProcess::try_reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    status_ = decode_status(status);
    // The output is usually complete a moment after exit; let readers of output() see it.
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kDrainAfterExit, [this] { return output_ended_; });
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // someone else reaped it; nothing left to signal
    reaped_ = true;
    return true;
  }
  return false;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!try_reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(kPollStep);
  }
  return status_;
}

bool ChildProcess::running() {
  return !try_reap(false);
}

void ChildProcess::close_stdin() {
  close_fd(stdin_fd_);
}

bool ChildProcess::write_stdin(std::string_view text) {
  while (!text.empty() && stdin_fd_ >= 0) {
    ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return text.empty();
}

pid_t ChildProcess::pid() const {
  return pid_;
}

const std::string& ChildProcess::command() const {
  return command_;
}

void ChildProcess::stop_reader() {
  if (!reader_.joinable()) return;
  char byte = 1;
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  reader_.join();
}

}  // namespace pusher::test
