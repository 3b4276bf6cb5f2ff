// pusher-chat: a terminal chat on a Pusher-protocol server (Pusher, Laravel Reverb, soketi),
// with presence ("who is online"), typing indicators (whispers) and read receipts.
//
//   pusher-chat --name NAME [--room ROOM] --key KEY --host HOST --port PORT [--tls|--no-tls]
//               (--backend URL | --auth-endpoint URL [--bearer TOKEN] [--backend URL])
//
// Exit codes: 0 done, 1 could not start (login, terminal), 2 usage error.
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <langinfo.h>
#include <unistd.h>

#include "chat_app.hpp"
#include "chat_json.hpp"
#include "cli_args.hpp"
#include "http_client.hpp"

namespace {

/// The chat draws UTF-8; a bare "C" locale (common in containers) would garble it.
/// Called before any thread starts (setlocale and nl_langinfo are not thread-safe).
void use_utf8_locale() {
  std::setlocale(LC_ALL, "");                             // NOLINT(concurrency-mt-unsafe)
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {  // NOLINT(concurrency-mt-unsafe)
    std::setlocale(LC_CTYPE, "C.UTF-8");                  // NOLINT(concurrency-mt-unsafe)
  }
}

/// `--log FILE`: the SDK's log lines (which never hold tokens) go to FILE.
bool open_log(chat::ChatArgs& args) {
  if (args.log_file.empty()) return true;
  std::FILE* raw = std::fopen(args.log_file.c_str(), "a");
  if (raw == nullptr) return false;
  auto file = std::shared_ptr<std::FILE>(raw, &std::fclose);
  auto mutex = std::make_shared<std::mutex>();
  args.options.log_level = pusher::LogLevel::debug;
  args.options.logger = [file, mutex](pusher::LogLevel level, const std::string& message) {
    std::lock_guard<std::mutex> lock(*mutex);
    std::fprintf(file.get(), "[%s] %s\n", pusher::to_string(level), message.c_str());
    std::fflush(file.get());
  };
  return true;
}

/// Local mode: `POST <backend>/login {"name"}` before the screen starts.
std::optional<chat::Login> log_in(const chat::ChatArgs& args, std::string& problem) {
  chat::HttpClient http;
  std::promise<chat::HttpResponse> answer;
  chat::HttpRequest request;
  request.method = "POST";
  request.url = args.backend + "/login";
  request.body = chat::login_body(args.name);
  http.send(request, [&answer](const chat::HttpResponse& response) { answer.set_value(response); });
  const chat::HttpResponse response = answer.get_future().get();  // 10 s at most
  if (!response.ok()) {
    problem = response.describe();
    return std::nullopt;
  }
  std::optional<chat::Login> login = chat::parse_login(response.body);
  if (!login) problem = "the answer has no token and user";
  return login;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  chat::CliResult cli = chat::parse_args(
      arguments, std::getenv("PUSHER_CHAT_TOKEN"));  // NOLINT(concurrency-mt-unsafe)
  if (cli.help) {
    std::fputs(chat::usage(), stdout);
    return 0;
  }
  if (!cli.ok) {
    std::fprintf(stderr, "pusher-chat: %s\n%s", cli.error.c_str(), chat::usage());
    return 2;
  }
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::fputs("pusher-chat: needs a terminal\n", stderr);
    return 1;
  }
  use_utf8_locale();
  std::signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!open_log(cli.args)) {
    std::fprintf(stderr, "pusher-chat: cannot write %s\n", cli.args.log_file.c_str());
    return 1;
  }

  std::optional<chat::Login> login;
  if (cli.args.local_login) {
    std::string problem;
    login = log_in(cli.args, problem);
    if (!login) {
      std::fprintf(stderr, "pusher-chat: cannot log in at %s/login: %s\n", cli.args.backend.c_str(),
                   problem.c_str());
      return 1;
    }
  }

  int code = 0;
  try {
    chat::ChatApp app(std::move(cli.args), std::move(login));
    code = app.run();
  } catch (const std::invalid_argument& e) {  // options the SDK refuses
    std::fprintf(stderr, "pusher-chat: %s\n", e.what());
    code = 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pusher-chat: %s\n", e.what());
    code = 1;
  }
  curl_global_cleanup();
  return code;
}
