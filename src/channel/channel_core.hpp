#pragma once

#include <pusher/app_events.hpp>
#include <pusher/channel.hpp>
#include <pusher/event.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manager/handlers.hpp"
#include "manager/loop_ref.hpp"
#include "protocol/channel.hpp"

namespace pusher::detail {

class ManagerCore;

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

  /// The Manager that owns the subscription (client events go through it).
  std::weak_ptr<ManagerCore> manager;

  std::atomic<bool> subscribed{false};
  std::atomic<int> subscription_count{0};

  // Loop thread only.
  Sub sub = Sub::idle;
  bool cancelled = false;      // unsubscribed while pending: unsubscribe once it succeeds
  bool ever_subscribed = false;
  std::chrono::steady_clock::time_point lost_at{};
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;
  Registry<const std::vector<Member>&> here_handlers;
  Registry<const Member&> joining_handlers;
  Registry<const Member&> leaving_handlers;

  // Loop thread: authorisation (private, presence, encrypted).
  std::uint64_t auth_generation = 0;  // a late answer for an older attempt is dropped
  std::uint64_t pending_since = 0;    // subscribe order, to pin Reverb's channel-less 4009
  std::string shared_secret;          // private-encrypted-: base64 of the channel key
  bool reauthorised_for_decrypt = false;
  std::vector<Event> awaiting_key;    // encrypted events held while a fresh key is fetched

  // Loop thread: client events waiting for the subscription or the rate limit.
  std::deque<std::string> client_events;

  // Presence: written on the loop thread, read from any thread.
  std::vector<Member> members_snapshot() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    return members_;
  }
  std::optional<Member> me() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    for (const auto& m : members_) {
      if (!my_id_.empty() && m.id == my_id_) return m;
    }
    return std::nullopt;
  }
  int member_count() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    return static_cast<int>(members_.size());
  }
  void set_members(std::vector<Member> members) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    members_ = std::move(members);
  }
  void set_my_id(std::string id) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    my_id_ = std::move(id);
  }
  /// False when the member was already there (servers dedupe, but be safe).
  bool add_member(const Member& member) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    for (const auto& m : members_) {
      if (m.id == member.id) return false;
    }
    members_.push_back(member);
    return true;
  }
  std::optional<Member> remove_member(const std::string& id) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    for (auto it = members_.begin(); it != members_.end(); ++it) {
      if (it->id == id) {
        Member gone = std::move(*it);
        members_.erase(it);
        return gone;
      }
    }
    return std::nullopt;
  }

 private:
  std::string name_;
  protocol::ChannelKind kind_;
  std::shared_ptr<LoopRef> loop_;
  mutable std::mutex members_mutex_;
  std::vector<Member> members_;
  std::string my_id_;
};

}  // namespace pusher::detail
