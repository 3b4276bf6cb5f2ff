#pragma once

/// @file
/// The export macro of the shared library. Everything not marked PUSHER_API is hidden.

/// @def PUSHER_API
/// Marks a class or function as part of the shared library's ABI (default visibility).

/// @def PUSHER_NODISCARD_API
/// PUSHER_API for a class whose values must not be discarded (C++17 [[nodiscard]]).

#if defined(_WIN32)
#  define PUSHER_API
#  define PUSHER_NODISCARD_API [[nodiscard]]
#elif defined(__GNUC__)
#  define PUSHER_API __attribute__((visibility("default")))
#  define PUSHER_NODISCARD_API [[nodiscard, gnu::visibility("default")]]
#else
#  define PUSHER_API
#  define PUSHER_NODISCARD_API [[nodiscard]]
#endif
