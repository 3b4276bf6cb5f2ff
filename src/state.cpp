#include <pusher/options.hpp>
#include <pusher/state.hpp>

namespace pusher {

const char* to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::initialized: return "initialized";
    case ConnectionState::connecting: return "connecting";
    case ConnectionState::connected: return "connected";
    case ConnectionState::unavailable: return "unavailable";
    case ConnectionState::disconnected: return "disconnected";
    case ConnectionState::failed: return "failed";
  }
  return "unknown";
}

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "unknown";
}

}  // namespace pusher
