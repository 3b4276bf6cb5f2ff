#pragma once

#include <string>

namespace pusher::test {

/// $PUSHER_INTEROP_DIR, the folder of the npm packages and node scripts. Throws
/// std::runtime_error saying what to do when it is unset or its node_modules is missing.
std::string interop_dir();

/// A fresh, unique directory under $PUSHER_TEST_TMP (or /tmp when unset). Thread-safe.
std::string temp_dir();

/// The node binary: `node`, looked up in PATH.
std::string node_binary();

}  // namespace pusher::test
