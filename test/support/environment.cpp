#include "environment.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace pusher::test {

namespace fs = std::filesystem;

std::string interop_dir() {
  const char* dir = std::getenv("PUSHER_INTEROP_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(
        "PUSHER_INTEROP_DIR is not set: run the integration tests through tools/test (or "
        "`meson test`), which sets it to test/interop and installs the npm packages");
  }
  for (const char* package : {"@soketi/soketi", "pusher", "pusher-js", "ws"}) {
    std::error_code ec;
    if (!fs::is_directory(fs::path(dir) / "node_modules" / package, ec)) {
      throw std::runtime_error(std::string("the npm package '") + package + "' is missing from " +
                               dir +
                               "/node_modules: run tools/test, which installs the npm "
                               "packages (or `npm install --no-audit --no-fund` in " +
                               dir + ")");
    }
  }
  return dir;
}

std::string temp_dir() {
  const char* base_env = std::getenv("PUSHER_TEST_TMP");
  fs::path base = base_env != nullptr && *base_env != '\0' ? fs::path(base_env) : fs::path("/tmp");
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) {
    throw std::runtime_error("cannot create the test temp folder " + base.string() + ": " +
                             ec.message() + " (set PUSHER_TEST_TMP to a writable folder)");
  }
  std::string pattern = (base / "pusher-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp in " + base.string() +
                             " failed: " + std::system_category().message(errno) +
                             " (set PUSHER_TEST_TMP to a writable folder)");
  }
  return buffer.data();
}

std::string node_binary() {
  return "node";
}

}  // namespace pusher::test
