#pragma once

// The chat's state, with no terminal, network or clock in it: events are applied to it,
// times are passed in, and it answers what to show and what to send. The layout reads it;
// the app feeds it from the SDK's callbacks and the backend's answers.

#include <pusher/app_events.hpp>
#include <pusher/state.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chat {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

/// Someone else's "is typing" lasts this long without a refresh.
constexpr std::chrono::seconds kTypingTimeout{4};
/// Our own typing whisper goes out at most this often while keys are pressed.
constexpr std::chrono::seconds kTypingThrottle{2};
/// A new newest message is marked read this long after it shows (one POST for a burst).
constexpr std::chrono::milliseconds kReadDelay{500};
/// The message list keeps this many entries.
constexpr std::size_t kMaxEntries = 2000;

struct User {
  std::string id;
  std::string name;
};

/// An own message's delivery state. `read` is derived (Receipt of ChatModel::receipt()).
enum class Receipt { none, sending, sent, read, failed };

struct ChatMessage {
  std::string id;  ///< the backend's id; "" while our own message is on its way
  User sender;
  std::string text;
  std::time_t time = 0;  ///< when it was sent; 0 if unknown
  bool own = false;
  Receipt receipt = Receipt::none;  ///< own messages: sending, sent or failed
  std::uint64_t local_id = 0;       ///< own messages typed here: the handle of the send
};

enum class EntryKind { message, info, error };

/// One item of the message list: a message or a system line.
struct Entry {
  EntryKind kind = EntryKind::info;
  ChatMessage message;  ///< kind == message
  std::string text;     ///< system lines
};

/// Thread safety: none; the UI thread owns it.
class ChatModel {
 public:
  // Identity and room.
  /// Who we are; messages already shown are re-checked for being our own.
  void set_me(User me);
  const User& me() const { return me_; }
  /// Starts over in `room`: messages, members, typing, receipts and scrolling are reset.
  void enter_room(std::string room);
  const std::string& room() const { return room_; }

  // Messages.
  /// Adds a message unless one with its id is shown. Messages are kept in id order when ids
  /// are numbers (the backend's history may arrive after live ones); `history` messages also
  /// go before the system lines that follow the messages. Returns whether it was added.
  bool add_message(ChatMessage message, bool history = false);
  /// Applies a typed SDK event: MessageSent, MessagesRead, UserTyping; Unknown is ignored.
  /// `fallback_time` stands in for a missing or unreadable `sent_at`.
  void apply(const pusher::AppEvent& event, std::time_t fallback_time, TimePoint now);
  /// Shows our own message as being sent; returns the handle for send_succeeded/failed.
  std::uint64_t begin_send(const std::string& text, std::time_t now);
  /// The backend stored it: the message gets its id and its ✓.
  void send_succeeded(std::uint64_t local_id, const ChatMessage& stored);
  void send_failed(std::uint64_t local_id, const std::string& why);
  /// Someone read up to a message. Our own reads (other tabs) do not count.
  void apply_read(const pusher::MessagesRead& read);
  /// ✓ / ✓✓ / ... of an own message; none for others'.
  Receipt receipt(const ChatMessage& message) const;
  /// Adds a system line. An error equal to the last line is not repeated.
  void info(const std::string& text);
  void error(const std::string& text);
  const std::deque<Entry>& entries() const { return entries_; }

  // Presence.
  void set_members(std::vector<User> members);
  void member_joined(User member);
  void member_left(const std::string& id);
  /// Sorted by name.
  const std::vector<User>& members() const { return members_; }
  /// The members as one line for /who.
  std::string who_line() const;

  // Typing.
  /// Someone is typing (or stopped). Our own whispers, from another tab, are ignored.
  void typing(const pusher::UserTyping& typing, TimePoint now);
  bool is_typing(const std::string& user_id, TimePoint now) const;
  /// Names of who is typing now, in the order they started.
  std::vector<std::string> typing_names(TimePoint now) const;
  /// "alice is typing...", "alice and bob are typing...", ...; "" when nobody is.
  std::string typing_text(TimePoint now) const;
  /// Call after every edit of the input: true to whisper typing:true (at most every
  /// kTypingThrottle while there is text), false to whisper typing:false (the line was
  /// emptied after we said we were typing), nullopt to whisper nothing.
  std::optional<bool> typing_signal(bool has_text, TimePoint now);

  // Read receipts.
  /// The id to POST /read for, once per new newest message from someone else, kReadDelay
  /// after it is first seen on screen (scrolled to the bottom); nullopt otherwise.
  std::optional<std::string> read_receipt_due(TimePoint now);

  // Connection.
  void set_state(pusher::ConnectionState state, TimePoint now);
  pusher::ConnectionState state() const { return state_; }
  /// A reconnect is scheduled after `delay` (on_connecting_in).
  void reconnect_in(std::chrono::milliseconds delay, TimePoint now);
  void set_socket_id(std::string id) { socket_id_ = std::move(id); }
  const std::string& socket_id() const { return socket_id_; }
  /// Whether the room's presence channel is subscribed.
  void set_joined(bool joined) {
    joined_ = joined;
    join_failed_ = false;
  }
  /// The server or the auth endpoint refused the room (until the next try).
  void set_join_failed() { join_failed_ = true; }
  bool joined() const { return joined_; }
  /// "connected", "reconnecting in 3s", ...
  std::string status_text(TimePoint now) const;
  /// True while the status deserves attention (not connected).
  bool status_alert() const;

  // Scrolling, in rows up from the bottom.
  void scroll_by(int rows);
  void scroll_to_bottom() { scroll_ = 0; }
  int scroll() const { return scroll_; }
  /// The layout clamps scrolling to what there is.
  void clamp_scroll(int max_rows);

  /// Drops expired typing.
  void tick(TimePoint now);
  /// When something shown changes by itself (typing expiry, a countdown second, a read
  /// receipt due); nullopt if nothing will.
  std::optional<TimePoint> next_deadline(TimePoint now) const;

 private:
  struct Typist {
    std::string name;
    TimePoint expires;
    std::uint64_t order = 0;
  };

  void add_line(EntryKind kind, const std::string& text);
  void trim();
  std::string name_of(const std::string& user_id, const std::string& fallback) const;
  void note_newest_from_others(const ChatMessage& message);

  User me_;
  std::string room_;
  std::deque<Entry> entries_;
  std::set<std::string> ids_;
  std::uint64_t next_local_id_ = 1;

  std::vector<User> members_;
  std::map<std::string, Typist> typists_;  // by user id
  std::uint64_t typing_order_ = 0;

  std::optional<TimePoint> typing_sent_at_;  // our last typing:true whisper
  bool typing_announced_ = false;

  std::uint64_t read_by_others_ = 0;  // the highest last_read_id from someone else
  std::string newest_from_others_;
  std::string read_reported_;
  std::optional<TimePoint> read_seen_at_;

  pusher::ConnectionState state_ = pusher::ConnectionState::initialized;
  std::optional<TimePoint> reconnect_at_;
  std::string socket_id_;
  bool joined_ = false;
  bool join_failed_ = false;
  int scroll_ = 0;
};

/// A message id as a number, for ordering and receipts; nullopt when it is not one.
std::optional<std::uint64_t> numeric_id(const std::string& id);

}  // namespace chat
