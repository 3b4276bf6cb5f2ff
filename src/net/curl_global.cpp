#include "net/curl_global.hpp"

#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace pusher::detail::net {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

}  // namespace pusher::detail::net
