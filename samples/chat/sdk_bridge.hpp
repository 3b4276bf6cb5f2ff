#pragma once

// Every use of the pusher SDK in the chat, in one place: a Manager, the room's presence
// channel, and their callbacks carried over to the UI thread.

#include <pusher/pusher.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chat_model.hpp"
#include "ui_queue.hpp"

namespace chat {

/// What the SDK tells the chat. Called on the UI thread, from UiQueue tasks.
class SdkListener {
 public:
  virtual ~SdkListener() = default;
  virtual void on_state(pusher::ConnectionState state) = 0;
  virtual void on_connecting_in(std::chrono::milliseconds delay) = 0;
  virtual void on_error(const pusher::Error& error) = 0;
  /// The full member list, on every (re)subscription; `me` is this connection's member.
  virtual void on_here(const std::string& channel, std::vector<User> members,
                       std::optional<User> me) = 0;
  virtual void on_joining(const std::string& channel, const User& member) = 0;
  virtual void on_leaving(const std::string& channel, const User& member) = 0;
  /// MessageSent, MessagesRead and UserTyping (the `typing` whisper), decoded by the SDK.
  virtual void on_app_event(const pusher::AppEvent& event, const pusher::Event& raw) = 0;
  /// The channel is back after a reconnect: what was broadcast meanwhile is lost.
  virtual void on_resubscribed(const std::string& channel) = 0;
};

/// One connection and the room being shown.
///
/// Thread safety: use from the UI thread. The SDK calls back on its own thread; each callback
/// only copies what it got into a task for `queue`.
class ChatConnection {
 public:
  ChatConnection(pusher::Options options, UiQueue& queue, SdkListener& listener);
  /// Unbinds, then the Manager closes the connection (waiting about a second at most).
  ~ChatConnection();
  ChatConnection(const ChatConnection&) = delete;
  ChatConnection& operator=(const ChatConnection&) = delete;

  void connect() { manager_.connect(); }
  /// Leaves the current room (unsubscribes) and joins `presence-chat.<room>`.
  void join(const std::string& room);
  const std::string& channel_name() const { return channel_name_; }
  /// Whispers `typing` to the room, if subscribed (a whisper queued while offline would
  /// arrive late and wrong).
  void whisper_typing(const User& me, bool typing);
  /// For `X-Socket-ID`; "" while not connected.
  std::string socket_id() const { return manager_.socket_id(); }
  /// The messages and receipts of this room the SDK kept in its history, oldest first.
  std::vector<std::pair<pusher::AppEvent, pusher::Event>> room_history() const;

 private:
  /// Runs `deliver` on the UI thread.
  template <typename Deliver>
  void post(Deliver deliver) {
    SdkListener* listener = &listener_;
    queue_.post([listener, deliver = std::move(deliver)] { deliver(*listener); });
  }

  UiQueue& queue_;
  SdkListener& listener_;
  pusher::EventNames event_names_;
  pusher::Manager manager_;
  std::vector<pusher::Binding> connection_bindings_;
  std::string channel_name_;
  std::optional<pusher::Channel> channel_;
  std::vector<pusher::Binding> room_bindings_;  // destroyed first: no callback after that
};

/// The error for the message list: its message, and the server's code if any.
std::string describe(const pusher::Error& error);

}  // namespace chat
