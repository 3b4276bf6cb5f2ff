#pragma once

/// @file
/// What the fuzz targets share: a check that aborts (so libFuzzer saves the input) and
/// a small deterministic generator for choices taken from the input's first bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

/// Aborts with the failed condition when `cond` is false. Active in every build type.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace pusher_fuzz {

/// xorshift32: the same seed gives the same sequence, so a crash input replays exactly.
class Rng {
 public:
  explicit Rng(std::uint32_t seed) : state_(seed * 2654435761u + 1u) {
    if (state_ == 0) state_ = 1;  // xorshift stays at 0 forever
  }
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  /// A number in [lo, hi].
  std::size_t between(std::size_t lo, std::size_t hi) { return lo + next() % (hi - lo + 1); }

 private:
  std::uint32_t state_;
};

}  // namespace pusher_fuzz
