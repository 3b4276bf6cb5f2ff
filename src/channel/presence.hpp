#pragma once

#include <pusher/channel.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pusher::detail {

/// The members of one presence channel, kept by id (O(log n) join and leave), at most a limit
/// of them. Written on the loop thread, read from any thread.
class PresenceSet {
 public:
  enum class Added { added, duplicate, over_limit };

  std::vector<Member> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Member> out;
    out.reserve(members_.size());
    for (const auto& [id, m] : members_) out.push_back(m);
    return out;
  }
  std::optional<Member> me() const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = my_id_.empty() ? members_.end() : members_.find(my_id_);
    if (it == members_.end()) return std::nullopt;
    return it->second;
  }
  int count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(members_.size());
  }
  /// Replaces the members with the first `limit` of `members`; returns how many were left out.
  std::size_t assign(const std::vector<Member>& members, std::size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
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
  void clear() { assign({}, 0); }
  void set_my_id(std::string id) {
    std::lock_guard<std::mutex> lock(mutex_);
    my_id_ = std::move(id);
  }
  Added add(const Member& member, std::size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (members_.count(member.id) != 0) return Added::duplicate;  // servers dedupe, but be safe
    if (members_.size() >= limit) return Added::over_limit;
    members_.emplace(member.id, member);
    return Added::added;
  }
  std::optional<Member> remove(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return std::nullopt;
    Member gone = std::move(it->second);
    members_.erase(it);
    return gone;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Member> members_;
  std::string my_id_;
};

}  // namespace pusher::detail
