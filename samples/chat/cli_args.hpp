#pragma once

// pusher-chat's command line.

#include <pusher/options.hpp>

#include <string>
#include <vector>

namespace chat {

struct ChatArgs {
  /// key, server, and auth (endpoint; bearer token except in local mode, set after login).
  pusher::Options options;
  std::string name;
  std::string room = "lobby";
  /// The chat backend (messages, reads; login in local mode) without a trailing '/'; "" if none.
  std::string backend;
  /// --backend without --auth-endpoint: log in at `<backend>/login` and authorise channels at
  /// `<backend>/broadcasting/auth` with the token it gives.
  bool local_login = false;
  /// --log FILE: the SDK's debug log goes there.
  std::string log_file;
};

struct CliResult {
  ChatArgs args;
  bool ok = false;
  bool help = false;  ///< --help: print usage(), exit 0
  std::string error;  ///< what is wrong when !ok && !help
};

/// Parses the arguments after the program name. `env_token` (PUSHER_CHAT_TOKEN, may be null)
/// stands in for --bearer, which keeps the token out of `ps`.
CliResult parse_args(const std::vector<std::string>& args, const char* env_token);

/// The usage text.
const char* usage();

}  // namespace chat
