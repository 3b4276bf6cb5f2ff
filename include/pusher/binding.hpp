#pragma once

/// @file
/// The handle every bind returns.

#include <pusher/export.hpp>

#include <memory>

namespace pusher {

namespace detail {
class BindingState;
}

/// Keeps a callback bound. Destroying it (or calling unbind()) unbinds: once that returns,
/// the callback never runs again. Move-only.
///
/// Thread safety: unbind() and the destructor may be called from any thread, including from
/// inside the callback itself. From another thread they wait, without a time limit, for a
/// callback that is running to finish, so do not destroy a Binding while holding a lock its
/// callback takes. Discarding the handle a bind returns unbinds at once, hence [[nodiscard]].
class PUSHER_NODISCARD_API Binding {
 public:
  /// An empty handle, bound to nothing.
  Binding() noexcept = default;
  /// Takes over `other`'s callback; `other` becomes empty.
  Binding(Binding&& other) noexcept = default;
  /// Unbinds the callback this handle held (as unbind()), then takes over `other`'s.
  Binding& operator=(Binding&& other) noexcept;
  /// Unbinds (as unbind()).
  ~Binding();

  /// Unbinds now; harmless when already unbound or empty.
  void unbind() noexcept;
  /// True while the callback is bound.
  bool active() const noexcept;
  /// Lets the callback live as long as the Manager (the handle no longer controls it).
  void release() noexcept;

  /// For the SDK's implementation only.
  explicit Binding(std::shared_ptr<detail::BindingState> state) noexcept;

 private:
  std::shared_ptr<detail::BindingState> state_;
};

}  // namespace pusher
