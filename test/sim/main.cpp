// pusher-sim: the deterministic simulation of the whole client.
//
//   pusher-sim [--seconds S] [--seed N] [--seeds K] [--steps N] [--mode soketi|reverb|pusher]
//              [--threads] [--trace]
//
// Without --seed it runs seeds 1, 2, 3... until --seconds pass (or --seeds K seeds ran),
// cycling through the three server modes. A failing seed prints the command that replays it
// and the shortest failing step list found by deleting steps. Ends with one line:
// `sim: N steps over M seeds, K violations`; exits 1 when K > 0.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim.hpp"

using namespace pusher::sim;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: pusher-sim [--seconds S] [--seed N] [--seeds K] [--steps N] "
               "[--mode soketi|reverb|pusher] [--threads] [--trace]\n");
  return 2;
}

bool parse_mode(const std::string& s, Mode& mode) {
  if (s == "soketi") mode = Mode::soketi;
  else if (s == "reverb") mode = Mode::reverb;
  else if (s == "pusher") mode = Mode::pusher;
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::uint64_t first_seed = 1;
  bool one_seed = false;
  std::uint64_t max_seeds = 0;
  std::size_t step_count = 400;
  bool fixed_mode = false, threaded = false, trace = false;
  Mode mode = Mode::soketi;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seconds") seconds = std::atof(value().c_str());
    else if (a == "--seed") { first_seed = std::strtoull(value().c_str(), nullptr, 10); one_seed = true; }
    else if (a == "--seeds") max_seeds = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--first-seed") first_seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--steps") step_count = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--mode") { if (!parse_mode(value(), mode)) return usage(); fixed_mode = true; }
    else if (a == "--threads") threaded = true;
    else if (a == "--trace") trace = true;
    else return usage();
  }
  if (threaded) {
    auto r = run_threaded(first_seed, 4, seconds);
    for (const auto& v : r.violations) std::printf("violation %s: %s\n", v.invariant.c_str(), v.what.c_str());
    std::printf("sim: %zu steps over 1 seeds, %zu violations\n", r.steps_run, r.violations.size());
    return r.violations.empty() ? 0 : 1;
  }
  auto start = std::chrono::steady_clock::now();
  std::size_t total_steps = 0, seeds = 0, violations = 0;
  for (std::uint64_t seed = first_seed;; ++seed) {
    if (one_seed && seed != first_seed) break;
    if (max_seeds != 0 && seeds >= max_seeds) break;
    if (!one_seed && max_seeds == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds) {
      break;
    }
    Mode m = fixed_mode ? mode : static_cast<Mode>(seed % 3);
    auto steps = generate(seed, step_count);
    auto r = run(m, seed, steps, trace);
    ++seeds;
    total_steps += r.steps_run;
    if (r.violations.empty()) continue;
    ++violations;
    const Violation& v = r.violations.front();
    std::printf("violation %s (seed %llu, mode %s, after step %zu): %s\n", v.invariant.c_str(),
                static_cast<unsigned long long>(seed), to_string(m),
                v.step == SIZE_MAX ? steps.size() : v.step, v.what.c_str());
    std::printf("  replay: tools/sim --seed %llu --mode %s --steps %zu --trace\n",
                static_cast<unsigned long long>(seed), to_string(m), step_count);
    std::vector<Step> upto(steps.begin(), steps.begin() + static_cast<long>(std::min(steps.size(), r.steps_run)));
    auto shortest = shrink(m, seed, upto, v.invariant, 300);
    std::printf("  shortest failing steps (%zu of %zu):\n", shortest.size(), upto.size());
    for (const auto& s : shortest) std::printf("    %s\n", describe(s).c_str());
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sim: %zu steps over %zu seeds, %zu violations (%.0f steps/s)\n", total_steps, seeds,
              violations, elapsed > 0 ? static_cast<double>(total_steps) / elapsed : 0.0);
  return violations == 0 ? 0 : 1;
}
