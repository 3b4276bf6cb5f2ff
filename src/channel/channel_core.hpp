#pragma once

#include <pusher/app_events.hpp>
#include <pusher/channel.hpp>
#include <pusher/event.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/handlers.hpp"
#include "common/loop_ref.hpp"
#include "protocol/channel.hpp"

namespace pusher::detail {

class ManagerCore;

/// One client event waiting for its channel's subscription or the rate limit.
struct QueuedClientEvent {
  std::string message;  // the encoded frame
  std::string event;    // its name, for errors
};

/// One subscription's state. The atomics are read from any thread; everything else belongs
/// to the loop thread.
class ChannelCore {
 public:
  /// Where a subscription stands with the server (pusher-js src/core/channels/channel.ts:
  /// subscriptionPending, subscribed). `authorizing`: waiting for the authorizer, nothing sent;
  /// `pending`: the subscribe frame went out, no answer yet.
  enum class Sub { idle, authorizing, pending, subscribed };

  ChannelCore(std::string name, std::shared_ptr<LoopRef> loop)
      : name_(std::move(name)), kind_(protocol::channel_kind(name_)), loop_(std::move(loop)) {}

  const std::string& name() const noexcept { return name_; }
  protocol::ChannelKind kind() const noexcept { return kind_; }
  const std::shared_ptr<LoopRef>& loop() const noexcept { return loop_; }

  /// The Manager that owns the subscription (client events go through it).
  std::weak_ptr<ManagerCore> manager;

  std::atomic<bool> subscribed{false};
  std::atomic<int> subscription_count{0};
  /// Set (at the call) by Manager::unsubscribe: this handle's subscription is over, and a
  /// later subscribe() of the same name makes a new one.
  std::atomic<bool> stale{false};

  // Loop thread only.
  Sub sub = Sub::idle;
  bool cancelled = false;      // unsubscribed while pending: unsubscribe once it is answered
  bool ever_subscribed = false;
  std::chrono::steady_clock::time_point lost_at{};
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;
  Registry<const std::vector<Member>&> here_handlers;
  Registry<const Member&> joining_handlers;
  Registry<const Member&> leaving_handlers;

  /// Unbinds every callback of this channel (unsubscribe drops its handlers, as Echo's leave()).
  void clear_handlers() {
    events.clear();
    app_events.clear();
    here_handlers.clear();
    joining_handlers.clear();
    leaving_handlers.clear();
  }

  // Loop thread: authorisation (private, presence, encrypted).
  std::uint64_t auth_generation = 0;  // a late answer for an older attempt is dropped
  unsigned auth_attempts = 0;         // transient auth failures in a row (their back-off)
  std::uint64_t sent_seq = 0;         // order of the subscribe frame sent; 0: none went out
  std::string shared_secret;          // private-encrypted-: base64 of the channel key
  bool refreshing_key = false;        // a fresh key is being fetched; events wait for it
  bool key_refreshed = false;         // the last refresh brought a key that did not open either
  std::deque<Event> awaiting_key;     // encrypted events held while a fresh key is fetched

  // Loop thread: client events waiting for the subscription or the rate limit.
  std::deque<QueuedClientEvent> client_events;

  // Presence: written on the loop thread, read from any thread. Members are kept by id
  // (O(log n) join and leave), at most `limit` of them.
  std::vector<Member> members_snapshot() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    std::vector<Member> out;
    out.reserve(members_.size());
    for (const auto& [id, m] : members_) out.push_back(m);
    return out;
  }
  std::optional<Member> me() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    auto it = my_id_.empty() ? members_.end() : members_.find(my_id_);
    if (it == members_.end()) return std::nullopt;
    return it->second;
  }
  int member_count() const {
    std::lock_guard<std::mutex> lock(members_mutex_);
    return static_cast<int>(members_.size());
  }
  /// Replaces the members with the first `limit` of `members`; returns how many were left out.
  std::size_t set_members(const std::vector<Member>& members, std::size_t limit) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    members_.clear();
    std::size_t left_out = 0;
    for (const auto& m : members) {
      if (members_.count(m.id) != 0) continue;
      if (members_.size() >= limit) {
        ++left_out;
        continue;
      }
      members_.emplace(m.id, m);
    }
    return left_out;
  }
  void set_my_id(std::string id) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    my_id_ = std::move(id);
  }
  enum class Added { added, duplicate, over_limit };
  Added add_member(const Member& member, std::size_t limit) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    if (members_.count(member.id) != 0) return Added::duplicate;  // servers dedupe, but be safe
    if (members_.size() >= limit) return Added::over_limit;
    members_.emplace(member.id, member);
    return Added::added;
  }
  std::optional<Member> remove_member(const std::string& id) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return std::nullopt;
    Member gone = std::move(it->second);
    members_.erase(it);
    return gone;
  }

 private:
  std::string name_;
  protocol::ChannelKind kind_;
  std::shared_ptr<LoopRef> loop_;
  mutable std::mutex members_mutex_;
  std::map<std::string, Member> members_;
  std::string my_id_;
};

}  // namespace pusher::detail
