#pragma once

/// @file
/// The umbrella header: everything a program needs to use pusher-cpp.

#include <pusher/error.hpp>
#include <pusher/export.hpp>
#include <pusher/version.hpp>
