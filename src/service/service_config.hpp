#pragma once

#include <pusher/options.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ws/handshake.hpp"

namespace pusher::detail::service {

/// What the Service reads of the Options, and nothing else: where and how to connect, its
/// timeouts, the reconnect policy and its limits. Made by service_config(); a plain value the
/// Service keeps a copy of.
struct ServiceConfig {
  /// The servers in the order they are tried: `host` (or the `cluster`'s), then the fallbacks.
  std::vector<Endpoint> endpoints;
  std::string key;
  Fields query;                     ///< appended to every endpoint's URL
  std::vector<ws::Header> headers;  ///< of the upgrade request: Origin first, then Options::headers
  bool verify_peer = true;
  std::string ca_file;
  std::optional<std::string> proxy;

  /// The one deadline of an attempt: TCP + TLS + proxy + upgrade + connection_established.
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds activity_timeout{0};
  std::chrono::milliseconds pong_timeout{0};
  std::chrono::milliseconds unavailable_timeout{0};
  ReconnectPolicy reconnect;

  std::size_t max_message_size = 0;
  std::size_t write_buffer_limit = 0;
  std::size_t outbound_queue_limit = 0;
};

/// The Service's part of `options` (validated by the Manager first).
ServiceConfig service_config(const Options& options);

/// The endpoints an Options names, in the order they are tried.
std::vector<Endpoint> endpoints_of(const Options& options);

}  // namespace pusher::detail::service
