#pragma once

#include <pusher/manager.hpp>

#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel/subscription.hpp"
#include "common/guarded_scheduler.hpp"
#include "common/handlers.hpp"
#include "common/loop_ref.hpp"
#include "events/history.hpp"
#include "log.hpp"
#include "net/event_loop.hpp"
#include "options_check.hpp"
#include "protocol/message.hpp"
#include "service/service.hpp"

namespace pusher::detail {

/// What a pusher::SharedLoop holds: one running loop thread.
class SharedLoopImpl {
 public:
  net::LoopThread thread;
};

/// The Manager's state: the channel registry, handlers, history, sign-in and the Service, all
/// on one loop thread. Each channel's subscription is a Subscription (src/channel), which
/// reaches the connection through the SubscriptionHost this class implements. Public calls
/// post here in call order; the handles map (which Channel a name gives) and the state
/// snapshots are the only state kept under a mutex.
class ManagerCore final : public service::ServiceListener,
                          public SubscriptionHost,
                          public std::enable_shared_from_this<ManagerCore> {
 public:
  /// `loop` is started by the caller; the transport factory defaults to real WebSockets and
  /// the scheduler to the loop (tests pass fakes of both). `random_seed` 0 seeds the jitter
  /// from the system; the simulator passes its own for a reproducible run. Throws
  /// std::invalid_argument for options that cannot work (validate_options).
  ManagerCore(Options options, net::EventLoop& loop, std::shared_ptr<LoopRef> loop_ref,
              service::TransportFactory make_transport = {}, net::Scheduler* scheduler = nullptr,
              std::uint64_t random_seed = 0);
  ~ManagerCore() override;

  /// Routes exceptions that escape loop tasks and timers to on_error. Call once, right after
  /// construction (it needs the shared_ptr).
  void start();

  // Any thread.
  void connect();
  void disconnect();
  void signin();
  std::shared_ptr<Subscription> subscribe(const std::string& name);
  void unsubscribe(const std::string& name);
  /// The live handle for a name (the one subscribe() would return), or null.
  std::shared_ptr<Subscription> find(const std::string& name) const;
  ConnectionState state() const;
  std::string socket_id() const;
  std::vector<Event> history() const { return history_.snapshot(); }
  std::vector<AppEvent> app_history() const;
  std::optional<Error> last_error() const;
  /// Every live handle, in name order.
  std::vector<std::shared_ptr<Subscription>> handles() const;
  std::size_t history_bytes() const { return history_.bytes(); }
  /// Reports `error` from any thread (posted to the loop).
  void report_async(Error error);
  const std::shared_ptr<LoopRef>& loop_ref() const noexcept { return loop_ref_; }
  const Options& options() const noexcept { return options_; }

  // Loop thread.
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;
  Registry<const StateChange&> state_handlers;
  Registry<const Error&> error_handlers;
  Registry<std::chrono::milliseconds, unsigned> connecting_in_handlers;
  Registry<const std::string&> message_handlers;
  service::Service& service() noexcept { return *service_; }
  bool has_service() const noexcept { return service_ != nullptr; }
  /// The channel registry entry for a name (loop thread), or null.
  std::shared_ptr<Subscription> live(const std::string& name) const;
  /// The registry, in name order (loop thread; the simulator checks it).
  std::vector<std::shared_ptr<Subscription>> channels_snapshot() const;
  /// Client events waiting in the channels' queues (loop thread; the simulator's bound).
  std::size_t queued_client_events() const;
  /// Takes ownership of the loop's thread (a Manager with its own loop).
  void adopt_thread(std::unique_ptr<net::LoopThread> thread) { thread_ = std::move(thread); }
  /// Runs on a loop shared with other Managers (kept alive while this Manager lives).
  void share_loop(std::shared_ptr<SharedLoop> loop) { shared_loop_ = std::move(loop); }
  /// From the Manager's destructor: closes with 1000 and tears the connection down. From
  /// another thread it waits a bounded time for the server's answer and joins an own loop.
  /// On the loop thread (inside a callback: the Manager's own, or another Manager's on a
  /// shared loop) it closes at once and finishes the teardown after the running callback
  /// returns. Either way no callback of this Manager runs after it returns.
  void shutdown();

  // SubscriptionHost (loop thread).
  const std::string& connected_socket_id() const override;
  bool send_now(const std::string& frame) override;
  void send(std::string frame, const std::string& what) override;
  bool authorize(const AuthRequest& request, std::function<void(AuthResult)> done) override;
  void report(const Error& error) override;
  void notify(Subscription& subscription, const std::string& name, std::string data) override;
  void deliver(const std::shared_ptr<Subscription>& subscription, const Event& event) override;
  void run_callback(const char* what, const std::function<void()>& call) override {
    guarded(what, call);
  }
  bool registered(const Subscription& subscription) const override;
  void unregister(Subscription& subscription) override;
  void client_events_ready() override;
  net::Scheduler& scheduler() override { return scheduler_; }
  double random_unit() override;
  std::uint64_t next_send_seq() override { return ++send_seq_; }

 private:
  // service::ServiceListener
  void on_state_change(StateChange change) override;
  void on_connected(const std::string& socket_id) override;
  void on_message(protocol::Inbound& message) override;
  void on_error(const Error& error) override;
  void on_connecting_in(std::chrono::milliseconds delay, unsigned attempt) override;
  void on_frame(std::string_view frame) override;

  void teardown_on_loop();
  void do_subscribe(const std::shared_ptr<Subscription>& channel);
  void on_server_error(const protocol::ServerError& m);
  void on_channel_event(protocol::ChannelEvent& m);
  void notify(Subscription* channel, const std::string& channel_name, const std::string& name,
              std::string data);
  void dispatch(Subscription* channel, const Event& event, bool app_event);
  // signin.cpp
  void send_signin();
  void on_signin_success(const protocol::SigninSuccess& m);
  /// Runs a user callback; an exception becomes a callback_exception error. Nothing runs once
  /// the Manager is being destroyed.
  template <typename Fn>
  void guarded(const char* what, Fn&& fn) {
    if (closed_) return;
    try {
      fn();
    } catch (const std::exception& e) {
      report(Error{ErrorCode::callback_exception, std::string(what) + " callback threw: " + e.what(), 0, {}});
    } catch (...) {
      report(Error{ErrorCode::callback_exception, std::string(what) + " callback threw", 0, {}});
    }
  }

  Options options_;
  std::shared_ptr<const SubscriptionConfig> subscription_config_;
  std::shared_ptr<LoopRef> loop_ref_;
  net::EventLoop& loop_;
  GuardedScheduler scheduler_;
  std::shared_ptr<Authorizer> authorizer_;
  std::uint64_t send_seq_ = 0;
  bool signin_wanted_ = false;
  bool signin_in_flight_ = false;  // a pusher:signin went out and is not answered yet
  std::uint64_t signin_generation_ = 0;
  std::string signed_in_channel_;  // #server-to-user-<id> of the current sign-in
  ClientEventLimiter client_limiter_;
  net::Scheduler::TimerId client_flush_timer_ = 0;
  Log log_;
  std::uint64_t random_state_;  // splitmix64: jitter needs no 2.5 KB Mersenne Twister
  std::unique_ptr<net::LoopThread> thread_;
  std::shared_ptr<SharedLoop> shared_loop_;
  std::unique_ptr<service::Service> service_;
  EventHistory history_;
  std::string connected_socket_id_;  // loop thread: the socket id while connected
  bool closed_ = false;  // loop thread: the Manager is being destroyed, no more callbacks

  // Loop thread only: the registry. Hashed: every event looks its channel up here.
  std::unordered_map<std::string, std::shared_ptr<Subscription>> channels_;

  mutable std::mutex mutex_;  // guards handles_, state_, socket_id_
  std::map<std::string, std::shared_ptr<Subscription>> handles_;
  ConnectionState state_ = ConnectionState::initialized;
  std::string socket_id_;
  std::optional<Error> last_error_;
};

}  // namespace pusher::detail
