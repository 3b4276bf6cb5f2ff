#include <pusher/version.hpp>

namespace pusher {

const char* version() noexcept { return PUSHER_VERSION_STRING; }

}  // namespace pusher
