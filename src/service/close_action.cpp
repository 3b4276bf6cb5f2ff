#include "service/close_action.hpp"

#include <algorithm>

namespace pusher::detail::service {

CloseAction classify_close(int code) noexcept {
  if (code == 4000) return CloseAction::tls_only;
  if (code >= 4001 && code <= 4099) return CloseAction::refused;
  if (code >= 4100 && code <= 4199) return CloseAction::server_backoff;
  if (code >= 4200 && code <= 4299) return CloseAction::immediate;
  // 1000-3999 (including 1006 for a dropped TCP connection) and 4300+: back off. pusher-js
  // treats 4300+ as refused, but 4301 (rate limit) is informational in the spec, so a close
  // with it is worth another try later rather than giving up for good.
  return CloseAction::backoff;
}

int effective_close_code(int close_code, int recent_error_code) noexcept {
  bool codeless = close_code == 1005 || close_code == 1006;
  return codeless && recent_error_code >= 4000 && recent_error_code <= 4299 ? recent_error_code
                                                                            : close_code;
}

std::chrono::milliseconds retry_delay(std::chrono::milliseconds interval,
                                      std::chrono::milliseconds max, double unit) noexcept {
  unit = std::clamp(unit, 0.0, 1.0);
  auto delay = static_cast<long long>(static_cast<double>(interval.count()) * (0.5 + unit));
  return std::chrono::milliseconds(std::clamp<long long>(delay, 0, std::max<long long>(max.count(), 0)));
}

std::chrono::milliseconds backoff_delay(CloseAction action, unsigned failures,
                                        std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, double unit) noexcept {
  using std::chrono::milliseconds;
  if ((action == CloseAction::immediate || action == CloseAction::tls_only) && failures == 0) {
    return milliseconds(0);
  }
  // Doubling from the first failure: only failures a server answered (or timeouts) count, so
  // a restart that refuses connects for a while does not push the ceiling up.
  long long ceiling = std::max<long long>(initial.count(), 0);
  for (unsigned i = 0; i < failures && ceiling < max.count(); ++i) ceiling *= 2;
  ceiling = std::min<long long>(ceiling, max.count());
  unit = std::clamp(unit, 0.0, 1.0);
  auto delay = static_cast<long long>(static_cast<double>(ceiling) * unit);
  // A server that asks for a back-off gets at least the initial delay (spec: >= 1 s).
  if (action == CloseAction::server_backoff) delay = std::max<long long>(delay, initial.count());
  return milliseconds(delay);
}

}  // namespace pusher::detail::service
