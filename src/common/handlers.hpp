#pragma once

#include <pusher/binding.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/loop_ref.hpp"

namespace pusher::detail {

/// What a Binding points at: one registered callback.
class BindingState {
 public:
  explicit BindingState(std::shared_ptr<LoopRef> loop) : loop_(std::move(loop)) {}
  virtual ~BindingState() = default;

  bool active() const noexcept { return active_.load(std::memory_order_acquire); }
  /// Stops the callback. Off the loop thread it also waits until a running call of it ends,
  /// so no call happens after this returns.
  void unbind() noexcept;

 private:
  std::atomic<bool> active_{true};
  std::shared_ptr<LoopRef> loop_;
};

/// The callbacks bound to one source (a channel, or the Manager), in binding order. Loop
/// thread only. Unbinding while dispatching is safe: dead slots are skipped and swept once
/// no dispatch is running.
template <typename... Args>
class Registry {
 public:
  using Fn = std::function<void(Args...)>;

  struct Slot : BindingState {
    Slot(std::shared_ptr<LoopRef> loop, std::string filter, Fn fn)
        : BindingState(std::move(loop)), filter(std::move(filter)), fn(std::move(fn)) {}
    std::string filter;  // event name, or "" for every event
    Fn fn;
  };

  /// Adds a callback; `filter` "" matches everything.
  std::shared_ptr<Slot> add(std::shared_ptr<LoopRef> loop, std::string filter, Fn fn) {
    auto slot = std::make_shared<Slot>(std::move(loop), std::move(filter), std::move(fn));
    slots_.push_back(slot);
    return slot;
  }

  /// Adds a slot made elsewhere (a Binding made on another thread, registered on the loop).
  void adopt(std::shared_ptr<Slot> slot) {
    if (slot->active()) slots_.push_back(std::move(slot));
  }

  /// Calls each live callback whose filter is "" or `name`. `guard` wraps every call (it
  /// catches exceptions). Callbacks added during the dispatch wait for the next one.
  template <typename Guard>
  void dispatch(const std::string& name, Guard&& guard, Args... args) {
    if (slots_.empty()) return;
    ++depth_;
    const std::size_t n = slots_.size();
    for (std::size_t i = 0; i < n; ++i) {
      // A plain pointer is enough: slots_ owns every slot, and none leaves it while depth_ > 0
      // (sweep() and clear() wait for the outermost dispatch), whatever the callback unbinds.
      // Read from slots_ each time: a slot added by a callback may move the vector.
      Slot* slot = slots_[i].get();
      if (!slot->active() || (!slot->filter.empty() && slot->filter != name)) continue;
      guard([&] { slot->fn(args...); });
    }
    if (--depth_ == 0) sweep();
  }

  /// True when some live callback would take `name` (so decoding can be skipped otherwise).
  bool wants(const std::string& name) const {
    for (const auto& slot : slots_) {
      if (slot->active() && (slot->filter.empty() || slot->filter == name)) return true;
    }
    return false;
  }
  bool empty() const noexcept { return slots_.empty(); }

  /// Unbinds every callback whose filter is exactly `name` (Echo's stopListening).
  void unbind_filter(const std::string& name) {
    for (auto& slot : slots_) {
      if (slot->filter == name) slot->unbind();
    }
    if (depth_ == 0) sweep();
  }

  /// Unbinds every callback (a channel that is left drops its handlers, as Echo's leave()).
  void clear() {
    for (auto& slot : slots_) slot->unbind();
    if (depth_ == 0) slots_.clear();
  }

 private:
  // Only when no dispatch is running: dispatch() holds plain pointers into slots_.
  void sweep() {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i]->active()) continue;
      if (kept != i) slots_[kept] = std::move(slots_[i]);
      ++kept;
    }
    slots_.resize(kept);
  }

  std::vector<std::shared_ptr<Slot>> slots_;
  int depth_ = 0;
};

/// Makes a Binding for `fn` at once and registers it in `owner->*registry` on the loop thread
/// (the handle's flag stops the callback even before the registration runs).
template <typename Owner, typename RegistryT, typename Fn>
Binding bind_on_loop(const std::shared_ptr<Owner>& owner, const std::shared_ptr<LoopRef>& loop,
                     RegistryT Owner::*registry, std::string filter, Fn fn) {
  auto slot = std::make_shared<typename RegistryT::Slot>(loop, std::move(filter), std::move(fn));
  std::weak_ptr<Owner> weak = owner;
  loop->post([weak, registry, slot]() mutable {
    if (auto o = weak.lock()) ((*o).*registry).adopt(std::move(slot));
  });
  return Binding(std::move(slot));
}

}  // namespace pusher::detail
