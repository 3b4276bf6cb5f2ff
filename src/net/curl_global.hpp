#pragma once

namespace pusher::detail::net {

/// Initialises libcurl once per process (curl_global_init is not thread-safe on its own).
void ensure_curl_initialised();

}  // namespace pusher::detail::net
