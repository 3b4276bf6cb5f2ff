// pusher-cli: subscribe to channels and print every event as one JSON line.
//
//   pusher-cli [--url ws://HOST:PORT[/PATH] | --host H --port P [--tls] [--path P] | --cluster C]
//              --key KEY [--header 'NAME: VALUE']... [--states] [--count N] [--timeout S]
//              [--history] [--auth-endpoint URL [--bearer TOKEN] [--auth-header 'NAME: VALUE']...
//               | --secret SECRET [--user-id ID] [--user-info JSON]] CHANNEL...
//
// Lines on stdin, `CHANNEL EVENT JSON`, send client events (private and presence channels).
// The JSON lines printed, one kind per line, are listed in the README's pusher-cli section.
//
// Exit codes: 0 done (--count reached, or stopped), 1 the server refused the connection
// (4001-4099), 2 usage error, 3 --timeout passed first.
#include <pusher/pusher.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

struct Args {
  pusher::Options options;
  std::string secret;
  std::string user_id;
  std::string user_info = "{}";
  std::vector<std::string> channels;
  bool states = false;
  bool history = false;
  long count = 0;
  double timeout = 0;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "pusher-cli: " << problem << "\n"
            << "usage: pusher-cli [--url ws://HOST:PORT[/PATH] | --host H --port P [--tls] "
               "[--path P] | --cluster C] --key KEY [--header 'NAME: VALUE']... [--states] "
               "[--count N] [--timeout S] [--history] [--auth-endpoint URL [--bearer TOKEN] "
               "[--auth-header 'NAME: VALUE']... | --secret S [--user-id ID] [--user-info JSON]] "
               "CHANNEL...\n";
  std::exit(2);
}

// --url: pusher::Endpoint::parse takes it apart and says what is wrong with it.
void set_url(const std::string& url, pusher::Options& o) {
  std::string why;
  auto endpoint = pusher::Endpoint::parse(url, &why);
  if (!endpoint) usage("--url: " + why);  // not echoed: a query may hold a token
  o.set_endpoint(*endpoint);
}

// `Name: value` (curl's -H form): the name up to the first ':', the value without the blanks
// around it. The Manager checks the rest (no control characters, no spaces in the name).
std::pair<std::string, std::string> parse_header(const std::string& text, const char* option) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    usage(std::string(option) + " must be 'NAME: VALUE'");  // not echoed: it may be a token
  }
  std::string value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t") + 1);
  return {text.substr(0, colon), value};
}

std::string next_value(int& i, int argc, char** argv) {
  if (i + 1 >= argc) usage(std::string("missing value for ") + argv[i]);
  return argv[++i];
}

long to_number(const std::string& text, const char* what) {
  try {
    std::size_t used = 0;
    long value = std::stol(text, &used);
    if (used != text.size() || value < 0) throw std::invalid_argument(what);
    return value;
  } catch (...) {
    usage(std::string("invalid ") + what + ": " + text);
  }
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--url") {
      set_url(next_value(i, argc, argv), a.options);
    } else if (arg == "--host") {
      a.options.host = next_value(i, argc, argv);
    } else if (arg == "--port") {
      a.options.port = static_cast<int>(to_number(next_value(i, argc, argv), "port"));
    } else if (arg == "--tls") {
      a.options.tls = true;
    } else if (arg == "--no-tls") {
      a.options.tls = false;
    } else if (arg == "--path") {
      a.options.path = next_value(i, argc, argv);
    } else if (arg == "--cluster") {
      a.options.cluster = next_value(i, argc, argv);
    } else if (arg == "--key") {
      a.options.key = next_value(i, argc, argv);
    } else if (arg == "--ca") {
      a.options.ca_file = next_value(i, argc, argv);
    } else if (arg == "--auth-endpoint") {
      a.options.auth.endpoint = next_value(i, argc, argv);
    } else if (arg == "--bearer") {
      a.options.auth.bearer_token = next_value(i, argc, argv);
    } else if (arg == "--auth-header") {
      a.options.auth.headers.push_back(parse_header(next_value(i, argc, argv), "--auth-header"));
    } else if (arg == "--header") {
      a.options.headers.push_back(parse_header(next_value(i, argc, argv), "--header"));
    } else if (arg == "--secret") {
      a.secret = next_value(i, argc, argv);
    } else if (arg == "--user-id") {
      a.user_id = next_value(i, argc, argv);
    } else if (arg == "--user-info") {
      a.user_info = next_value(i, argc, argv);
    } else if (arg == "--states") {
      a.states = true;
    } else if (arg == "--history") {
      a.history = true;
    } else if (arg == "--count") {
      a.count = to_number(next_value(i, argc, argv), "count");
    } else if (arg == "--timeout") {
      a.timeout = static_cast<double>(to_number(next_value(i, argc, argv), "timeout"));
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else if (!arg.empty() && arg[0] == '-') {
      usage("unknown option " + arg);
    } else {
      a.channels.push_back(arg);
    }
  }
  if (a.options.key.empty()) usage("--key is required");
  if (a.options.host.empty() && a.options.cluster.empty()) usage("give --url, --host or --cluster");
  if (a.channels.empty()) usage("name at least one channel");
  if (!a.secret.empty()) {
    // Local signing: only for trusted processes and tests.
    std::string presence = "{\"user_id\":" + json_string(a.user_id.empty() ? "cli" : a.user_id) +
                           ",\"user_info\":" + a.user_info + "}";
    a.options.authorizer = pusher::make_secret_authorizer(
        a.options.key, a.secret, [presence](const pusher::AuthRequest&) { return presence; });
  }
  return a;
}

// What the callbacks (on the SDK's loop thread) tell main().
struct Outcome {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<int> exit_code;
  long events = 0;

  void finish(int code) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!exit_code) exit_code = code;
    }
    cv.notify_all();
  }
};

std::mutex out_mutex;
void emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(out_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string event_line(const pusher::Event& e, const char* type) {
  std::string line = "{\"channel\":" + json_string(e.channel) + ",\"event\":" + json_string(e.name) +
                     ",\"data\":" + json_string(e.data);
  if (!e.user_id.empty()) line += ",\"user_id\":" + json_string(e.user_id);
  return line + ",\"type\":\"" + type + "\"}";
}

// `{"id":..,"info":..}`: info is the member's JSON text, null when it has none.
std::string member_json(const pusher::Member& m, bool with_info = true) {
  std::string out = "{\"id\":" + json_string(m.id);
  if (with_info) out += ",\"info\":" + (m.info.empty() ? std::string("null") : m.info);
  return out + "}";
}

volatile std::sig_atomic_t interrupted = 0;

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  Outcome outcome;
  std::vector<pusher::Binding> bindings;
  std::optional<pusher::Manager> manager;
  try {
    manager.emplace(args.options);
  } catch (const std::invalid_argument& e) {
    usage(e.what());
  }

  bindings.push_back(manager->bind_app_events([&](const pusher::AppEvent& app, const pusher::Event& e) {
    emit(event_line(e, pusher::type_name(app)));
    std::lock_guard<std::mutex> lock(outcome.mutex);
    if (args.count > 0 && ++outcome.events >= args.count) {
      outcome.exit_code = outcome.exit_code.value_or(0);
      outcome.cv.notify_all();
    }
  }));
  bindings.push_back(manager->on_state_change([&](const pusher::StateChange& change) {
    if (args.states) {
      std::string line = std::string("{\"state\":\"") + pusher::to_string(change.current) +
                         "\",\"previous\":\"" + pusher::to_string(change.previous) + "\"";
      if (change.current == pusher::ConnectionState::connected) {
        line += ",\"socket_id\":" + json_string(manager->socket_id());
      }
      emit(line + "}");
    }
  }));
  bindings.push_back(manager->on_error([&](const pusher::Error& error) {
    if (args.states) {
      emit(std::string("{\"error\":{\"code\":\"") + pusher::to_string(error.code) +
           "\",\"message\":" + json_string(error.message) +
           ",\"server_code\":" + std::to_string(error.server_code) + ",\"code_kind\":\"" +
           pusher::to_string(error.code_kind) + "\"}}");
    }
    if (error.code == pusher::ErrorCode::connection_refused) outcome.finish(1);
  }));
  for (const std::string& name : args.channels) {
    try {
      auto channel = manager->subscribe(name);
      if (args.states) {
        bindings.push_back(channel.bind("pusher:subscription_succeeded", [name](const pusher::Event&) {
          emit("{\"subscribed\":" + json_string(name) + "}");
        }));
      }
      if (args.states && name.rfind("presence-", 0) == 0) {
        // Echo's here / joining / leaving, as member lines.
        const std::string channel_json = json_string(name);
        bindings.push_back(channel.here([channel_json](const std::vector<pusher::Member>& members) {
          std::string list;
          for (const auto& m : members) list += (list.empty() ? "" : ",") + member_json(m);
          emit("{\"members\":[" + list + "],\"channel\":" + channel_json + "}");
        }));
        bindings.push_back(channel.joining([channel_json](const pusher::Member& m) {
          emit("{\"member_added\":" + member_json(m) + ",\"channel\":" + channel_json + "}");
        }));
        bindings.push_back(channel.leaving([channel_json](const pusher::Member& m) {
          emit("{\"member_removed\":" + member_json(m, false) + ",\"channel\":" + channel_json +
               "}");
        }));
      }
    } catch (const std::invalid_argument& e) {
      usage(e.what());
    }
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  manager->connect();

  // stdin: `CHANNEL EVENT JSON` lines send client events. Detached: a blocking read must not
  // hold up the exit; it only touches the Manager through `alive`.
  auto alive = std::make_shared<std::atomic<pusher::Manager*>>(&*manager);
  auto alive_mutex = std::make_shared<std::mutex>();
  std::thread([alive, alive_mutex, states = args.states] {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::string channel, event, data;
      in >> channel >> event;
      std::getline(in >> std::ws, data);
      if (channel.empty()) continue;
      std::lock_guard<std::mutex> lock(*alive_mutex);
      pusher::Manager* m = alive->load();
      if (m == nullptr) return;
      try {
        auto ch = m->channel(channel);
        if (!ch) throw std::invalid_argument("not subscribed to " + channel);
        ch->trigger(event, data.empty() ? "{}" : data);
      } catch (const std::invalid_argument& e) {
        if (states) {
          emit(std::string("{\"error\":{\"code\":\"invalid_argument\",\"message\":") +
               json_string(e.what()) + ",\"server_code\":0,\"code_kind\":\"none\"}}");
        }
      }
    }
  }).detach();

  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long long>(args.timeout * 1000));
  int code = 0;
  {
    std::unique_lock<std::mutex> lock(outcome.mutex);
    while (!outcome.exit_code && !interrupted) {
      if (args.timeout > 0 && std::chrono::steady_clock::now() >= deadline) {
        outcome.exit_code = 3;
        break;
      }
      // Wake up now and then to notice signals; the SDK's own loop does not poll.
      outcome.cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    code = outcome.exit_code.value_or(0);
  }
  bindings.clear();
  if (args.history) {
    std::string line = "[";
    for (const auto& e : manager->history()) {
      if (line.size() > 1) line += ",";
      line += event_line(e, pusher::type_name(pusher::decode_app_event(e, args.options.event_names)));
    }
    emit(line + "]");
  }
  {
    std::lock_guard<std::mutex> lock(*alive_mutex);
    alive->store(nullptr);
  }
  manager.reset();
  return code;
}
