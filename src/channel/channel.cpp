#include <pusher/channel.hpp>

#include "channel/channel_core.hpp"

namespace pusher {
namespace {

// Registers on the loop thread; the handle is usable at once (its flag stops the callback
// even before registration runs).
template <typename RegistryT, typename Fn>
Binding register_on_loop(const std::shared_ptr<detail::ChannelCore>& core, RegistryT detail::ChannelCore::*registry,
                         std::string filter, Fn fn) {
  using Slot = typename RegistryT::Slot;
  auto slot = std::make_shared<Slot>(core->loop(), std::move(filter), std::move(fn));
  std::weak_ptr<detail::ChannelCore> weak = core;
  core->loop()->post([weak, registry, slot]() mutable {
    if (auto c = weak.lock()) ((*c).*registry).adopt(std::move(slot));
  });
  return Binding(slot);
}

}  // namespace

Channel::Channel(std::shared_ptr<detail::ChannelCore> core) noexcept : core_(std::move(core)) {}

const std::string& Channel::name() const noexcept { return core_->name(); }

bool Channel::subscribed() const noexcept { return core_->subscribed.load(); }

int Channel::subscription_count() const noexcept { return core_->subscription_count.load(); }

Binding Channel::bind(const std::string& event, EventHandler handler) {
  return register_on_loop(core_, &detail::ChannelCore::events, event, std::move(handler));
}

Binding Channel::bind_global(EventHandler handler) {
  return register_on_loop(core_, &detail::ChannelCore::events, std::string(), std::move(handler));
}

Binding Channel::bind_app_events(AppEventHandler handler) {
  return register_on_loop(core_, &detail::ChannelCore::app_events, std::string(),
                          std::move(handler));
}

}  // namespace pusher
