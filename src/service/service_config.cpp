#include "service/service_config.hpp"

namespace pusher::detail::service {

std::vector<Endpoint> endpoints_of(const Options& options) {
  std::vector<Endpoint> out;
  if (!options.host.empty()) {
    out.push_back(Endpoint{options.host, options.port, options.tls, options.path});
  } else if (!options.cluster.empty()) {
    out.push_back(Endpoint{"ws-" + options.cluster + ".pusher.com", 443, true, ""});
  }
  out.insert(out.end(), options.fallback_endpoints.begin(), options.fallback_endpoints.end());
  return out;
}

ServiceConfig service_config(const Options& options) {
  ServiceConfig c;
  c.endpoints = endpoints_of(options);
  c.key = options.key;
  c.query = options.query;
  if (!options.origin.empty()) c.headers.push_back({"Origin", options.origin});
  for (const auto& [name, value] : options.headers) c.headers.push_back({name, value});
  c.verify_peer = options.verify_peer;
  c.ca_file = options.ca_file;
  c.proxy = options.proxy;
  c.connect_timeout = options.connect_timeout;
  c.activity_timeout = options.activity_timeout;
  c.pong_timeout = options.pong_timeout;
  c.unavailable_timeout = options.unavailable_timeout;
  c.reconnect = options.reconnect;
  c.max_message_size = options.max_message_size;
  c.write_buffer_limit = options.write_buffer_limit;
  c.outbound_queue_limit = options.outbound_queue_limit;
  return c;
}

}  // namespace pusher::detail::service
