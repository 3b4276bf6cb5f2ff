#include "service/close_action.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>

using namespace std::chrono_literals;
using pusher::detail::service::backoff_delay;
using pusher::detail::service::classify_close;
using pusher::detail::service::CloseAction;
using pusher::detail::service::effective_close_code;
using pusher::detail::service::retry_delay;

TEST_CASE("close codes map to actions (Pusher protocol reference, \"Connection closure\")") {
  struct Row {
    int code;
    CloseAction action;
  };
  const Row rows[] = {
      {1000, CloseAction::backoff},        {1006, CloseAction::backoff},
      {1009, CloseAction::backoff},        {3999, CloseAction::backoff},
      {4000, CloseAction::tls_only},       {4001, CloseAction::refused},
      {4099, CloseAction::refused},        {4100, CloseAction::server_backoff},
      {4199, CloseAction::server_backoff}, {4200, CloseAction::immediate},
      {4299, CloseAction::immediate},      {4300, CloseAction::backoff},
      {4999, CloseAction::backoff},
  };
  for (const Row& row : rows) {
    CAPTURE(row.code);
    CHECK(classify_close(row.code) == row.action);
  }
}

TEST_CASE("a recent pusher:error code stands in only for a code-less close") {
  CHECK(effective_close_code(1006, 4001) == 4001);
  CHECK(effective_close_code(1005, 4201) == 4201);
  CHECK(effective_close_code(1006, 0) == 1006);
  CHECK(effective_close_code(1000, 4001) == 1000);
  CHECK(effective_close_code(4100, 4001) == 4100);
  CHECK(effective_close_code(1006, 4301) == 1006);  // informational codes decide nothing
}

TEST_CASE("answered failures: full jitter below a ceiling that doubles from the first, to max") {
  for (unsigned failures = 0; failures < 64; ++failures) {
    CAPTURE(failures);
    long long ceiling = std::min<long long>(30000, 1000LL << std::min(failures, 20u));
    for (double unit : {0.0, 0.25, 0.5, 0.999999}) {
      auto d = backoff_delay(CloseAction::backoff, failures, 1000ms, 30000ms, unit).count();
      CHECK(d >= 0);
      CHECK(d <= ceiling);
    }
    CHECK(backoff_delay(CloseAction::backoff, failures, 1000ms, 30000ms, 0.999999).count() >=
          ceiling - 1);
  }
  CHECK(backoff_delay(CloseAction::backoff, 1, 1000ms, 30000ms, 0.5) == 1000ms);
  CHECK(backoff_delay(CloseAction::backoff, 3, 1000ms, 30000ms, 0.5) == 4000ms);
}

TEST_CASE("an unreachable server is retried within [interval/2, 3*interval/2), at most max") {
  CHECK(retry_delay(300ms, 30000ms, 0.0) == 150ms);
  CHECK(retry_delay(300ms, 30000ms, 0.5) == 300ms);
  CHECK(retry_delay(300ms, 30000ms, 0.999999) == 449ms);
  CHECK(retry_delay(300ms, 200ms, 0.999999) == 200ms);
  CHECK(retry_delay(300ms, 30000ms, -1.0) == 150ms);  // a bad unit is clamped
  CHECK(retry_delay(300ms, 30000ms, 7.0) == 450ms);
}

TEST_CASE("server-requested backoff is at least the initial delay; immediate only the first time") {
  CHECK(backoff_delay(CloseAction::server_backoff, 0, 1000ms, 30000ms, 0.0) == 1000ms);
  CHECK(backoff_delay(CloseAction::server_backoff, 1, 1000ms, 30000ms, 0.9) == 1800ms);
  CHECK(backoff_delay(CloseAction::server_backoff, 3, 1000ms, 30000ms, 0.9) == 7200ms);
  CHECK(backoff_delay(CloseAction::immediate, 0, 1000ms, 30000ms, 0.9) == 0ms);
  CHECK(backoff_delay(CloseAction::immediate, 1, 1000ms, 30000ms, 0.5) == 1000ms);
  CHECK(backoff_delay(CloseAction::immediate, 2, 1000ms, 30000ms, 0.5) == 2000ms);
  CHECK(backoff_delay(CloseAction::tls_only, 0, 1000ms, 30000ms, 0.9) == 0ms);
}
