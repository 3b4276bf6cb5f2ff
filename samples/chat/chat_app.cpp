#include "chat_app.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <utility>

#include <poll.h>
#include <unistd.h>

#include "layout.hpp"

namespace chat {
namespace {

std::atomic<int> g_wake_fd{-1};
volatile std::sig_atomic_t g_signalled = 0;

void on_signal(int) {
  g_signalled = 1;
  const int fd = g_wake_fd.load();
  const std::uint64_t one = 1;
  if (fd >= 0) {
    [[maybe_unused]] const ssize_t written = ::write(fd, &one, sizeof one);
  }
}

/// SIGINT (from kill: the terminal's Ctrl-C is a key in raw mode), SIGTERM and SIGHUP (the
/// terminal closing) end the loop like /quit does, so the terminal is always restored.
void install_signal_handlers(int wake_fd) {
  g_wake_fd = wake_fd;
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
}

std::time_t to_time_t(std::chrono::system_clock::time_point at) {
  return at.time_since_epoch().count() == 0 ? std::time(nullptr)
                                            : std::chrono::system_clock::to_time_t(at);
}

}  // namespace

ChatApp::ChatApp(ChatArgs args, std::optional<Login> login) : args_(std::move(args)) {
  if (login) {
    token_ = login->token;
    args_.options.auth.bearer_token = login->token;
    model_.set_me(login->user);
  } else {
    token_ = args_.options.auth.bearer_token;
    model_.set_me(User{"", args_.name});  // the id comes with the first here()
  }
  model_.enter_room(args_.room);
  SdkListener& listener = *this;  // a private base: only ChatApp itself hands it out
  connection_ = std::make_unique<ChatConnection>(args_.options, queue_, listener);
}

ChatApp::~ChatApp() {
  connection_.reset();  // before the queue and the HTTP worker go
  g_wake_fd = -1;
}

int ChatApp::run() {
  Terminal terminal;
  install_signal_handlers(queue_.fd());
  enter_room(args_.room);
  connection_->connect();
  if (!has_backend()) model_.info("no --backend: messages can be read here, not sent");

  while (!quit_ && g_signalled == 0) {
    tick();
    const Frame frame = layout(model_, input_, terminal.width(), terminal.height(), Clock::now());
    model_.clamp_scroll(frame.max_scroll);
    page_rows_ = std::max(1, regions(frame.width, frame.height).messages_rows - 1);
    terminal.paint(frame);

    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {queue_.fd(), POLLIN, 0}};
    ::poll(fds, 2, poll_timeout());  // EINTR (SIGWINCH): fall through and read KEY_RESIZE
    if ((fds[1].revents & POLLIN) != 0) {
      for (UiQueue::Task& task : queue_.drain()) task();
    }
    for (const KeyPress& key : terminal.read_keys()) on_key(key, terminal);
    if ((fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) quit_ = true;
  }
  return 0;
}

void ChatApp::tick() {
  const TimePoint now = Clock::now();
  model_.tick(now);
  // The connected state can be reported just before the socket id is stored: pick it up late.
  if (model_.state() == pusher::ConnectionState::connected && model_.socket_id().empty())
    model_.set_socket_id(connection_->socket_id());
  if (const std::optional<std::string> id = model_.read_receipt_due(now)) {
    if (has_backend()) post_read(*id);
  }
}

int ChatApp::poll_timeout() const {
  const TimePoint now = Clock::now();
  const std::optional<TimePoint> next = model_.next_deadline(now);
  if (!next) return -1;  // nothing changes by itself: sleep until a key or an event
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return static_cast<int>(std::clamp<long long>(wait, 0, 60000));
}

// --- SDK events -------------------------------------------------------------------------

void ChatApp::on_state(pusher::ConnectionState state) {
  model_.set_state(state, Clock::now());
  if (state == pusher::ConnectionState::connected) {
    model_.set_socket_id(connection_->socket_id());
    outage_reported_ = false;
  }
}

void ChatApp::on_connecting_in(std::chrono::milliseconds delay) {
  model_.reconnect_in(delay, Clock::now());
}

void ChatApp::on_error(const pusher::Error& error) {
  using pusher::ErrorCode;
  // While the connection is down, every attempt fails again: the first failure says why, the
  // status line counts down to the next attempt.
  const bool connection_trouble =
      error.code == ErrorCode::connect_failed || error.code == ErrorCode::handshake_failed ||
      error.code == ErrorCode::timeout || error.code == ErrorCode::connection_closed ||
      error.code == ErrorCode::io_error || error.code == ErrorCode::server_error ||
      error.code == ErrorCode::protocol_error;
  if (connection_trouble && outage_reported_) return;
  if (connection_trouble) outage_reported_ = true;
  const bool refused =
      error.code == ErrorCode::auth_failed || error.code == ErrorCode::subscription_failed;
  if (refused && error.channel == connection_->channel_name()) model_.set_join_failed();
  model_.error(describe(error));
}

void ChatApp::on_here(const std::string& channel, std::vector<User> members,
                      std::optional<User> me) {
  if (channel != connection_->channel_name()) return;  // a room we already left
  if (me && me->id != model_.me().id) {
    if (me->name == me->id) me->name = model_.me().name.empty() ? args_.name : model_.me().name;
    model_.set_me(*me);
  }
  model_.set_members(std::move(members));
  model_.set_joined(true);
  if (!welcomed_) {
    welcomed_ = true;
    model_.info("you are in #" + model_.room() + " as " + model_.me().name +
                ". /help lists the commands.");
  }
}

void ChatApp::on_joining(const std::string& channel, const User& member) {
  if (channel == connection_->channel_name()) model_.member_joined(member);
}

void ChatApp::on_leaving(const std::string& channel, const User& member) {
  if (channel == connection_->channel_name()) model_.member_left(member.id);
}

void ChatApp::on_app_event(const pusher::AppEvent& event, const pusher::Event& raw) {
  if (raw.channel != connection_->channel_name()) return;
  model_.apply(event, to_time_t(raw.received_at), Clock::now());
}

void ChatApp::on_resubscribed(const std::string& channel) {
  // Pusher replays nothing: what was said while we were away comes from the backend.
  if (channel == connection_->channel_name() && has_backend()) fetch_messages();
}

// --- keys and commands ------------------------------------------------------------------

void ChatApp::on_key(const KeyPress& key, Terminal& terminal) {
  switch (key.kind) {
    case KeyKind::text:
      input_.insert(key.text);
      after_edit();
      break;
    case KeyKind::edit:
      if (input_.apply(key.edit)) after_edit();
      break;
    case KeyKind::enter:
      on_enter();
      break;
    case KeyKind::up:
      recall(-1);
      break;
    case KeyKind::down:
      recall(+1);
      break;
    case KeyKind::page_up:
      model_.scroll_by(page_rows_);
      break;
    case KeyKind::page_down:
      model_.scroll_by(-page_rows_);
      break;
    case KeyKind::interrupt:
      quit_ = true;
      break;
    case KeyKind::eof:
      if (input_.empty()) {
        quit_ = true;
      } else if (input_.apply(EditKey::erase_forward)) {
        after_edit();
      }
      break;
    case KeyKind::redraw:
      terminal.invalidate();
      break;
    case KeyKind::resize:
      break;  // the next frame is laid out for the new size
  }
}

void ChatApp::after_edit() {
  // Commands are not messages: typing "/room x" tells nobody we are typing.
  const std::string& text = input_.text();
  const bool composing = !text.empty() && (text[0] != '/' || text.rfind("//", 0) == 0);
  if (const std::optional<bool> typing = model_.typing_signal(composing, Clock::now()))
    connection_->whisper_typing(model_.me(), *typing);
}

void ChatApp::recall(int step) {
  if (sent_lines_.empty()) return;
  if (step < 0 && recall_index_ > 0) --recall_index_;
  if (step > 0 && recall_index_ < sent_lines_.size()) ++recall_index_;
  input_.set(recall_index_ < sent_lines_.size() ? sent_lines_[recall_index_] : "");
  after_edit();
}

void ChatApp::on_enter() {
  const std::string line = input_.take();
  after_edit();  // typing:false
  const Command command = parse_command(line);
  if (command.kind != CommandKind::none && (sent_lines_.empty() || sent_lines_.back() != line)) {
    sent_lines_.push_back(line);
  }
  recall_index_ = sent_lines_.size();
  run_command(command);
}

void ChatApp::run_command(const Command& command) {
  switch (command.kind) {
    case CommandKind::none:
      break;
    case CommandKind::message:
      send_message(command.text);
      break;
    case CommandKind::quit:
      quit_ = true;
      break;
    case CommandKind::who:
      model_.info(model_.who_line());
      break;
    case CommandKind::help:
      for (const char* const* line = help_lines(); *line != nullptr; ++line) model_.info(*line);
      break;
    case CommandKind::room:
      if (command.text == model_.room()) {
        model_.info("you are already in #" + command.text);
      } else {
        enter_room(command.text);
      }
      break;
    case CommandKind::invalid:
      model_.error(command.text);
      break;
  }
  model_.scroll_to_bottom();
}

void ChatApp::enter_room(const std::string& room) {
  model_.enter_room(room);
  welcomed_ = false;
  try {
    connection_->join(room);
  } catch (const std::invalid_argument& e) {  // the room name was checked; this is a bug
    model_.error(e.what());
    return;
  }
  // What the SDK kept of this room (when coming back to it), then the backend's history;
  // both go through the same de-duplication by id.
  const TimePoint now = Clock::now();
  for (const auto& [event, raw] : connection_->room_history())
    model_.apply(event, to_time_t(raw.received_at), now);
  if (has_backend()) fetch_messages();
}

// --- the backend ------------------------------------------------------------------------

HttpRequest ChatApp::backend_request(const std::string& method, const std::string& path,
                                     std::string body) const {
  HttpRequest request;
  request.method = method;
  request.url = args_.backend + path;
  request.body = std::move(body);
  request.bearer_token = token_;
  return request;
}

void ChatApp::request(HttpRequest request, std::function<void(const HttpResponse&)> handle) {
  http_.send(std::move(request), [this, handle = std::move(handle)](HttpResponse response) {
    queue_.post([handle, response = std::move(response)] { handle(response); });
  });
}

void ChatApp::send_message(const std::string& text) {
  if (!has_backend()) {
    model_.error("not sent: there is no --backend to send messages to");
    return;
  }
  const std::uint64_t local_id = model_.begin_send(text, std::time(nullptr));
  outbox_.push_back(Outgoing{local_id, model_.room(), text});
  pump_outbox();
}

void ChatApp::pump_outbox() {
  if (posting_ || outbox_.empty()) return;
  posting_ = true;
  const Outgoing item = outbox_.front();
  HttpRequest post = backend_request("POST", "/messages", message_body(item.room, item.text));
  post.socket_id = connection_->socket_id();  // the server leaves us out of the broadcast
  request(std::move(post),
          [this, item](const HttpResponse& response) { on_posted(item, response); });
}

void ChatApp::on_posted(const Outgoing& item, const HttpResponse& response) {
  outbox_.pop_front();
  posting_ = false;
  if (item.room == model_.room()) {
    const std::optional<ChatMessage> stored =
        response.ok() ? parse_message(response.body) : std::nullopt;
    if (stored) {
      model_.send_succeeded(item.local_id, *stored);
    } else {
      model_.send_failed(item.local_id, response.ok() ? "the backend's answer was not a message"
                                                      : response.describe());
    }
  } else if (!response.ok()) {
    model_.error("not sent to #" + item.room + ": " + response.describe());
  }
  pump_outbox();
}

void ChatApp::fetch_messages() {
  const std::string room = model_.room();
  request(
      backend_request("GET", "/messages?room=" + url_encode(room)),
      [this, room](const HttpResponse& response) {
        if (room != model_.room()) return;
        const auto messages = response.ok() ? parse_messages(response.body) : std::nullopt;
        if (!messages) {
          model_.error("could not load the history: " +
                       (response.ok() ? std::string("not a message list") : response.describe()));
          return;
        }
        for (const ChatMessage& message : *messages) model_.add_message(message, true);
      });
}

void ChatApp::post_read(const std::string& message_id) {
  request(backend_request("POST", "/read", read_body(model_.room(), message_id)),
          [this](const HttpResponse& response) {
            if (!response.ok()) model_.error("could not mark as read: " + response.describe());
          });
}

}  // namespace chat
