// Endpoint::parse: a server URL as the program got it (a --url flag, a config file) into an
// Endpoint. net::parse_ws_url does the parsing; this adds what an endpoint may not hold.
#include <pusher/options.hpp>

#include <utility>

#include "net/url.hpp"

namespace pusher {

std::optional<Endpoint> Endpoint::parse(std::string_view url, std::string* error) {
  auto fail = [error](std::string why) -> std::optional<Endpoint> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  std::string why;
  auto parsed = detail::net::parse_ws_url(url, why);
  if (!parsed) return fail(std::move(why));
  // The library writes the query (protocol=7...) itself; extra parameters go in Options::query.
  if (parsed->target.find('?') != std::string::npos) {
    return fail("URL has a query (?): put extra parameters in Options::query");
  }
  Endpoint out;
  out.host = std::move(parsed->host);
  out.port = parsed->port_given ? parsed->port : 0;
  out.tls = parsed->tls;
  out.path = std::move(parsed->target);
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

}  // namespace pusher
