#pragma once

/// @file
/// The umbrella header: everything a program needs to use pusher-cpp.

#include <pusher/app_events.hpp>
#include <pusher/auth.hpp>
#include <pusher/binding.hpp>
#include <pusher/channel.hpp>
#include <pusher/error.hpp>
#include <pusher/event.hpp>
#include <pusher/export.hpp>
#include <pusher/loop.hpp>
#include <pusher/manager.hpp>
#include <pusher/options.hpp>
#include <pusher/state.hpp>
#include <pusher/version.hpp>
