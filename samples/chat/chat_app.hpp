#pragma once

// The program: the UI loop (poll on the terminal and the UiQueue), keys and commands, the
// backend's HTTP API, and the SDK's events, all meeting in the ChatModel on the UI thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat_json.hpp"
#include "chat_model.hpp"
#include "cli_args.hpp"
#include "command.hpp"
#include "http_client.hpp"
#include "input_line.hpp"
#include "sdk_bridge.hpp"
#include "terminal.hpp"
#include "ui_queue.hpp"

namespace chat {

class ChatApp final : private SdkListener {
 public:
  /// `login`: the user and token from `POST /login` in local mode; nullopt otherwise.
  ChatApp(ChatArgs args, std::optional<Login> login);
  ~ChatApp() override;

  /// Runs until /quit, Ctrl-C, Ctrl-D on an empty line, SIGTERM or SIGHUP; returns the exit code.
  int run();

 private:
  /// A message waiting for (or in) `POST /messages`; sent one at a time, in order.
  struct Outgoing {
    std::uint64_t local_id = 0;
    std::string room;
    std::string text;
  };

  // SdkListener: on the UI thread.
  void on_state(pusher::ConnectionState state) override;
  void on_connecting_in(std::chrono::milliseconds delay) override;
  void on_error(const pusher::Error& error) override;
  void on_here(const std::string& channel, std::vector<User> members,
               std::optional<User> me) override;
  void on_joining(const std::string& channel, const User& member) override;
  void on_leaving(const std::string& channel, const User& member) override;
  void on_app_event(const pusher::AppEvent& event, const pusher::Event& raw) override;
  void on_resubscribed(const std::string& channel) override;

  // Keys and commands.
  void on_key(const KeyPress& key, Terminal& terminal);
  void after_edit();
  void recall(int step);
  void on_enter();
  void run_command(const Command& command);
  void enter_room(const std::string& room);

  // The backend.
  bool has_backend() const { return !args_.backend.empty(); }
  HttpRequest backend_request(const std::string& method, const std::string& path,
                              std::string body = {}) const;
  void send_message(const std::string& text);
  void pump_outbox();
  void on_posted(const Outgoing& item, const HttpResponse& response);
  void fetch_messages();
  void post_read(const std::string& message_id);
  /// Runs `handle` on the UI thread with the answer.
  void request(HttpRequest request, std::function<void(const HttpResponse&)> handle);

  void tick();
  int poll_timeout() const;

  ChatArgs args_;
  std::string token_;  // the backend's bearer token; never shown
  UiQueue queue_;      // declared before everything that posts to it
  ChatModel model_;
  InputLine input_;
  std::vector<std::string> sent_lines_;  // for Up/Down
  std::size_t recall_index_ = 0;
  std::deque<Outgoing> outbox_;
  bool posting_ = false;
  bool welcomed_ = false;
  bool outage_reported_ = false;  // a connection error was shown since the last connect
  bool quit_ = false;
  int page_rows_ = 10;
  HttpClient http_;
  std::unique_ptr<ChatConnection> connection_;  // destroyed first: SDK callbacks stop
};

}  // namespace chat
