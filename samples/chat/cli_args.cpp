#include "cli_args.hpp"

#include <functional>
#include <map>

#include "command.hpp"

namespace chat {
namespace {

bool http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool parse_port(const std::string& text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return false;
  port = value;
  return true;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  }
  return true;
}

/// Checks what the options say together, and derives the auth setup.
std::string finish(ChatArgs& a, const std::string& auth_endpoint, const std::string& bearer) {
  pusher::Options& o = a.options;
  if (!valid_name(a.name)) return "--name NAME is required (1-64 characters)";
  if (!valid_room_name(a.room)) return "--room: letters, digits and _-=@,.; only";
  if (o.key.empty()) return "--key is required";
  if (o.host.empty() && o.cluster.empty()) return "--host or --cluster is required";
  if (a.backend.empty() && auth_endpoint.empty()) return "--backend or --auth-endpoint is required";
  if (!a.backend.empty() && !http_url(a.backend)) return "--backend must be an http(s):// URL";
  if (!auth_endpoint.empty() && !http_url(auth_endpoint))
    return "--auth-endpoint must be an http(s):// URL";
  a.backend = without_trailing_slash(a.backend);
  a.local_login = auth_endpoint.empty();
  o.auth.endpoint = a.local_login ? a.backend + "/broadcasting/auth" : auth_endpoint;
  o.auth.bearer_token = a.local_login ? "" : bearer;
  return "";
}

}  // namespace

CliResult parse_args(const std::vector<std::string>& args, const char* env_token) {
  CliResult result;
  ChatArgs& a = result.args;
  pusher::Options& o = a.options;
  std::string auth_endpoint;
  std::string bearer = env_token != nullptr ? env_token : "";
  std::string port_text;

  const std::map<std::string, std::string*> values = {
      {"--name", &a.name},    {"--room", &a.room},       {"--host", &o.host},
      {"--port", &port_text}, {"--path", &o.path},       {"--cluster", &o.cluster},
      {"--key", &o.key},      {"--backend", &a.backend}, {"--auth-endpoint", &auth_endpoint},
      {"--bearer", &bearer},  {"--log", &a.log_file},    {"--ca", &o.ca_file},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool inline_value = false;
    if (const auto equals = arg.find('='); arg.rfind("--", 0) == 0 && equals != arg.npos) {
      value = arg.substr(equals + 1);
      arg.resize(equals);
      inline_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg == "--tls" || arg == "--no-tls") {
      if (inline_value) return {a, false, false, arg + " takes no value"};
      o.tls = arg == "--tls";
      continue;
    }
    const auto it = values.find(arg);
    if (it == values.end()) return {a, false, false, "unknown argument " + arg};
    if (!inline_value) {
      if (i + 1 >= args.size()) return {a, false, false, "missing value for " + arg};
      value = args[++i];
    }
    *it->second = value;
  }
  if (!port_text.empty() && !parse_port(port_text, o.port))
    return {a, false, false, "--port must be 1-65535"};
  result.error = finish(a, auth_endpoint, bearer);
  result.ok = result.error.empty();
  return result;
}

const char* usage() {
  return "usage: pusher-chat --name NAME [--room ROOM] --key KEY\n"
         "                   (--host HOST [--port PORT] [--tls|--no-tls] [--path PATH] | --cluster "
         "C)\n"
         "                   (--backend URL | --auth-endpoint URL [--bearer TOKEN] [--backend "
         "URL])\n"
         "                   [--ca FILE] [--log FILE]\n"
         "\n"
         "  --backend URL        the chat backend: with it alone, log in at URL/login and\n"
         "                       authorise at URL/broadcasting/auth; it also stores messages\n"
         "  --auth-endpoint URL  a Laravel /broadcasting/auth (Reverb, Pusher) instead\n"
         "  --bearer TOKEN       sent as Authorization: Bearer (or set PUSHER_CHAT_TOKEN)\n"
         "  --log FILE           write the SDK's debug log to FILE\n"
         "\n"
         "In the chat, /help lists the commands.\n";
}

}  // namespace chat
