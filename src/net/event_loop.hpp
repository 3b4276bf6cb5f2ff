#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <curl/curl.h>

#include "net/connect_pacer.hpp"
#include "net/scheduler.hpp"

namespace pusher::detail::net {

/// Wakes when one of the descriptors it watches is ready.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  /// `events` is a mask of EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP.
  virtual void on_io(std::uint32_t events) = 0;
};

/// One event thread: epoll for sockets, an eventfd for wake-ups from other threads, a timer
/// heap, and a libcurl multi handle for connects and HTTP requests. It sleeps until a socket
/// is ready or the next timer is due: no busy polling.
///
/// Thread safety: post(), stop() and in_loop_thread() may be called from any thread; every
/// other member only from the loop thread (the one inside run()).
class EventLoop final : public Scheduler {
 public:

  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Runs until stop() is called. Tasks posted before run() are run first.
  void run();
  /// Makes run() return after the current iteration. Safe from any thread.
  void stop();
  /// Runs `task` on the loop thread soon, in posting order. Safe from any thread.
  void post(Task task);
  /// True when called from inside run().
  bool in_loop_thread() const noexcept;

  /// For a loop driven by hand (the deterministic simulator): makes the calling thread the
  /// loop thread without run(); run_posted() then runs what was posted, and nothing else.
  void drive_from_this_thread() noexcept;
  /// Runs posted tasks (and those they post) until none is left; returns how many ran.
  std::size_t run_posted();

  /// Calls `task` once after `delay`. Returns an id for cancel_timer.
  TimerId add_timer(Clock::duration delay, Task task) override;
  /// Forgets a timer; harmless if it already ran or was cancelled.
  void cancel_timer(TimerId id) noexcept override;
  Clock::time_point now() const noexcept override { return Clock::now(); }

  /// Watches `fd` for `events` (EPOLLIN/EPOLLOUT), replacing any earlier interest of `handler`.
  void watch(int fd, std::uint32_t events, IoHandler* handler);
  /// Stops watching `fd` for `handler`; events already collected for it are dropped.
  void unwatch(int fd) noexcept;

  /// Starts a libcurl transfer (a connect-only connect or an HTTP request) on the shared multi
  /// handle; `done` runs on the loop thread with its result. The handle stays in the multi
  /// handle until remove_transfer: removing a connect-only handle closes its connection.
  void add_transfer(CURL* easy, std::function<void(int curl_code)> done);
  /// Removes a transfer added with add_transfer (finished or not); `done` will not run.
  void remove_transfer(CURL* easy) noexcept;

  /// A scratch buffer for socket reads, shared by every connection of this loop.
  std::vector<char>& read_buffer() noexcept { return read_buffer_; }

  /// Paces the connects of every connection on this loop (SharedLoop's max_connecting).
  ConnectPacer& connect_pacer() noexcept { return connect_pacer_; }

  /// Counts loop wake-ups (for the idle benchmarks).
  std::uint64_t wakeups() const noexcept { return wakeups_; }

 private:
  struct Watch {
    std::uint32_t curl_events = 0;   // what libcurl asked for on this fd
    std::uint32_t own_events = 0;    // what a Stream asked for
    IoHandler* handler = nullptr;
  };
  struct Timer {
    Clock::time_point due;
    TimerId id;
    bool operator>(const Timer& other) const noexcept {
      return due != other.due ? due > other.due : id > other.id;
    }
  };

  static int on_curl_socket(CURL* easy, int fd, int what, void* self, void* socket_data);
  static int on_curl_timer(CURLM* multi, long timeout_ms, void* self);
  void update_epoll(int fd);
  void dispatch_io(int fd, std::uint32_t events);
  void curl_action(int fd, int bitmask);
  void collect_finished_transfers();
  void run_tasks();
  static void run_one(Task& task) noexcept;
  void run_due_timers();
  void pop_timer();
  /// Drops cancelled timers from the heap and gives back its storage.
  void sweep_cancelled_timers();
  int next_timeout_ms();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  TimerId curl_timer_ = 0;
  std::unordered_map<int, Watch> watches_;
  std::unordered_map<CURL*, std::function<void(int)>> transfers_;
  std::vector<Timer> timer_heap_;  // a min-heap on (due, id); cancelled ids stay until swept
  std::unordered_map<TimerId, Task> timers_;
  TimerId next_timer_id_ = 1;
  std::vector<char> read_buffer_;
  ConnectPacer connect_pacer_{kDefaultMaxConnecting};
  std::uint64_t wakeups_ = 0;
  bool stopping_ = false;
  std::atomic<std::thread::id> loop_thread_{};

  mutable std::mutex mutex_;  // guards posted_ and stop_requested_
  std::vector<Task> posted_;
  bool stop_requested_ = false;
};

/// An EventLoop with its own thread, started at construction and joined at destruction.
class LoopThread {
 public:
  LoopThread();
  ~LoopThread();
  EventLoop& loop() noexcept { return *loop_; }
  /// Stops the loop and joins its thread (idempotent); the loop object stays valid.
  void stop_and_join();

 private:
  std::shared_ptr<EventLoop> loop_;
  std::thread thread_;
};

}  // namespace pusher::detail::net
