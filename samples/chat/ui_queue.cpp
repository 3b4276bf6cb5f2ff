#include "ui_queue.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace chat {

UiQueue::UiQueue() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

UiQueue::~UiQueue() {
  ::close(fd_);
}

void UiQueue::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake();
}

void UiQueue::wake() const noexcept {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter is saturated: the UI is woken anyway.
  [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof one);
}

std::vector<UiQueue::Task> UiQueue::drain() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t got = ::read(fd_, &count, sizeof count);
  std::vector<Task> tasks;
  std::lock_guard<std::mutex> lock(mutex_);
  tasks.swap(tasks_);
  return tasks;
}

}  // namespace chat
