#pragma once

/// @file
/// The export macro of the shared library. Everything not marked PUSHER_API is hidden.

/// @def PUSHER_API
/// Marks a class or function as part of the shared library's ABI (default visibility).

#if defined(_WIN32)
#  define PUSHER_API
#elif defined(__GNUC__)
#  define PUSHER_API __attribute__((visibility("default")))
#else
#  define PUSHER_API
#endif
