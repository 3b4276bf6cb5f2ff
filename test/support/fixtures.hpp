#pragma once

// Everything the integration tests need from test/support, in one include.
#include "child_process.hpp"  // IWYU pragma: export
#include "environment.hpp"    // IWYU pragma: export
#include "loopback.hpp"       // IWYU pragma: export
#include "servers.hpp"        // IWYU pragma: export
#include "tls_files.hpp"      // IWYU pragma: export
