#pragma once

// A WebSocket on its own loop thread, recording what its listener sees, for integration tests.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "net/websocket.hpp"

namespace pusher::test {

class WsClient : private detail::net::WebSocketListener {
 public:
  WsClient()
      : ws_(std::make_unique<detail::net::WebSocket>(
            thread_.loop(), static_cast<detail::net::WebSocketListener&>(*this))) {}
  ~WsClient() override {
    // The socket belongs to its loop thread: destroy it there, before the thread stops.
    run([this] { ws_.reset(); });
  }

  /// Runs `fn` on the loop thread and waits for it.
  void run(std::function<void()> fn) {
    std::promise<void> done;
    thread_.loop().post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void connect(detail::net::WebSocketOptions options) {
    run([&] { ws_->connect(std::move(options)); });
  }
  void send(const std::string& text) {
    run([&] { ws_->send_text(text); });
  }
  void close(std::uint16_t code = 1000) {
    run([&] { ws_->close(code); });
  }
  /// What an owner does when its deadline passes (the WebSocket has none of its own).
  void abort(Error error) {
    run([&] { ws_->abort(std::move(error)); });
  }

  /// Waits until `pred` holds for the recorded state, or the deadline passes.
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }
  bool wait_open() { return wait([this] { return opened_ || closed_; }) && opened_; }
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait([this] { return closed_; }, timeout);
  }
  bool wait_messages(std::size_t n) { return wait([&] { return messages_.size() >= n || closed_; }) && messages_.size() >= n; }

  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  detail::net::CloseEvent close_event() {
    std::lock_guard<std::mutex> lock(mutex_);
    return close_event_;
  }
  bool opened() {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_;
  }

 private:
  void on_open() override { record([&] { opened_ = true; }); }
  void on_text(std::string_view message) override {
    record([&] { messages_.emplace_back(message); });
  }
  void on_close(const detail::net::CloseEvent& event) override {
    record([&] {
      closed_ = true;
      close_event_ = event;
    });
  }
  template <typename F>
  void record(F f) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      f();
    }
    cv_.notify_all();
  }

  detail::net::LoopThread thread_;
  std::unique_ptr<detail::net::WebSocket> ws_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool opened_ = false;
  bool closed_ = false;
  std::vector<std::string> messages_;
  detail::net::CloseEvent close_event_;
};

}  // namespace pusher::test
