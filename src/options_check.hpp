#pragma once

#include <pusher/options.hpp>

namespace pusher::detail {

/// Throws std::invalid_argument naming the first field of `options` that cannot work.
void validate_options(const Options& options);

}  // namespace pusher::detail
