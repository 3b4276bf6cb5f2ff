#include <pusher/binding.hpp>

#include "common/handlers.hpp"

namespace pusher {

namespace detail {

void BindingState::unbind() noexcept {
  if (!active_.exchange(false, std::memory_order_acq_rel)) return;
  // Off the loop thread, a call of this callback may be running right now: wait for the
  // loop to get past it, so none runs after unbind() returns.
  if (loop_ && !loop_->in_loop_thread()) {
    try {
      loop_->call([] {});
    } catch (...) {
      // Out of memory while posting: the flag alone still stops later calls.
    }
  }
}

}  // namespace detail

Binding::Binding(std::shared_ptr<detail::BindingState> state) noexcept : state_(std::move(state)) {}

Binding& Binding::operator=(Binding&& other) noexcept {
  if (this != &other) {
    unbind();
    state_ = std::move(other.state_);
  }
  return *this;
}

Binding::~Binding() { unbind(); }

void Binding::unbind() noexcept {
  if (state_) state_->unbind();
  state_.reset();
}

bool Binding::active() const noexcept { return state_ && state_->active(); }

void Binding::release() noexcept { state_.reset(); }

}  // namespace pusher
