// The three ways a C++ project takes pusher-cpp, each built from scratch in a temp folder
// against this checkout and then run against soketi until it receives one event:
//   - meson-wrap: subprojects/pusher.wrap and dependency('pusher') (the checkout is linked in
//     as subprojects/pusher; --wrap-mode=nodownload, so nothing is fetched);
//   - meson-pkgconfig: this build installed with `meson install --destdir`, found through its
//     pusher.pc with PKG_CONFIG_SYSROOT_DIR, and only that .pc visible to pkg-config (so the
//     .pc needs no other package's .pc, RapidJSON's included);
//   - cmake: the same staged install, found by find_package(pusher CONFIG) through
//     CMAKE_PREFIX_PATH (so the package config must be relocatable).
// The consumers are compiled with warnings as errors: the public headers must be clean at a
// user's strict warning level. Each test case is its own meson test (test/consumers/meson.build).
#include <doctest/doctest.h>

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Env = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr auto kBuildTimeout = std::chrono::minutes(15);

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE((value != nullptr && *value != '\0'),
                  name << " is not set (run through meson test)");
  return value;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs a build command to completion; fails the test with its output when it does not exit 0.
void run(const std::vector<std::string>& argv, const Env& env = {}, const std::string& cwd = {}) {
  pusher::test::ChildProcess child(argv, env, cwd);
  int code = child.wait(kBuildTimeout);
  std::string output = child.output();
  INFO("command: " << child.command() << "\noutput:\n" << output);
  REQUIRE(code == 0);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A copy of test/consumers/<name> in a fresh temp folder.
fs::path copy_consumer(const std::string& name) {
  fs::path dir = fs::path(pusher::test::temp_dir()) / name;
  fs::copy(fs::path(required_env("PUSHER_SOURCE_ROOT")) / "test" / "consumers" / name, dir,
           fs::copy_options::recursive);
  return dir;
}

// The libpusher.so file a running process has mapped, from /proc/PID/maps; "" if none.
std::string mapped_libpusher(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash != std::string::npos && line.find("/libpusher.so", slash) != std::string::npos) {
      return line.substr(slash);
    }
  }
  return {};
}

// Starts the built consumer with libpusher.so from lib_dir (LD_LIBRARY_PATH, which also keeps
// the one of this build that meson test puts there away), waits until it is subscribed,
// checks which libpusher.so it loaded, triggers one event and checks that the consumer printed
// it and exited 0.
void run_consumer(const fs::path& program, const std::string& channel, const fs::path& lib_dir) {
  pusher::test::SoketiServer soketi;
  Env env = {{"LD_LIBRARY_PATH", lib_dir.string()}};
  env.emplace_back("PUSHER_TEST_HOST", "127.0.0.1");
  env.emplace_back("PUSHER_TEST_PORT", std::to_string(soketi.port()));
  env.emplace_back("PUSHER_TEST_KEY", soketi.options().key);
  env.emplace_back("PUSHER_TEST_CHANNEL", channel);
  pusher::test::ChildProcess consumer({program.string()}, env);
  bool ready = consumer.wait_for_output("READY", 20s);
  INFO("consumer output:\n" << consumer.output() << "\nsoketi output:\n" << soketi.output());
  REQUIRE(ready);
  std::string mapped = mapped_libpusher(consumer.pid());
  INFO("mapped: " << mapped);
  CHECK(mapped.rfind(fs::canonical(lib_dir).string() + "/libpusher.so", 0) == 0);
  soketi.trigger(channel, "consumer-event", R"({"from":")" + channel + R"("})");
  CHECK(consumer.wait(25s) == 0);
  CHECK(consumer.output().find("EVENT " + channel + " consumer-event {\"from\":\"" + channel +
                               "\"}") != std::string::npos);
}

// This build, installed under a fresh staging folder: returns <staging>/<prefix>.
fs::path staged_install(const fs::path& destdir) {
  run({"meson", "install", "-C", required_env("PUSHER_BUILD_ROOT"), "--no-rebuild", "--quiet",
       "--destdir", destdir.string()});
  fs::path root = destdir / fs::path(required_env("PUSHER_PREFIX")).relative_path();
  REQUIRE(fs::exists(root / "include" / "pusher" / "pusher.hpp"));
  REQUIRE(fs::exists(root / "include" / "pusher" / "version.hpp"));
  return root;
}

fs::path staged_libdir(const fs::path& root) {
  fs::path libdir(required_env("PUSHER_LIBDIR"));
  return libdir.is_absolute() ? root / libdir.relative_path() : root / libdir;
}

}  // namespace

TEST_CASE("meson-wrap: dependency('pusher') through subprojects/pusher.wrap") {
  auto start = std::chrono::steady_clock::now();
  fs::path dir = copy_consumer("meson-wrap");
  fs::create_directory_symlink(required_env("PUSHER_SOURCE_ROOT"), dir / "subprojects" / "pusher");
  fs::path build = dir / "build";
  // --force-fallback-for: take the wrap even when a pusher.pc is installed on this machine.
  run({"meson", "setup", build.string(), dir.string(), "--wrap-mode=nodownload",
       "--force-fallback-for=pusher", "-Dwerror=true"});
  run({"ninja", "-C", build.string()});
  std::printf("meson-wrap: configured and built in %.1f s\n", seconds_since(start));

  // As a subproject pusher-cpp builds its library and nothing else.
  fs::path sub = build / "subprojects" / "pusher";
  CHECK(fs::exists(sub / "src" / "libpusher.so"));
  CHECK_FALSE(fs::exists(sub / "test"));
  CHECK_FALSE(fs::exists(sub / "samples"));
  CHECK_FALSE(fs::exists(sub / "bench"));

  run_consumer(build / "consumer", "consumers-wrap", sub / "src");
  fs::remove_all(dir.parent_path());
}

TEST_CASE("meson-pkgconfig: dependency('pusher') through an installed pusher.pc") {
  auto start = std::chrono::steady_clock::now();
  fs::path dir = copy_consumer("meson-pkgconfig");
  fs::path destdir = dir.parent_path() / "staging";
  fs::path root = staged_install(destdir);
  fs::path libdir = staged_libdir(root);
  REQUIRE(fs::exists(libdir / "pkgconfig" / "pusher.pc"));

  // Only our .pc is visible: `pkg-config --cflags pusher` must need no other package.
  Env pc_env = {{"PKG_CONFIG_LIBDIR", (libdir / "pkgconfig").string()},
                {"PKG_CONFIG_PATH", ""},
                {"PKG_CONFIG_SYSROOT_DIR", destdir.string()}};
  std::string pc = read_file(libdir / "pkgconfig" / "pusher.pc");
  INFO("pusher.pc:\n" << pc);
  CHECK(pc.find("Requires") == std::string::npos);
  run({"pkg-config", "--cflags", "--libs", "pusher"}, pc_env);

  fs::path build = dir / "build";
  run({"meson", "setup", build.string(), dir.string(), "--wrap-mode=nodownload", "-Dwerror=true"},
      pc_env);
  run({"ninja", "-C", build.string()});
  std::printf("meson-pkgconfig: installed, configured and built in %.1f s\n", seconds_since(start));

  run_consumer(build / "consumer", "consumers-pkgconfig", libdir);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("cmake: find_package(pusher CONFIG) and pusher::pusher") {
  auto start = std::chrono::steady_clock::now();
  fs::path dir = copy_consumer("cmake");
  fs::path destdir = dir.parent_path() / "staging";
  fs::path root = staged_install(destdir);
  fs::path libdir = staged_libdir(root);
  REQUIRE(fs::exists(libdir / "cmake" / "pusher" / "pusherConfig.cmake"));
  REQUIRE(fs::exists(libdir / "cmake" / "pusher" / "pusherConfigVersion.cmake"));

  fs::path build = dir / "build";
  run({"cmake", "-S", dir.string(), "-B", build.string(), "-G", "Ninja",
       "-DCMAKE_PREFIX_PATH=" + root.string(), "-DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON",
       "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Werror"});
  // The package found is the staged one, not one installed on this machine.
  std::string cache = read_file(build / "CMakeCache.txt");
  CHECK(cache.find("pusher_DIR:PATH=" + (libdir / "cmake" / "pusher").string()) !=
        std::string::npos);
  run({"cmake", "--build", build.string()});
  std::printf("cmake: installed, configured and built in %.1f s\n", seconds_since(start));

  run_consumer(build / "consumer", "consumers-cmake", libdir);
  fs::remove_all(dir.parent_path());
}
