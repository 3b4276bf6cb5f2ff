#pragma once

// Display widths come from wcwidth(), which needs a UTF-8 locale; clock times from the local
// zone. Every chat test runs in C.UTF-8 and UTC, whatever the machine's settings.

#include <clocale>
#include <cstdlib>
#include <ctime>

namespace chat_test {

// Set while static objects are made, before any test starts a thread.
inline const bool kEnvironment = [] {
  std::setlocale(LC_CTYPE, "C.UTF-8");  // NOLINT(concurrency-mt-unsafe)
  ::setenv("TZ", "UTC", 1);             // NOLINT(concurrency-mt-unsafe)
  ::tzset();
  return true;
}();

}  // namespace chat_test
