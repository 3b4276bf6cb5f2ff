#include "net/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "net/curl_global.hpp"

namespace pusher::detail::net {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
constexpr int kMaxEvents = 256;
// Cancelled timers tolerated in the heap beyond the live ones before it is swept.
constexpr std::size_t kCancelledTimerSlack = 64;

std::runtime_error sys_error(const char* what) {
  return std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

std::uint32_t curl_to_epoll(int what) {
  switch (what) {
    case CURL_POLL_IN: return EPOLLIN;
    case CURL_POLL_OUT: return EPOLLOUT;
    case CURL_POLL_INOUT: return EPOLLIN | EPOLLOUT;
    default: return 0;
  }
}

}  // namespace

EventLoop::EventLoop() : read_buffer_(kReadBufferSize) {
  ensure_curl_initialised();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw sys_error("epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    throw sys_error("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);

  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EventLoop::on_curl_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EventLoop::on_curl_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

EventLoop::~EventLoop() {
  for (auto& [easy, done] : transfers_) curl_multi_remove_handle(multi_, easy);
  curl_multi_cleanup(multi_);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void EventLoop::run() {
  loop_thread_ = std::this_thread::get_id();
  std::vector<epoll_event> events(kMaxEvents);
  while (true) {
    run_tasks();
    run_due_timers();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_requested_) break;
      if (!posted_.empty()) continue;
    }
    int n = epoll_wait(epoll_fd_, events.data(), kMaxEvents, next_timeout_ms());
    if (n < 0 && errno != EINTR) throw sys_error("epoll_wait");
    ++wakeups_;
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == wake_fd_) {
        std::uint64_t value;
        while (::read(wake_fd_, &value, sizeof value) > 0) {
        }
        continue;
      }
      dispatch_io(fd, events[static_cast<std::size_t>(i)].events);
    }
  }
  // Tasks posted before stop() still run: a caller may be waiting on one.
  run_tasks();
  std::lock_guard<std::mutex> lock(mutex_);
  stop_requested_ = false;
  loop_thread_ = std::thread::id{};
}

void EventLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::post(Task task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = posted_.empty();
    posted_.push_back(std::move(task));
  }
  // One wake-up per batch: the loop drains the whole queue when it wakes.
  if (was_empty && !in_loop_thread()) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wake_fd_, &one, sizeof one);
  }
}

bool EventLoop::in_loop_thread() const noexcept {
  return loop_thread_ == std::this_thread::get_id();
}

void EventLoop::run_tasks() {
  std::vector<Task> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(posted_);
  }
  // Run outside the lock: a task may post more work.
  for (auto& task : batch) run_one(task);
}

void EventLoop::run_one(Task& task) noexcept {
  // The last line of defence: the layers above catch and report their own exceptions, so one
  // that still gets here is logged and dropped rather than ending the process.
  try {
    task();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pusher: an exception escaped a loop task: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "pusher: an exception escaped a loop task\n");
  }
}

void EventLoop::drive_from_this_thread() noexcept { loop_thread_ = std::this_thread::get_id(); }

std::size_t EventLoop::run_posted() {
  std::size_t ran = 0;
  while (true) {
    std::vector<Task> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(posted_);
    }
    if (batch.empty()) return ran;
    for (auto& task : batch) run_one(task);
    ran += batch.size();
  }
}

EventLoop::TimerId EventLoop::add_timer(Clock::duration delay, Task task) {
  TimerId id = next_timer_id_++;
  timer_heap_.push_back(Timer{Clock::now() + delay, id});
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<>());
  timers_.emplace(id, std::move(task));
  return id;
}

void EventLoop::cancel_timer(TimerId id) noexcept { timers_.erase(id); }

void EventLoop::run_due_timers() {
  auto now = Clock::now();
  while (!timer_heap_.empty() && timer_heap_.front().due <= now) {
    TimerId id = timer_heap_.front().id;
    pop_timer();
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled
    Task task = std::move(it->second);
    timers_.erase(it);
    run_one(task);
  }
}

void EventLoop::pop_timer() {
  std::pop_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<>());
  timer_heap_.pop_back();
}

void EventLoop::sweep_cancelled_timers() {
  timer_heap_.erase(std::remove_if(timer_heap_.begin(), timer_heap_.end(),
                                   [&](const Timer& t) { return timers_.count(t.id) == 0; }),
                    timer_heap_.end());
  std::make_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<>());
  timer_heap_.shrink_to_fit();
}

int EventLoop::next_timeout_ms() {
  // Drop cancelled timers from the top so they do not cause needless wake-ups.
  auto& heap = timer_heap_;
  // A cancelled timer stays in the heap until it comes due: thousands of connects each
  // cancelling a 10 s connect timeout would otherwise leave the heap (and its storage, kept
  // for the life of the loop) at the size of the burst. Sweeping when most entries are dead
  // costs O(1) per cancel, amortised.
  if (heap.size() > 2 * timers_.size() + kCancelledTimerSlack) sweep_cancelled_timers();
  while (!heap.empty() && timers_.count(heap.front().id) == 0) pop_timer();
  if (heap.empty()) return -1;
  auto wait = heap.front().due - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so a timer is never woken for too early.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

void EventLoop::watch(int fd, std::uint32_t events, IoHandler* handler) {
  Watch& w = watches_[fd];
  w.own_events = events;
  w.handler = handler;
  update_epoll(fd);
}

void EventLoop::unwatch(int fd) noexcept {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  it->second.own_events = 0;
  it->second.handler = nullptr;
  update_epoll(fd);
}

void EventLoop::update_epoll(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  const Watch& w = it->second;
  std::uint32_t wanted = w.curl_events | (w.handler ? w.own_events : 0);
  epoll_event ev{};
  ev.events = wanted;
  ev.data.fd = fd;
  if (w.curl_events == 0 && w.handler == nullptr) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    watches_.erase(it);
    return;
  }
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void EventLoop::dispatch_io(int fd, std::uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;  // unwatched earlier in this batch
  std::uint32_t curl_events = it->second.curl_events;
  IoHandler* handler = it->second.handler;
  if (curl_events != 0) {
    int bitmask = 0;
    if (events & (EPOLLIN | EPOLLHUP)) bitmask |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) bitmask |= CURL_CSELECT_OUT;
    if (events & EPOLLERR) bitmask |= CURL_CSELECT_ERR;
    curl_action(fd, bitmask);
    // libcurl may have unwatched the fd or a callback may have replaced the handler.
    it = watches_.find(fd);
    if (it == watches_.end() || it->second.handler != handler) return;
  }
  if (handler != nullptr) handler->on_io(events);
}

void EventLoop::add_transfer(CURL* easy, std::function<void(int)> done) {
  transfers_[easy] = std::move(done);
  curl_multi_add_handle(multi_, easy);
}

void EventLoop::remove_transfer(CURL* easy) noexcept {
  if (transfers_.erase(easy) == 0) return;
  curl_multi_remove_handle(multi_, easy);
}

void EventLoop::curl_action(int fd, int bitmask) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, bitmask, &running);
  collect_finished_transfers();
}

void EventLoop::collect_finished_transfers() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    auto it = transfers_.find(msg->easy_handle);
    if (it == transfers_.end() || !it->second) continue;
    // Keep the entry (the handle stays in the multi handle) but run `done` only once.
    auto done = std::move(it->second);
    it->second = nullptr;
    done(static_cast<int>(msg->data.result));
  }
}

int EventLoop::on_curl_socket(CURL*, int fd, int what, void* self, void*) {
  auto* loop = static_cast<EventLoop*>(self);
  Watch& w = loop->watches_[fd];
  w.curl_events = what == CURL_POLL_REMOVE ? 0 : curl_to_epoll(what);
  loop->update_epoll(fd);
  return 0;
}

int EventLoop::on_curl_timer(CURLM*, long timeout_ms, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  if (loop->curl_timer_ != 0) loop->cancel_timer(loop->curl_timer_);
  loop->curl_timer_ = 0;
  if (timeout_ms < 0) return 0;
  loop->curl_timer_ = loop->add_timer(std::chrono::milliseconds(timeout_ms), [loop] {
    loop->curl_timer_ = 0;
    loop->curl_action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

LoopThread::LoopThread() : loop_(std::make_shared<EventLoop>()) {
  // The thread holds the loop too: a LoopThread destroyed on its own thread (a Manager
  // destroyed from its own callback) detaches, and the loop lives until run() returns.
  thread_ = std::thread([loop = loop_] { loop->run(); });
}

LoopThread::~LoopThread() {
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id()) {
    loop_->stop();
    thread_.detach();
    return;
  }
  stop_and_join();
}

void LoopThread::stop_and_join() {
  if (!thread_.joinable()) return;
  loop_->stop();
  thread_.join();
}

}  // namespace pusher::detail::net
