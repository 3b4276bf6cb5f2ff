#pragma once

#include <pusher/app_events.hpp>
#include <pusher/auth.hpp>
#include <pusher/channel.hpp>
#include <pusher/error.hpp>
#include <pusher/event.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "channel/client_events.hpp"
#include "channel/presence.hpp"
#include "common/handlers.hpp"
#include "common/loop_ref.hpp"
#include "net/scheduler.hpp"
#include "protocol/channel.hpp"
#include "protocol/message.hpp"

namespace pusher::detail {

class Subscription;

/// What every subscription of one Manager shares, read-only: limits taken from the Options.
struct SubscriptionConfig {
  std::size_t max_presence_members = 0;
  std::size_t outbound_queue_limit = 0;   ///< client events waiting per channel
  std::size_t max_client_event_size = 0;  ///< bytes of one client event frame
  std::chrono::milliseconds auth_retry_initial{1000};  ///< back-off of transient auth failures
  std::chrono::milliseconds auth_retry_max{30000};
  std::string event_namespace;  ///< Echo's namespace, for Channel::listen
};

/// What a subscription needs from the connection it lives on. The Manager implements it, as
/// the Service reports to the Manager through ServiceListener. Loop thread only.
class SubscriptionHost {
 public:
  virtual ~SubscriptionHost() = default;
  /// The socket id while connected, else "".
  virtual const std::string& connected_socket_id() const = 0;
  /// Sends a frame now; false when not connected (subscriptions are redone on every connect).
  virtual bool send_now(const std::string& frame) = 0;
  /// Sends a client event now, or queues it in the connection's bounded queue; overflow is
  /// reported. `what` names it in errors.
  virtual void send(std::string frame, const std::string& what) = 0;
  /// Asks the app's authorizer; `done` runs later on the loop thread, unless the host is gone
  /// by then. False when no authorizer is configured. An authorizer that throws throws here.
  virtual bool authorize(const AuthRequest& request, std::function<void(AuthResult)> done) = 0;
  /// Reports an error to the error callbacks.
  virtual void report(const Error& error) = 0;
  /// Delivers a channel notice (`pusher:...`) to the channel's and the Manager's callbacks.
  virtual void notify(Subscription& subscription, const std::string& name, std::string data) = 0;
  /// Delivers an application event: the callbacks, then the history.
  virtual void deliver(const std::shared_ptr<Subscription>& subscription, const Event& event) = 0;
  /// Runs a user callback; an exception becomes a callback_exception error.
  virtual void run_callback(const char* what, const std::function<void()>& call) = 0;
  /// Is `subscription` the one registered under its name (not left, not replaced)?
  virtual bool registered(const Subscription& subscription) const = 0;
  /// Takes `subscription` out of the registry.
  virtual void unregister(Subscription& subscription) = 0;
  /// A subscription has client events that may go out now.
  virtual void client_events_ready() = 0;
  virtual net::Scheduler& scheduler() = 0;
  /// A uniform random number in [0, 1), for jitter.
  virtual double random_unit() = 0;
  /// Numbers subscribe frames in the order they are sent (Reverb's channel-less 4009 answers
  /// the oldest unanswered one).
  virtual std::uint64_t next_send_seq() = 0;
};

/// One client event waiting for its channel's subscription or the rate limit.
struct QueuedClientEvent {
  std::string message;  // the encoded frame
  std::string event;    // its name, for errors
};

/// One channel subscription and its state machine (pusher-js src/core/channels/channel.ts,
/// presence_channel.ts, encrypted_channel.ts): subscribing and authorising, presence
/// members, queued client events and private-encrypted keys. A Channel handle points here.
///
/// The state and the queues belong to the loop thread and change only through the methods
/// below, which the Manager calls with itself as the host. The name, kind, `subscribed()`,
/// the subscription count, the stale flag and the members may be read from any thread.
class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  /// Where the subscription stands with the server. `authorizing`: waiting for the
  /// authorizer, nothing sent; `pending`: the subscribe frame went out, no answer yet;
  /// `unsubscribing`: left while pending, unsubscribed once the answer comes (pusher-js
  /// cancelSubscription); `failed`: refused, tried again on the next connection.
  enum class State { idle, authorizing, pending, subscribed, unsubscribing, failed };

  Subscription(std::string name, std::shared_ptr<LoopRef> loop,
               std::weak_ptr<SubscriptionHost> host,
               std::shared_ptr<const SubscriptionConfig> config);

  // Any thread.
  const std::string& name() const noexcept { return name_; }
  protocol::ChannelKind kind() const noexcept { return kind_; }
  const std::shared_ptr<LoopRef>& loop() const noexcept { return loop_; }
  const SubscriptionConfig& config() const noexcept { return *config_; }
  /// True once the server confirmed the subscription (false again while reconnecting).
  bool subscribed() const noexcept { return subscribed_.load(); }
  int subscription_count() const noexcept { return subscription_count_.load(); }
  /// Set by Manager::unsubscribe, at the call: this handle's subscription is over, and a later
  /// subscribe() of the same name makes a new one.
  bool stale() const noexcept { return stale_.load(); }
  void mark_stale() noexcept { stale_ = true; }
  const PresenceSet& members() const noexcept { return members_; }
  /// Channel::trigger after its checks of kind and name: encodes and checks the frame (throws
  /// std::invalid_argument for the caller's mistakes), then queues it on the loop.
  void trigger(const std::string& event, const std::string& data_json);
  /// Reports `error` through the host, from any thread (posted to the loop).
  void report_async(Error error) const;

  // Loop thread: the callbacks bound to this channel.
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;
  Registry<const std::vector<Member>&> here_handlers;
  Registry<const Member&> joining_handlers;
  Registry<const Member&> leaving_handlers;

  // Loop thread: the state machine. The host is the Manager that registered this subscription.
  State state() const noexcept { return state_; }
  /// Registered under its name in place of `previous` (null when there was none); subscribes
  /// now when connected. An earlier subscription left while its subscribe was unanswered
  /// hands that request over (pusher-js reinstateSubscription).
  void start(SubscriptionHost& host, Subscription* previous);
  /// Manager::unsubscribe: drops the callbacks and queued client events, and leaves.
  void leave(SubscriptionHost& host);
  /// A new connection: subscribe again (a `#server-to-user-` channel waits for the sign-in).
  void on_connected(SubscriptionHost& host);
  /// The connection ended at `now`: every subscription died with it (pusher-js disconnect()).
  void on_connection_lost(SubscriptionHost& host, net::Scheduler::Clock::time_point now);
  void on_succeeded(SubscriptionHost& host, const protocol::SubscriptionSucceeded& m);
  /// Handles the server's refusal; false when this subscription was not waiting for one.
  bool on_refused(SubscriptionHost& host, const protocol::SubscriptionError& m);
  /// Waiting for the answer to an authorised subscribe frame, numbered `send_seq()`.
  bool awaits_authorised_answer() const noexcept;
  std::uint64_t send_seq() const noexcept { return sent_seq_; }
  /// Reverb's channel-less 4009 (Reverb src/Protocols/Pusher/Exceptions/
  /// ConnectionUnauthorized.php) refused this subscription.
  void on_unauthorized(SubscriptionHost& host, const std::string& message);
  void set_subscription_count(int count) noexcept { subscription_count_ = count; }
  void on_member_added(SubscriptionHost& host, const protocol::Member& m);
  void on_member_removed(SubscriptionHost& host, const std::string& user_id);
  /// private-encrypted-: opens `event` in place. False when it is held for a fresh key (and
  /// delivered later through the host) or was reported and dropped.
  bool open(SubscriptionHost& host, Event& event);
  /// Sends queued client events while `limiter` lets them go; true when some wait for it.
  bool flush_client_events(SubscriptionHost& host, ClientEventLimiter& limiter,
                           net::Scheduler::Clock::time_point now);
  std::size_t queued_client_events() const noexcept { return client_events_.size(); }

 private:
  void send_subscribe(SubscriptionHost& host);
  void authorise(SubscriptionHost& host, bool for_decrypt);
  void on_authorised(SubscriptionHost& host, std::uint64_t generation,
                     const std::string& socket_id, bool for_decrypt, AuthResult result);
  void retry_authorisation(SubscriptionHost& host, const Error& failure);
  void send_authorised_subscribe(SubscriptionHost& host, const AuthResult& result);
  void fail(SubscriptionHost& host, const std::string& type, const std::string& error,
            int status, ErrorCode code, CodeKind kind = CodeKind::none);
  void forget(SubscriptionHost& host);
  void reject_client_events(SubscriptionHost& host, const std::string& why);
  void queue_client_event(SubscriptionHost& host, QueuedClientEvent queued);
  void assign_members(SubscriptionHost& host, const std::vector<Member>& members);
  void on_fresh_key(SubscriptionHost& host, const AuthResult& result);
  /// Waiting for the server's answer to a subscribe frame (left or not).
  bool awaiting_answer() const noexcept {
    return state_ == State::pending || state_ == State::unsubscribing;
  }

  const std::string name_;
  const protocol::ChannelKind kind_;
  const std::shared_ptr<LoopRef> loop_;
  const std::weak_ptr<SubscriptionHost> host_;
  const std::shared_ptr<const SubscriptionConfig> config_;

  std::atomic<bool> subscribed_{false};
  std::atomic<int> subscription_count_{0};
  std::atomic<bool> stale_{false};
  PresenceSet members_;

  // Loop thread.
  State state_ = State::idle;
  bool ever_subscribed_ = false;
  net::Scheduler::Clock::time_point lost_at_{};
  std::uint64_t auth_generation_ = 0;  // a late answer for an older attempt is dropped
  unsigned auth_attempts_ = 0;         // transient auth failures in a row (their back-off)
  std::uint64_t sent_seq_ = 0;         // order of the subscribe frame sent; 0: none went out
  std::vector<QueuedClientEvent> client_events_;  // vectors: nothing allocated while empty
  // private-encrypted-
  std::string shared_secret_;    // base64 of the channel key
  bool refreshing_key_ = false;  // a fresh key is being fetched; events wait for it
  bool key_refreshed_ = false;   // the last refresh brought a key that did not open either
  std::vector<Event> awaiting_key_;  // events held while a fresh key is fetched
};

}  // namespace pusher::detail
