#pragma once

// The deterministic simulation of the whole client: real ManagerCore, Service and Channel
// code on the simulated transport, the model server and a manual clock, driven by random
// steps from a seed, with the caller-contract invariants checked after every step.

#include <cstdint>
#include <string>
#include <vector>

#include "model_server.hpp"

namespace pusher::sim {

/// One step of a run: an API call, a server action or a time jump, with its arguments.
struct Step {
  int kind = 0;
  int client = 0;
  int a = 0;
  int b = 0;
};

struct Violation {
  std::string invariant;  ///< "I1".."I6"
  std::string what;
  std::size_t step = 0;   ///< index of the step after which it was seen
};

struct RunResult {
  std::size_t steps_run = 0;
  std::vector<Violation> violations;
};

/// The steps of the run a seed gives.
std::vector<Step> generate(std::uint64_t seed, std::size_t count);
/// Runs `steps` (then the settling phase) in `mode`; stops at the first violation.
RunResult run(Mode mode, std::uint64_t seed, const std::vector<Step>& steps, bool trace = false);
/// The shortest failing step list found by deleting steps, within `max_runs` runs.
std::vector<Step> shrink(Mode mode, std::uint64_t seed, std::vector<Step> steps,
                         const std::string& invariant, int max_runs);
/// A step as a line a person reads.
std::string describe(const Step& step);

/// The threaded mode: the same public calls from `threads` threads against a real loop
/// thread for `seconds`; returns violations of I3 and I5 (TSan and ASan do the rest).
RunResult run_threaded(std::uint64_t seed, int threads, double seconds);

}  // namespace pusher::sim
