#pragma once

#include <pusher/options.hpp>

#include <string>
#include <utility>

namespace pusher::detail {

/// The SDK's logger: the user's callback behind a level check, so disabled levels cost one
/// comparison. Callers never pass secrets, tokens or signatures (options.hpp promises it).
class Log {
 public:
  Log() = default;
  Log(Logger sink, LogLevel level) : sink_(std::move(sink)), level_(sink_ ? level : LogLevel::off) {}

  bool enabled(LogLevel level) const noexcept { return level >= level_ && level_ != LogLevel::off; }
  void write(LogLevel level, const std::string& message) const {
    if (!enabled(level)) return;
    try {
      sink_(level, message);
    } catch (...) {
      // A throwing logger must not take the connection down with it.
    }
  }
  void debug(const std::string& m) const { write(LogLevel::debug, m); }
  void info(const std::string& m) const { write(LogLevel::info, m); }
  void warn(const std::string& m) const { write(LogLevel::warn, m); }
  void error(const std::string& m) const { write(LogLevel::error, m); }

 private:
  Logger sink_;
  LogLevel level_ = LogLevel::off;
};

}  // namespace pusher::detail
