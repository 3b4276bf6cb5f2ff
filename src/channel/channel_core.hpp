#pragma once

#include <pusher/app_events.hpp>
#include <pusher/channel.hpp>
#include <pusher/event.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "manager/handlers.hpp"
#include "manager/loop_ref.hpp"
#include "protocol/channel.hpp"

namespace pusher::detail {

/// One subscription's state. The atomics are read from any thread; everything else belongs
/// to the loop thread.
class ChannelCore {
 public:
  /// Where a subscription stands with the server (protocol.md §1.9).
  enum class Sub { idle, pending, subscribed };

  ChannelCore(std::string name, std::shared_ptr<LoopRef> loop)
      : name_(std::move(name)), kind_(protocol::channel_kind(name_)), loop_(std::move(loop)) {}

  const std::string& name() const noexcept { return name_; }
  protocol::ChannelKind kind() const noexcept { return kind_; }
  const std::shared_ptr<LoopRef>& loop() const noexcept { return loop_; }

  std::atomic<bool> subscribed{false};
  std::atomic<int> subscription_count{0};

  // Loop thread only.
  Sub sub = Sub::idle;
  bool cancelled = false;      // unsubscribed while pending: unsubscribe once it succeeds
  bool ever_subscribed = false;
  std::chrono::steady_clock::time_point lost_at{};
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;

 private:
  std::string name_;
  protocol::ChannelKind kind_;
  std::shared_ptr<LoopRef> loop_;
};

}  // namespace pusher::detail
